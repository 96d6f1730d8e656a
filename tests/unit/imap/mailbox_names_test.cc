#include <gtest/gtest.h>

#include "imap/list_args.h"
#include "imap/mailbox_name.h"
#include "imap/mailbox_pattern.h"
#include "imap/status_items.h"
#include "reader_test_util.h"

namespace loft::imap {
namespace {

using testing::ArgsOf;

TEST(MailboxName, DecodesModifiedUtf7AndNormalisesInbox) {
  EXPECT_EQ(*DecodeMailboxName("tiet&AOQ-j&AOQ-", false), "tiet\xc3\xa4j\xc3\xa4");
  EXPECT_EQ(*DecodeMailboxName("inbox", false), "INBOX");
  EXPECT_EQ(*DecodeMailboxName("Inbox/Sub", false), "INBOX/Sub");
  EXPECT_EQ(*DecodeMailboxName("InboxSub", false), "InboxSub");
  EXPECT_EQ(*DecodeMailboxName("inbox.Sub", false, '.'), "INBOX.Sub");
  EXPECT_EQ(DecodeMailboxName("IN\xe4" "BOX", false).error(), ArgError::No("Mailbox name is not valid mUTF-7"));
  EXPECT_EQ(DecodeMailboxName("&Jjo!", false).error(), ArgError::No("Mailbox name is not valid mUTF-7"));
  // UTF-8 mode: names are UTF-8, '&' is just a character.
  EXPECT_EQ(*DecodeMailboxName("tiet\xc3\xa4j\xc3\xa4", true), "tiet\xc3\xa4j\xc3\xa4");
  EXPECT_EQ(*DecodeMailboxName("&AOQ-", true), "&AOQ-");
  EXPECT_EQ(DecodeMailboxName("\xe4", true).error(), ArgError::No("Mailbox name is not valid UTF-8"));
}

TEST(MailboxName, FromArguments) {
  EXPECT_EQ(*ParseMailboxName(Arg::Atom("INBOX"), false), "INBOX");
  EXPECT_EQ(*ParseMailboxName(Arg::Nil("nil"), false), "nil");
  EXPECT_EQ(*ParseMailboxName(Arg::Literal("a b"), false), "a b");
  EXPECT_EQ(ParseMailboxName(Arg::List(), false).error(), ArgError::Bad("Invalid arguments"));
}

TEST(MailboxName, EncodeForTheWire) {
  EXPECT_EQ(EncodeMailboxName("tiet\xc3\xa4j\xc3\xa4", false), "tiet&AOQ-j&AOQ-");
  EXPECT_EQ(EncodeMailboxName("a&b", false), "a&-b");
  EXPECT_EQ(EncodeMailboxName("tiet\xc3\xa4", true), "tiet\xc3\xa4");
  EXPECT_TRUE(IsInboxName("iNbOx"));
  EXPECT_FALSE(IsInboxName("INBOX/x"));
}

TEST(MailboxPattern, Wildcards) {
  MailboxPattern star({"*"}, '/');
  EXPECT_TRUE(star.matches("INBOX"));
  EXPECT_TRUE(star.matches("a/b/c"));
  MailboxPattern pct({"%"}, '/');
  EXPECT_TRUE(pct.matches("a"));
  EXPECT_FALSE(pct.matches("a/b"));
  MailboxPattern sub({"a/%"}, '/');
  EXPECT_TRUE(sub.matches("a/b"));
  EXPECT_FALSE(sub.matches("a/b/c"));
  EXPECT_FALSE(sub.matches("a"));
  EXPECT_FALSE(sub.matches("ab/c"));
  MailboxPattern mid({"a*c"}, '/');
  EXPECT_TRUE(mid.matches("ac"));
  EXPECT_TRUE(mid.matches("a/b/c"));
  EXPECT_FALSE(mid.matches("a/b/cd"));
  MailboxPattern mixed({"%/%x"}, '/');
  EXPECT_TRUE(mixed.matches("a/bx"));
  EXPECT_TRUE(mixed.matches("a/x"));
  EXPECT_FALSE(mixed.matches("a/b/x"));
  MailboxPattern exact({"Sent"}, '/');
  EXPECT_TRUE(exact.matches("Sent"));
  EXPECT_FALSE(exact.matches("sent"));  // only INBOX is case-insensitive
  MailboxPattern several({"Sent", "Drafts/%"}, '/');
  EXPECT_TRUE(several.matches("Drafts/x"));
  EXPECT_TRUE(several.matches("Sent"));
  EXPECT_FALSE(several.matches("Drafts"));
  MailboxPattern none({}, '/');
  EXPECT_FALSE(none.matches("INBOX"));
}

TEST(MailboxPattern, InboxIsCaseInsensitive) {
  EXPECT_TRUE(MailboxPattern({"inbox"}, '/').matches("INBOX"));
  EXPECT_TRUE(MailboxPattern({"Inbox/%"}, '/').matches("INBOX/Sub"));
  EXPECT_FALSE(MailboxPattern({"Inbox/sub"}, '/').matches("INBOX/Sub"));  // only the INBOX level
  EXPECT_TRUE(MailboxPattern({"i%"}, '/').matches("INBOX"));
  EXPECT_FALSE(MailboxPattern({"inbox2"}, '/').matches("INBOX2"));
}

TEST(MailboxPattern, ChildrenCouldMatch) {
  MailboxPattern p({"a/b/%"}, '/');
  EXPECT_TRUE(p.may_match_children("a"));
  EXPECT_TRUE(p.may_match_children("a/b"));
  EXPECT_FALSE(p.may_match_children("x"));
  EXPECT_FALSE(p.may_match_children("a/b/c"));  // "a/b/c/..." cannot match "%"
  EXPECT_TRUE(MailboxPattern({"*"}, '/').may_match_children("anything"));
  EXPECT_FALSE(MailboxPattern({"%"}, '/').may_match_children("top"));
}

TEST(MailboxPattern, CostIsBoundedForHostilePatterns) {
  // Backtracking matchers take exponential time on this; here it is linear-ish.
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "b";
  std::string name(1000, 'a');
  MailboxPattern p({pattern}, '/');
  EXPECT_FALSE(p.matches(name));
  EXPECT_TRUE(p.matches(name + "b"));
}

TEST(MailboxPattern, CombineReference) {
  EXPECT_EQ(CombineReference("", "*", '/'), "*");
  EXPECT_EQ(CombineReference("Archive/", "%", '/'), "Archive/%");
  EXPECT_EQ(CombineReference("Archive", "/x", '/'), "/x");
}

Parsed<ListArgs> List(const std::string& text, bool utf8 = false) {
  Args args = ArgsOf(text);
  return ParseListArgs(args, utf8);
}

TEST(ListArgs, BasicAndExtended) {
  Parsed<ListArgs> l = List("\"\" *");
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE(l->extended);
  EXPECT_EQ(l->reference, "");
  EXPECT_EQ(l->patterns, (std::vector<std::string>{"*"}));
  EXPECT_FALSE(l->delimiter_query);
  EXPECT_TRUE(List("\"\" \"\"")->delimiter_query);
  l = List("(subscribed RECURSIVEMATCH special-use REMOTE) Arc (% \"Sent&AOQ-\" \"&Jjo\") "
           "RETURN (CHILDREN SUBSCRIBED SPECIAL-USE STATUS (MESSAGES unseen))");
  ASSERT_TRUE(l.ok()) << l.error().text;
  EXPECT_TRUE(l->extended);
  EXPECT_TRUE(l->select_subscribed);
  EXPECT_TRUE(l->select_recursive_match);
  EXPECT_TRUE(l->select_special_use);
  EXPECT_TRUE(l->select_remote);
  EXPECT_EQ(l->reference, "Arc");
  EXPECT_EQ(l->patterns, (std::vector<std::string>{"%", "Sent\xc3\xa4"}));  // "&Jjo" can match nothing
  EXPECT_TRUE(l->return_children);
  EXPECT_TRUE(l->return_subscribed);
  EXPECT_TRUE(l->return_special_use);
  EXPECT_EQ(l->return_status, kStatusMessages | kStatusUnseen);
  EXPECT_TRUE(List("\"\" * RETURN ()")->extended);
  EXPECT_TRUE(List("\"\" ()")->patterns.empty());
  EXPECT_FALSE(List("() \"\" \"\"")->delimiter_query);
  EXPECT_EQ(List("\"\" \"\xc3\xa4\"", true)->patterns, (std::vector<std::string>{"\xc3\xa4"}));
  Args args = ArgsOf("\"\" (a b)");
  EXPECT_EQ(ParseLsubArgs(args, false).error().text, "Invalid pattern");
}

// Checked against Dovecot 2.3.19.
TEST(ListArgs, ErrorsMatchDovecot) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "Invalid reference"},
      {"\"\"", "Invalid pattern"},
      {"(RECURSIVEMATCH) \"\" *", "RECURSIVEMATCH must not be the only selection"},
      {"(FOO) \"\" *", "Unknown select options"},
      {"(\"SUBSCRIBED\") \"\" *", "List options contains non-atoms"},
      {"\"\" * RETURN (STATUS (FOO))", "Invalid status item FOO"},
      {"\"\" * RETURN (STATUS)", "Unknown return options"},
      {"\"\" * RETURN (FOO)", "Unknown return options"},
      {"\"\" % RETURN (MYRIGHTS)", "Unknown return options"},
      {"\"\" * RETURN", "Extra arguments"},
      {"\"\" * FOO", "Extra arguments"},
      {"\"\" * RETURN (CHILDREN) x", "Extra arguments"},
  };
  for (const auto& [text, error] : cases) {
    Parsed<ListArgs> l = List(text);
    ASSERT_FALSE(l.ok()) << text;
    EXPECT_EQ(l.error().text, error) << text;
  }
}

TEST(StatusItems, Parse) {
  Args args = ArgsOf("inbox (MESSAGES recent UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)");
  Parsed<StatusArgs> s = ParseStatusArgs(args, false);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mailbox, "INBOX");
  EXPECT_EQ(s->items, 0x1ffu);
  EXPECT_EQ(StatusItemNames(s->items).front(), "MESSAGES");
  EXPECT_EQ(StatusItemNames(kStatusUnseen | kStatusMessages),
            (std::vector<std::string_view>{"MESSAGES", "UNSEEN"}));
  const std::pair<std::string, std::string> cases[] = {
      {"INBOX (FOO)", "Invalid status item FOO"},
      {"INBOX ()", "Empty status list"},
      {"INBOX", "Missing arguments"},
      {"INBOX MESSAGES", "Invalid arguments"},
      {"INBOX (MESSAGES \"x\")", "Status list contains non-atoms"},
      {"INBOX ((MESSAGES))", "Status list contains non-atoms"},
  };
  for (const auto& [text, error] : cases) {
    Args a = ArgsOf(text);
    EXPECT_EQ(ParseStatusArgs(a, false).error().text, error) << text;
  }
}

}  // namespace
}  // namespace loft::imap

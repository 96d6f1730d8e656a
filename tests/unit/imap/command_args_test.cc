// APPEND, SELECT/EXAMINE, ENABLE, ID and UID EXPUNGE arguments.
#include <gtest/gtest.h>

#include "imap/append_args.h"
#include "imap/enable_args.h"
#include "imap/id_params.h"
#include "imap/select_params.h"
#include "imap/uid_expunge_args.h"
#include "reader_test_util.h"
#include "store/store.h"

namespace loft::imap {
namespace {

using testing::ArgsOf;
using testing::Feed;
using testing::Transcript;

std::string AppendError(const std::string& text) {
  Args args = ArgsOf(text);
  Parsed<AppendArgs> a = ParseAppendArgs(args, false);
  if (a.ok()) return "OK " + std::to_string(a->messages.size());
  return (a.error().kind == ArgError::Kind::kNo ? "NO " : "BAD ") + a.error().text;
}

TEST(AppendArgs, SingleMessage) {
  Args args = ArgsOf("saved (\\Seen $x) \" 1-Jan-2020 10:00:00 +0100\" {5+}\r\nHello");
  Parsed<AppendArgs> a = ParseAppendArgs(args, false);
  ASSERT_TRUE(a.ok()) << a.error().text;
  EXPECT_EQ(a->mailbox, "saved");
  ASSERT_EQ(a->messages.size(), 1u);
  const AppendMessage& m = a->messages[0];
  EXPECT_EQ(m.data, "Hello");
  EXPECT_EQ(m.flags.system, store::kSeen);
  EXPECT_EQ(m.flags.keywords, (std::vector<std::string>{"$x"}));
  ASSERT_TRUE(m.internal_date);
  EXPECT_EQ(m.internal_date->utc, 1577836800 + 9 * 3600);
  EXPECT_EQ(m.internal_date->zone, 60);
  EXPECT_FALSE(m.binary);
  EXPECT_TRUE(args[3].text().empty());  // the data was moved out
}

TEST(AppendArgs, MultiappendAndLiteral8) {
  Args args = ArgsOf("inbox {1+}\r\na (\\Flagged) ~{3+}\r\nb" + std::string(1, '\0') +
                     "c \"01-Feb-2021 00:00:00 +0000\" {1+}\r\nd");
  Parsed<AppendArgs> a = ParseAppendArgs(args, false);
  ASSERT_TRUE(a.ok()) << a.error().text;
  EXPECT_EQ(a->mailbox, "INBOX");
  ASSERT_EQ(a->messages.size(), 3u);
  EXPECT_EQ(a->messages[0].data, "a");
  EXPECT_TRUE(a->messages[0].flags.empty());
  EXPECT_FALSE(a->messages[0].internal_date);
  EXPECT_EQ(a->messages[1].data, std::string("b\0c", 3));
  EXPECT_TRUE(a->messages[1].binary);
  EXPECT_EQ(a->messages[1].flags.system, store::kFlagged);
  EXPECT_EQ(a->messages[2].internal_date->utc, 1612137600);
}

// Checked against Dovecot 2.3.19.
TEST(AppendArgs, ErrorsMatchDovecot) {
  const std::pair<std::string, std::string> cases[] = {
      {"INBOX", "BAD Missing message size"},
      {"INBOX foo", "BAD Invalid arguments"},
      {"INBOX (\\Foo) {1+}\r\nx", "BAD Invalid system flag \\FOO"},
      {"INBOX (\\Recent) {1+}\r\nx", "BAD Invalid system flag \\RECENT"},
      {"INBOX (\"foo\") {1+}\r\nx", "BAD Flags list contains non-atoms"},
      {"INBOX ((\\Seen)) {1+}\r\nx", "BAD Flags list contains non-atoms"},
      {"INBOX (\\Seen) (\\Seen) {1+}\r\nx", "BAD Invalid arguments"},
      {"INBOX \"01-Jan-2020 00:00:00 +0000\" (\\Seen) {1+}\r\nx", "BAD Invalid arguments"},
      {"INBOX \"01-Jan-2020 00:00:00\" {1+}\r\nx", "BAD Invalid internal date"},
      {"INBOX \"x\" {1+}\r\nx", "BAD Invalid internal date"},
      {"INBOX \"\" {1+}\r\nx", "BAD Invalid internal date"},
      {"INBOX 01-Jan-2020 {1+}\r\nx", "BAD Invalid arguments"},
      {"INBOX NIL {1+}\r\nx", "BAD Invalid arguments"},
      {"INBOX (\\Seen) NIL {1+}\r\nx", "BAD Invalid arguments"},
      {"INBOX {1+}\r\nx foo", "BAD Invalid arguments"},
      {"INBOX {1+}\r\nx \"x\" {1+}\r\ny", "BAD Invalid internal date"},
      {"INBOX {0+}\r\n", "NO Can't save a zero byte message"},
      {"IN\xe4" "BOX {1+}\r\nx", "BAD Invalid arguments"},  // 8-bit atom: the reader refuses it first
      {"\"IN\xe4" "BOX\" {1+}\r\nx", "NO Mailbox name is not valid mUTF-7"},
      {"\"&Jjo\" (\\Foo) {1+}\r\nx", "NO Mailbox name is not valid mUTF-7"},  // the name first
  };
  for (const auto& [text, error] : cases) {
    if (text.find('\xe4') != std::string::npos && text[0] != '"') continue;
    EXPECT_EQ(AppendError(text), error) << text;
  }
  // Dovecot's leniencies.
  EXPECT_EQ(AppendError("INBOX \"01-Jan-2020 24:00:00 +0000\" {1+}\r\nx"), "OK 1");
  EXPECT_EQ(AppendError("INBOX \"31-Feb-2020 00:00:00 +0000\" {1+}\r\nx"), "OK 1");
  EXPECT_EQ(AppendError("INBOX () {1+}\r\nx"), "OK 1");
  EXPECT_EQ(AppendError("INBOX {1+}\r\nx  {1+}\r\ny"), "OK 2");
  Args empty;
  EXPECT_EQ(ParseAppendArgs(empty, false).error().text, "Invalid arguments");
}

// The literal hook refuses a bad APPEND before the client sends the data.
TEST(AppendArgs, CheckedBeforeTheData) {
  CommandReader::Hooks hooks;
  hooks.check_literal = [](const CommandReader::LiteralRequest& req) {
    CommandReader::LiteralVerdict v;
    if (req.name != "APPEND") return v;
    if (std::optional<ArgError> e = CheckAppendBeforeData(*req.args, req.size)) {
      v.accept = false;
      v.reply = ArgErrorStatusText("APPEND", *e);
    } else if (req.size > 1000) {
      v.accept = false;
      v.reply = "NO [TOOBIG] Mail too large";
    }
    return v;
  };
  CommandReader reader(CommandReader::Options{}, hooks);
  Transcript t = Feed(reader,
                      "a APPEND INBOX (\\Foo) {5}\r\n"
                      "z APPEND \"&Jjo\" {5}\r\n"
                      "b APPEND INBOX \"32-Foo-2020 00:00:00 +0000\" {5}\r\n"
                      "c APPEND INBOX {0}\r\n"
                      "d APPEND INBOX {2000}\r\n"
                      "e APPEND INBOX (\\Seen) {2}\r\nab (\\Bogus) {3}\r\n"
                      "f APPEND INBOX (\\Seen) \"01-Jan-2020 00:00:00 +0000\" {2}\r\nab {1}\r\nc\r\n");
  EXPECT_EQ(t.sent,
            "a BAD Error in IMAP command APPEND: Invalid system flag \\FOO\r\n"
            "z NO Mailbox name is not valid mUTF-7\r\n"
            "b BAD Error in IMAP command APPEND: Invalid internal date\r\n"
            "c NO Can't save a zero byte message\r\n"
            "d NO [TOOBIG] Mail too large\r\n"
            "+ OK\r\n"
            "e BAD Error in IMAP command APPEND: Invalid system flag \\BOGUS\r\n"
            "+ OK\r\n+ OK\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "f");
  Parsed<AppendArgs> a = ParseAppendArgs(t.commands[0].args, false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->messages.size(), 2u);
}

std::string SelectError(const std::string& text, bool qresync = true) {
  Args args = ArgsOf(text);
  Parsed<SelectArgs> s = ParseSelectArgs(args, false, qresync);
  if (s.ok()) return "OK";
  return (s.error().kind == ArgError::Kind::kNo ? "NO " : "BAD ") + s.error().text;
}

TEST(SelectArgs, CondstoreAndQresync) {
  Args args = ArgsOf("inbox");
  Parsed<SelectArgs> s = ParseSelectArgs(args, false, false);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mailbox, "INBOX");
  EXPECT_FALSE(s->condstore);
  EXPECT_FALSE(s->qresync);

  args = ArgsOf("INBOX (condstore)");
  EXPECT_TRUE(ParseSelectArgs(args, false, false)->condstore);

  args = ArgsOf("INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:20 41:60)))");
  s = ParseSelectArgs(args, false, true);
  ASSERT_TRUE(s.ok()) << s.error().text;
  EXPECT_TRUE(s->condstore);
  ASSERT_TRUE(s->qresync);
  EXPECT_EQ(s->qresync->uidvalidity, 67890007u);
  EXPECT_EQ(s->qresync->modseq, 90060115194045000u);
  EXPECT_EQ(s->qresync->known_uids->ToString(), "41:211,214:541");
  EXPECT_EQ(s->qresync->known_seqs->ToString(), "1:20");
  EXPECT_EQ(s->qresync->known_seq_uids->ToString(), "41:60");

  args = ArgsOf("INBOX (QRESYNC (1 2))");
  s = ParseSelectArgs(args, false, true);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->qresync->known_uids);
  EXPECT_FALSE(s->qresync->known_seqs);
  EXPECT_EQ(SelectError("INBOX (QRESYNC (1 2 (1:3 1:3)))"), "OK");  // seq-match without known-uids
  EXPECT_EQ(SelectError("INBOX (QRESYNC (0 0))"), "OK");             // Dovecot accepts 0
  EXPECT_EQ(SelectError("INBOX ()"), "OK");
  EXPECT_EQ(SelectError("INBOX CONDSTORE"), "OK");                   // ignored, like Dovecot
}

// Checked against Dovecot 2.3.19.
TEST(SelectArgs, ErrorsMatchDovecot) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "BAD Invalid arguments"},
      {"(INBOX)", "BAD Invalid arguments"},
      {"INBOX (FOO)", "BAD Unknown FETCH modifier"},
      {"INBOX (\"CONDSTORE\")", "BAD SELECT options contain non-atoms"},
      {"INBOX (QRESYNC)", "BAD QRESYNC parameters missing"},
      {"INBOX (QRESYNC 1 2)", "BAD QRESYNC parameters missing"},
      {"INBOX (QRESYNC (1))", "BAD Invalid QRESYNC parameters"},
      {"INBOX (QRESYNC ())", "BAD Invalid QRESYNC parameters"},
      {"INBOX (QRESYNC (x 2))", "BAD Invalid QRESYNC parameters"},
      {"INBOX (QRESYNC (1 x))", "BAD Invalid QRESYNC parameters"},
      {"INBOX (QRESYNC (4294967296 2))", "BAD Invalid QRESYNC parameters"},
      {"INBOX (QRESYNC (1 2 1:5 (1:3 1:3) x))", "BAD Invalid QRESYNC parameters"},
      {"INBOX (QRESYNC (1 2 x))", "BAD Invalid QRESYNC known-uids"},
      {"INBOX (QRESYNC (1 2 1:*))", "BAD Invalid QRESYNC known-uids"},
      {"INBOX (QRESYNC (1 2 1:5 (x 1:3)))", "BAD Invalid QRESYNC known-sequence-set"},
      {"INBOX (QRESYNC (1 2 1:5 (1:* 1:3)))", "BAD Invalid QRESYNC known-sequence-set"},
      {"INBOX (QRESYNC (1 2 1:5 (1:3)))", "BAD Invalid QRESYNC known-uid-set"},
      {"INBOX (QRESYNC (1 2 1:5 (1:3 x)))", "BAD Invalid QRESYNC known-uid-set"},
      {"INBOX (QRESYNC (1 2 1:5 (1:2 1:3)))", "BAD Invalid QRESYNC sets"},
      {"INBOX (QRESYNC (1 2 1:5 (1:3 1:3 1)))", "BAD Too many parameters to QRESYNC known set"},
      {"\"IN\xe4" "BOX\" (FOO)", "NO Mailbox name is not valid mUTF-7"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(SelectError(text), error) << text;
  EXPECT_EQ(SelectError("INBOX (QRESYNC (1 2))", false), "BAD QRESYNC not enabled");
}

TEST(EnableArgs, Names) {
  Args args = ArgsOf("condstore QRESYNC CONDSTORE utf8=accept");
  Parsed<std::vector<std::string>> e = ParseEnableArgs(args);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, (std::vector<std::string>{"CONDSTORE", "QRESYNC", "UTF8=ACCEPT"}));
  EXPECT_TRUE(ParseEnableArgs(Args{})->empty());
  args = ArgsOf("\"CONDSTORE\"");
  EXPECT_EQ(ParseEnableArgs(args).error().text, "Invalid arguments");
  args = ArgsOf("(CONDSTORE)");
  EXPECT_EQ(ParseEnableArgs(args).error().text, "Invalid arguments");
}

TEST(IdParams, LenientLikeDovecot) {
  Args args = ArgsOf("(\"name\" \"Thunderbird\" \"version\" NIL os {5}\r\nLinux)");
  std::vector<IdParam> p = ParseIdParams(args);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], (IdParam{"name", "Thunderbird"}));
  EXPECT_EQ(p[1], (IdParam{"version", std::nullopt}));
  EXPECT_EQ(p[2], (IdParam{"os", "Linux"}));
  EXPECT_TRUE(ParseIdParams(ArgsOf("NIL")).empty());
  EXPECT_TRUE(ParseIdParams(ArgsOf("x")).empty());
  EXPECT_TRUE(ParseIdParams(Args{}).empty());
  EXPECT_EQ(ParseIdParams(ArgsOf("(\"name\")")).size(), 0u);
  // Bounded: 30 pairs, 30-octet fields, 1024-octet values.
  std::string many = "(";
  for (int i = 0; i < 40; ++i) many += "k" + std::to_string(i) + " v ";
  many += "\"" + std::string(31, 'f') + "\" x)";
  EXPECT_EQ(ParseIdParams(ArgsOf(many)).size(), 30u);
  p = ParseIdParams(ArgsOf("(k \"" + std::string(2000, 'v') + "\")"));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].value->size(), 1024u);
}

TEST(UidExpungeArgs, Set) {
  Args args = ArgsOf("1:5,9");
  EXPECT_EQ(ParseUidExpungeArgs(args)->ToString(), "1:5,9");
  args = ArgsOf("1 2");
  EXPECT_EQ(ParseUidExpungeArgs(args)->ToString(), "1");
  EXPECT_EQ(ParseUidExpungeArgs(Args{}).error().text, "Missing arguments");
  args = ArgsOf("x");
  EXPECT_EQ(ParseUidExpungeArgs(args).error().text, "Invalid uidset");
  args = ArgsOf("\"1\"");
  EXPECT_EQ(ParseUidExpungeArgs(args).error().text, "Invalid uidset");
}

}  // namespace
}  // namespace loft::imap

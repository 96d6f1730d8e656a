#include "imap/search_keys.h"

#include <gtest/gtest.h>

#include "imap/flags.h"
#include "reader_test_util.h"
#include "store/store.h"

namespace loft::imap {
namespace {

using testing::ArgsOf;

std::string Tree(const std::string& text, const SearchOptions& options = {}) {
  Args args = ArgsOf(text);
  Parsed<SearchProgram> p = ParseSearchArgs(args, options);
  if (!p.ok()) return (p.error().kind == ArgError::Kind::kNo ? "NO " : "BAD ") + p.error().text;
  return p->root.DebugString();
}

TEST(SearchKeys, FlagKeysAndAll) {
  EXPECT_EQ(Tree("ALL"), "ALL");
  EXPECT_EQ(Tree("seen UNSEEN Answered UNANSWERED DELETED UNDELETED DRAFT UNDRAFT FLAGGED UNFLAGGED RECENT OLD"),
            "(AND \\Seen !\\Seen \\Answered !\\Answered \\Deleted !\\Deleted \\Draft !\\Draft \\Flagged !\\Flagged "
            "\\Recent !\\Recent)");
  EXPECT_EQ(Tree("NEW"), "(AND \\Recent !\\Seen)");
  Args args = ArgsOf("UNSEEN");
  SearchKey k = ParseSearchArgs(args)->root;
  EXPECT_EQ(k.type, SearchKey::Type::kFlag);
  EXPECT_EQ(k.flag, store::kSeen);
  EXPECT_FALSE(k.present);
}

TEST(SearchKeys, NestedOrNotAndParentheses) {
  EXPECT_EQ(Tree("OR SEEN FLAGGED"), "(OR \\Seen \\Flagged)");
  EXPECT_EQ(Tree("NOT NOT SEEN"), "(NOT (NOT \\Seen))");
  EXPECT_EQ(Tree("OR OR SEEN DELETED DRAFT"), "(OR (OR \\Seen \\Deleted) \\Draft)");
  EXPECT_EQ(Tree("OR SEEN OR DELETED DRAFT"), "(OR \\Seen (OR \\Deleted \\Draft))");
  EXPECT_EQ(Tree("NOT (SEEN FROM alice) OR (UID 1:5 LARGER 10) NOT TO bob"),
            "(AND (NOT (AND \\Seen (FROM \"alice\"))) (OR (AND (UID 1:5) (LARGER 10)) (NOT (TO \"bob\"))))");
  EXPECT_EQ(Tree("(((SEEN)))"), "\\Seen");  // lists of one key collapse
  EXPECT_EQ(Tree("(ALL) (SEEN)"), "(AND ALL \\Seen)");
  EXPECT_EQ(Tree("OR (SEEN DRAFT) NOT (FLAGGED)"), "(OR (AND \\Seen \\Draft) (NOT \\Flagged))");
}

TEST(SearchKeys, SetsAndSavedResult) {
  EXPECT_EQ(Tree("1:*"), "(SEQ 1:*)");
  EXPECT_EQ(Tree("2,4:6 UID 10:*"), "(AND (SEQ 2,4:6) (UID 10:*))");
  EXPECT_EQ(Tree("$"), "(UID $)");
  EXPECT_EQ(Tree("UID $"), "(UID $)");
  EXPECT_EQ(Tree("*"), "(SEQ *)");
  Args args = ArgsOf("$ 1");
  SearchKey k = ParseSearchArgs(args)->root;
  ASSERT_EQ(k.children.size(), 2u);
  EXPECT_TRUE(k.children[0].set.is_saved_result());
}

TEST(SearchKeys, StringKeys) {
  EXPECT_EQ(Tree("FROM alice TO \"bob b\" CC c BCC d SUBJECT {5}\r\nhello"),
            "(AND (FROM \"alice\") (TO \"bob b\") (CC \"c\") (BCC \"d\") (SUBJECT \"hello\"))");
  EXPECT_EQ(Tree("HEADER x-spam \"\""), "(HEADER X-SPAM \"\")");
  EXPECT_EQ(Tree("BODY word TEXT \"two words\""), "(AND (BODY \"word\") (TEXT \"two words\"))");
  EXPECT_EQ(Tree("KEYWORD $Label1 UNKEYWORD \\Seen"), "(AND (KEYWORD \"$Label1\") (UNKEYWORD \"\\\\Seen\"))");
  EXPECT_EQ(Tree("SUBJECT NIL"), "(SUBJECT \"NIL\")");
  EXPECT_EQ(Tree("CHARSET UTF-8 SUBJECT \"\xc3\xa4\""), "(SUBJECT \"\xc3\xa4\")");
  Args args = ArgsOf("FROM x HEADER FROM y");
  SearchKey k = ParseSearchArgs(args)->root;
  EXPECT_TRUE(k.children[0].named_header);
  EXPECT_FALSE(k.children[1].named_header);
}

TEST(SearchKeys, DatesAndSizes) {
  EXPECT_EQ(Tree("BEFORE 1-Jan-2020 ON \"02-feb-2021\" SINCE 31-Feb-2020"),
            "(AND (BEFORE 2020-01-01) (ON 2021-02-02) (SINCE 2020-03-02))");
  EXPECT_EQ(Tree("SENTBEFORE 1-Jan-2020 SENTON 1-Jan-2020 SENTSINCE 1-Jan-2020"),
            "(AND (SENTBEFORE 2020-01-01) (SENTON 2020-01-01) (SENTSINCE 2020-01-01))");
  EXPECT_EQ(Tree("LARGER 100 SMALLER \"200\""), "(AND (LARGER 100) (SMALLER 200))");
  EXPECT_EQ(Tree("OLDER 60 YOUNGER 3600"), "(AND (OLDER 60) (YOUNGER 3600))");
}

TEST(SearchKeys, ModSeq) {
  EXPECT_EQ(Tree("MODSEQ 5"), "(MODSEQ 5)");
  EXPECT_EQ(Tree("MODSEQ \"/flags/\\\\Seen\" all 5"), "(MODSEQ \"/flags/\\\\seen\" all 5)");
  EXPECT_EQ(Tree("MODSEQ /flags/keyw PRIV 7"), "(MODSEQ \"/flags/keyw\" priv 7)");
  EXPECT_EQ(Tree("MODSEQ /flags/keyw shared 7"), "(MODSEQ \"/flags/keyw\" shared 7)");
  EXPECT_EQ(Tree("MODSEQ \"/x\" all 5"), "BAD Invalid MODSEQ value");
}

TEST(SearchKeys, CharsetAndReturn) {
  Args args = ArgsOf("RETURN (MIN max Count ALL save) CHARSET us-ascii ALL");
  Parsed<SearchProgram> p = ParseSearchArgs(args);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->charset, "US-ASCII");
  ASSERT_TRUE(p->result);
  EXPECT_EQ(*p->result, (SearchReturn{true, true, true, true, true}));
  args = ArgsOf("RETURN () ALL");
  p = ParseSearchArgs(args);
  ASSERT_TRUE(p->result);
  EXPECT_EQ(*p->result, (SearchReturn{false, false, true, false, false}));
  args = ArgsOf("ALL");
  p = ParseSearchArgs(args);
  EXPECT_FALSE(p->result);
  EXPECT_EQ(p->charset, "UTF-8");
}

// Error texts checked against Dovecot 2.3.19.
TEST(SearchKeys, ErrorsMatchDovecot) {
  const std::pair<std::string, std::string> cases[] = {
      {"FOO", "BAD Unknown argument FOO"},
      {"foo", "BAD Unknown argument FOO"},
      {"ALL FOO", "BAD Unknown argument FOO"},
      {"NIL", "BAD Unknown argument NIL"},
      {"\"ALL\"", "BAD Unexpected string as search key: ALL"},
      {"\"1:3\"", "BAD Unexpected string as search key: 1:3"},
      {"0", "BAD Invalid messageset"},
      {"1:0", "BAD Invalid messageset"},
      {"1:*:3", "BAD Invalid messageset"},
      {"4294967296", "BAD Invalid messageset"},
      {"1:$", "BAD Invalid messageset"},
      {"UID 0", "BAD Invalid UID messageset"},
      {"UID x", "BAD Invalid UID messageset"},
      {"UID", "BAD Missing parameter for search key (for search key: UID)"},
      {"UID (1)", "BAD Unexpected ( (for search key: UID)"},
      {"SUBJECT (x)", "BAD Unexpected ( (for search key: SUBJECT)"},
      {"HEADER (x) y", "BAD Unexpected ( (for search key: HEADER)"},
      {"NOT", "BAD Missing argument"},
      {"OR ALL", "BAD Missing argument"},
      {"OR", "BAD Missing argument"},
      {"()", "BAD No search parameters inside list"},
      {"(ALL ())", "BAD No search parameters inside list"},
      {"BEFORE 1-Jan-20", "BAD Invalid search date parameter"},
      {"BEFORE 1-Foo-2020", "BAD Invalid search date parameter"},
      {"SINCE 1-Jan-0", "BAD Invalid search date parameter"},
      {"BEFORE", "BAD Missing parameter for search key (for search key: BEFORE)"},
      {"LARGER x", "BAD Invalid search size parameter"},
      {"LARGER -1", "BAD Invalid search size parameter"},
      {"LARGER 99999999999999999999999", "BAD Invalid search size parameter"},
      {"LARGER", "BAD Missing parameter for search key (for search key: LARGER)"},
      {"HEADER", "BAD Missing parameter for search key (for search key: HEADER)"},
      {"HEADER X", "BAD Missing parameter for search key (for search key: HEADER)"},
      {"KEYWORD", "BAD Missing parameter for search key (for search key: KEYWORD)"},
      {"OLDER 0", "BAD Invalid search interval parameter"},
      {"MODSEQ x", "BAD Invalid MODSEQ value"},
      {"MODSEQ", "BAD Missing parameter for search key (for search key: MODSEQ)"},
      {"MODSEQ \"/flags/\\\\seen\" all", "BAD Missing parameter for search key (for search key: MODSEQ)"},
      {"MODSEQ \"/flags/\\\\seen\" foo 5", "BAD Invalid MODSEQ type"},
      {"MODSEQ \"/flags/\\\\recent\" all 5", "BAD Invalid MODSEQ system flag"},
      {"SUBJECT \"\xe4\"", "BAD Invalid search key"},
      {"CHARSET UTF-8 SUBJECT \"\xc3\"", "BAD Invalid search key"},
      {"CHARSET FOO ALL", "NO [BADCHARSET (UTF-8 US-ASCII)] Unknown charset"},
      {"CHARSET iso-8859-1 ALL", "NO [BADCHARSET (UTF-8 US-ASCII)] Unknown charset"},
      {"CHARSET", "BAD Invalid charset argument"},
      {"CHARSET (UTF-8) ALL", "BAD Invalid charset argument"},
      {"CHARSET UTF-8", "BAD Missing search parameters"},
      {"CHARSET UTF-8 RETURN (MIN) ALL", "BAD Unknown argument RETURN"},
      {"RETURN (FOO) ALL", "BAD Unknown SEARCH return option"},
      {"RETURN (PARTIAL 1:10) ALL", "BAD Unknown SEARCH return option"},
      {"RETURN (\"MIN\") ALL", "BAD SEARCH return options contain non-atoms"},
      {"RETURN ((MIN)) ALL", "BAD SEARCH return options contain non-atoms"},
      {"RETURN ALL", "BAD Unknown argument RETURN"},
      {"RETURN (MIN) RETURN (MAX) ALL", "BAD Unknown argument RETURN"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(Tree(text), error) << text;
  Args none;
  EXPECT_EQ(ParseSearchArgs(none).error().text, "Missing search parameters");
}

TEST(SearchKeys, DepthIsBounded) {
  std::string nots;
  for (int i = 0; i < 300; ++i) nots += "NOT ";
  EXPECT_EQ(Tree(nots + "ALL"), "BAD Too deep search key nesting");
  std::string ors;
  for (int i = 0; i < 199; ++i) ors += "OR ALL ";
  std::string tree = Tree(ors + "ALL");
  EXPECT_EQ(tree.rfind("(OR ALL (OR", 0), 0u) << tree.substr(0, 80);
  SearchOptions shallow;
  shallow.max_depth = 3;
  EXPECT_EQ(Tree("NOT NOT NOT ALL", shallow), "(NOT (NOT (NOT ALL)))");
  EXPECT_EQ(Tree("NOT NOT NOT NOT ALL", shallow), "BAD Too deep search key nesting");
  EXPECT_EQ(Tree("((((ALL))))", shallow), "BAD Too deep search key nesting");
}

}  // namespace
}  // namespace loft::imap

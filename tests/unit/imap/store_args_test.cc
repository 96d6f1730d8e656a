#include "imap/store_args.h"

#include <gtest/gtest.h>

#include "imap/flags.h"
#include "reader_test_util.h"
#include "store/store.h"

namespace loft::imap {
namespace {

using testing::ArgsOf;

Parsed<StoreArgs> Store(const std::string& text, bool uid = false) {
  Args args = ArgsOf(text);
  return ParseStoreArgs(args, uid);
}

std::string Error(const std::string& text, bool uid = false) {
  Parsed<StoreArgs> s = Store(text, uid);
  if (s.ok()) return "OK";
  return (s.error().kind == ArgError::Kind::kNo ? "NO " : "BAD ") + s.error().text;
}

TEST(StoreArgs, Forms) {
  Parsed<StoreArgs> s = Store("1:3 FLAGS (\\Seen \\deleted $Label)");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->set.ToString(), "1:3");
  EXPECT_EQ(s->mode, StoreArgs::Mode::kReplace);
  EXPECT_FALSE(s->silent);
  EXPECT_EQ(s->flags.system, store::kSeen | store::kDeleted);
  EXPECT_EQ(s->flags.keywords, (std::vector<std::string>{"$Label"}));
  EXPECT_FALSE(s->unchanged_since);

  s = Store("5 +flags.silent \\Flagged \\Answered");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mode, StoreArgs::Mode::kAdd);
  EXPECT_TRUE(s->silent);
  EXPECT_EQ(s->flags.system, store::kFlagged | store::kAnswered);

  s = Store("* -FLAGS (a b a)");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->mode, StoreArgs::Mode::kRemove);
  EXPECT_EQ(s->flags.keywords, (std::vector<std::string>{"a", "b"}));

  s = Store("1 FLAGS");  // clears all flags
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->flags.empty());
  s = Store("1 FLAGS ()");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->flags.empty());

  s = Store("1:* (UNCHANGEDSINCE 12345) +FLAGS (\\Seen)", true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->unchanged_since, 12345u);
  EXPECT_EQ(Error("1 () FLAGS (\\Seen)"), "OK");
  EXPECT_EQ(Error("1 +FLAGS (\\Seen) extra"), "OK");
  EXPECT_EQ(Error("1 FLAGS (foo[)"), "OK");
}

// Checked against Dovecot 2.3.19.
TEST(StoreArgs, ErrorsMatchDovecot) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "BAD Invalid arguments"},
      {"1", "BAD Invalid arguments"},
      {"x FLAGS (\\Seen)", "BAD Invalid messageset"},
      {"1 FLAGSX (\\Seen)", "BAD Invalid arguments"},
      {"1 +FLAG (\\Seen)", "BAD Invalid arguments"},
      {"1 X-GMAIL-LABELS (foo)", "BAD Invalid arguments"},
      {"1 FLAGS (\\Foo)", "BAD Invalid system flag \\FOO"},
      {"1 FLAGS (\\Recent)", "BAD Invalid system flag \\RECENT"},
      {"1 FLAGS (\\*)", "BAD Invalid system flag \\*"},
      {"1 FLAGS (\"foo\")", "BAD Flags list contains non-atoms"},
      {"1 FLAGS ((foo))", "BAD Flags list contains non-atoms"},
      {"1 FLAGS (fo%o)", "NO [CANNOT] Invalid characters in keyword"},
      {"1 FLAGS (fo*o)", "NO [CANNOT] Invalid characters in keyword"},
      {"1 (UNCHANGEDSINCE x) FLAGS (\\Seen)", "BAD Invalid modseq"},
      {"1 (UNCHANGEDSINCE) FLAGS (\\Seen)", "BAD Invalid STORE modifiers"},
      {"1 (\"UNCHANGEDSINCE\" 1) FLAGS (\\Seen)", "BAD Invalid STORE modifiers"},
      {"1 (FOO 1) FLAGS (\\Seen)", "BAD Unknown STORE modifier"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(Error(text), error) << text;
  EXPECT_EQ(Error("x FLAGS (\\Seen)", true), "BAD Invalid uidset");
}

TEST(Flags, SystemFlagsAndKeywords) {
  EXPECT_EQ(SystemFlagBit("\\SEEN"), store::kSeen);
  EXPECT_EQ(SystemFlagBit("\\recent"), kRecentFlag);
  EXPECT_FALSE(SystemFlagBit("\\Foo"));
  EXPECT_EQ(SystemFlagNames(store::kSeen | store::kAnswered | kRecentFlag),
            (std::vector<std::string_view>{"\\Answered", "\\Seen", "\\Recent"}));
  EXPECT_FALSE(KeywordError("$Label1"));
  EXPECT_FALSE(KeywordError(std::string(255, 'k')));
  EXPECT_EQ(KeywordError(std::string(256, 'k')), "[CANNOT] Keyword length too long");
  EXPECT_EQ(KeywordError("a]"), "[CANNOT] Invalid characters in keyword");
  EXPECT_EQ(KeywordError("a\\b"), "[CANNOT] Invalid characters in keyword");
  EXPECT_EQ(KeywordError("\xc3\xa4"), "[CANNOT] 8bit characters in keyword");
  // Syntax first, in order: a bad system flag before a bad keyword.
  Args args = ArgsOf("(fo%o \\Foo)");
  EXPECT_EQ(ParseFlags(args[0].list()).error(), ArgError::Bad("Invalid system flag \\FOO"));
}

}  // namespace
}  // namespace loft::imap

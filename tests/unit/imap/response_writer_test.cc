#include "imap/response_writer.h"

#include <gtest/gtest.h>

#include "imap/arg_error.h"
#include "imap/flags.h"
#include "imap/raw_line_reader.h"
#include "reader_test_util.h"
#include "store/store.h"

namespace loft::imap {
namespace {

template <typename F>
std::string Out(F f) {
  std::string s;
  f(s);
  return s;
}

TEST(ResponseWriter, Strings) {
  EXPECT_EQ(Out([](std::string& o) { AppendString(o, "hello"); }), "\"hello\"");
  EXPECT_EQ(Out([](std::string& o) { AppendString(o, "a\"b"); }), "\"a\\\"b\"");
  EXPECT_EQ(Out([](std::string& o) { AppendString(o, "l1\r\nl2"); }), "{6}\r\nl1\r\nl2");
  EXPECT_EQ(Out([](std::string& o) { AppendString(o, "\xc3\xa4"); }), "{2}\r\n\xc3\xa4");
  EXPECT_EQ(Out([](std::string& o) { AppendNString(o, std::nullopt); }), "NIL");
  EXPECT_EQ(Out([](std::string& o) { AppendAString(o, "INBOX"); }), "INBOX");
  EXPECT_EQ(Out([](std::string& o) { AppendAString(o, "a]b"); }), "a]b");
  EXPECT_EQ(Out([](std::string& o) { AppendAString(o, "NIL"); }), "\"NIL\"");
  EXPECT_EQ(Out([](std::string& o) { AppendAString(o, ""); }), "\"\"");
  EXPECT_EQ(Out([](std::string& o) { AppendAString(o, "a b"); }), "\"a b\"");
  EXPECT_EQ(Out([](std::string& o) { AppendAString(o, "a%"); }), "\"a%\"");
  EXPECT_EQ(Out([](std::string& o) { AppendUtf8String(o, "\xc3\xa4"); }), "\"\xc3\xa4\"");
  EXPECT_EQ(Out([](std::string& o) { AppendUtf8String(o, "\xe4"); }), "{1}\r\n\xe4");
  EXPECT_EQ(Out([](std::string& o) { AppendUtf8String(o, "a\nb"); }), "{3}\r\na\nb");
  EXPECT_EQ(Out([](std::string& o) { AppendLiteral(o, "xy"); }), "{2}\r\nxy");
  EXPECT_EQ(Out([](std::string& o) { AppendLiteral(o, std::string("\0", 1), true); }), std::string("~{1}\r\n\0", 7));
}

TEST(ResponseWriter, MailboxNames) {
  EXPECT_EQ(Out([](std::string& o) { AppendMailboxName(o, "INBOX", false); }), "INBOX");
  EXPECT_EQ(Out([](std::string& o) { AppendMailboxName(o, "Entw\xc3\xbc" "rfe", false); }), "Entw&APw-rfe");
  EXPECT_EQ(Out([](std::string& o) { AppendMailboxName(o, "Entw\xc3\xbc" "rfe", true); }),
            "\"Entw\xc3\xbc" "rfe\"");
  EXPECT_EQ(Out([](std::string& o) { AppendMailboxName(o, "a b", false); }), "\"a b\"");
  EXPECT_EQ(Out([](std::string& o) { AppendMailboxName(o, "a&b", false); }), "a&-b");
}

TEST(ResponseWriter, FlagsAndSets) {
  std::vector<std::string> kw = {"$Label1", "Project_X"};
  EXPECT_EQ(Out([&](std::string& o) { AppendFlagList(o, store::kSeen | store::kDeleted | kRecentFlag, kw); }),
            "(\\Deleted \\Seen \\Recent $Label1 Project_X)");
  EXPECT_EQ(Out([](std::string& o) { AppendFlagList(o, 0, {}); }), "()");
  EXPECT_EQ(FormatSequenceSet(RangeList::FromNumbers({1, 2, 3, 5, 7, 8})), "1:3,5,7:8");
  std::vector<uint32_t> uids = {1, 2, 3, 7, 5, 6, 4294967295u};
  EXPECT_EQ(FormatNumberList(uids), "1:3,7,5:6,4294967295");
  EXPECT_EQ(FormatNumberList({}), "");
}

TEST(ArgError, Replies) {
  EXPECT_EQ(ArgErrorReply("a1", "UID FETCH", ArgError::Bad("Invalid uidset")),
            "a1 BAD Error in IMAP command UID FETCH: Invalid uidset\r\n");
  EXPECT_EQ(ArgErrorReply("a1", "SEARCH", ArgError::No("[BADCHARSET (UTF-8 US-ASCII)] Unknown charset")),
            "a1 NO [BADCHARSET (UTF-8 US-ASCII)] Unknown charset\r\n");
  EXPECT_EQ(CommandReader::BadReply("", "", "Invalid tag"), "* BAD Error in IMAP tag: Invalid tag\r\n");
}

TEST(RawLineReader, LinesAndLimits) {
  RawLineReader r(10);
  std::string in = "dGVzdA==\r\nDONE\nrest";
  std::string line;
  ASSERT_EQ(r.read(in, &line), RawLineReader::Status::kLine);
  EXPECT_EQ(line, "dGVzdA==");
  ASSERT_EQ(r.read(in, &line), RawLineReader::Status::kLine);
  EXPECT_EQ(line, "DONE");
  EXPECT_EQ(r.read(in, &line), RawLineReader::Status::kNeedMore);
  EXPECT_EQ(in, "");
  in = "\r\n";
  ASSERT_EQ(r.read(in, &line), RawLineReader::Status::kLine);
  EXPECT_EQ(line, "rest");
  in = std::string(20, 'x');
  EXPECT_EQ(r.read(in, &line), RawLineReader::Status::kTooLong);
  in = std::string(1000, 'x') + "\r\nok\r\n";
  EXPECT_EQ(r.read(in, &line), RawLineReader::Status::kLine);  // the rest of the long line is dropped
  EXPECT_EQ(line, "ok");
  in = "0123456789\r\n";
  ASSERT_EQ(r.read(in, &line), RawLineReader::Status::kLine);
  EXPECT_EQ(line, "0123456789");
}

TEST(Args, Accessors) {
  Args a = testing::ArgsOf("atom \"str\" {3}\r\nlit NiL (x) BODY[HEADER.FIELDS (A)]");
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].astring(), "atom");
  EXPECT_EQ(a[0].atom(), "atom");
  EXPECT_FALSE(a[0].string());
  EXPECT_EQ(a[1].string(), "str");
  EXPECT_FALSE(a[1].atom());
  EXPECT_EQ(a[2].string(), "lit");
  EXPECT_EQ(a[2].astring(), "lit");
  EXPECT_TRUE(a[3].is_nil());
  EXPECT_TRUE(a[3].is_atom("nil"));
  EXPECT_EQ(a[3].astring(), "NiL");
  EXPECT_FALSE(a[4].astring());
  EXPECT_TRUE(a[5].is_section_atom());
  EXPECT_FALSE(a[5].astring());
  EXPECT_EQ(DebugString(a), "atom \"str\" {3} NiL (x) BODY[HEADER.FIELDS (A)]");
}

}  // namespace
}  // namespace loft::imap

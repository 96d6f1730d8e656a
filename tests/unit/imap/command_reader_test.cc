#include "imap/command_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "reader_test_util.h"

namespace loft::imap {
namespace {

using testing::Feed;
using testing::Transcript;
using Status = CommandReader::Status;

std::string Dbg(const Command& c) { return DebugString(c.args); }

TEST(CommandReader, SimpleCommand) {
  Transcript t = Feed("a1 NOOP\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "a1");
  EXPECT_EQ(t.commands[0].name, "NOOP");
  EXPECT_FALSE(t.commands[0].uid);
  EXPECT_TRUE(t.commands[0].args.empty());
  EXPECT_EQ(t.sent, "");
}

TEST(CommandReader, NameIsUpperCasedAndUidIsSplitOff) {
  Transcript t = Feed("x uid fetch 1:* (FLAGS)\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].name, "FETCH");
  EXPECT_TRUE(t.commands[0].uid);
  EXPECT_EQ(t.commands[0].display_name(), "UID FETCH");
  EXPECT_EQ(Dbg(t.commands[0]), "1:* (FLAGS)");
}

TEST(CommandReader, ArgumentKinds) {
  Transcript t = Feed("a X atom \"quo\\\"ted\\\\\" nil NIL (a (b \"\") ()) \\Seen foo/% [x]\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  const Args& a = t.commands[0].args;
  ASSERT_EQ(a.size(), 8u);
  EXPECT_TRUE(a[0].is_atom());
  EXPECT_EQ(a[0].text(), "atom");
  EXPECT_TRUE(a[1].is_string());
  EXPECT_EQ(a[1].text(), "quo\"ted\\");
  EXPECT_TRUE(a[2].is_nil());
  EXPECT_EQ(a[2].astring(), "nil");  // NIL keeps its spelling as an astring
  EXPECT_TRUE(a[3].is_nil());
  ASSERT_TRUE(a[4].is_list());
  EXPECT_EQ(a[4].DebugString(), "(a (b \"\") ())");
  EXPECT_EQ(a[5].atom(), "\\Seen");
  EXPECT_EQ(a[6].atom(), "foo/%");
  EXPECT_EQ(a[7].atom(), "[x]");
}

TEST(CommandReader, BackslashEscapesAnyCharacterLikeDovecot) {
  Transcript t = Feed("a STATUS \"IN\\BOX\" x\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].args[0].text(), "INBOX");
}

TEST(CommandReader, LfOnlyLineEnds) {
  Transcript t = Feed("a SELECT INBOX\nb NOOP\n");
  ASSERT_EQ(t.commands.size(), 2u);
  EXPECT_EQ(Dbg(t.commands[0]), "INBOX");
  EXPECT_EQ(t.commands[1].name, "NOOP");
}

TEST(CommandReader, StopsAfterEachCommandLeavingPipelinedInput) {
  CommandReader r;
  std::string in = "a NOOP\r\nb CHECK\r\nc LOGOUT";
  ASSERT_EQ(r.read(in), Status::kCommand);
  EXPECT_EQ(r.take_command().tag, "a");
  EXPECT_EQ(in, "b CHECK\r\nc LOGOUT");
  ASSERT_EQ(r.read(in), Status::kCommand);
  EXPECT_EQ(r.take_command().tag, "b");
  EXPECT_EQ(r.read(in), Status::kNeedMore);
  EXPECT_EQ(in, "");  // the partial line moved into the reader
  in = "\r\n";
  ASSERT_EQ(r.read(in), Status::kCommand);
  EXPECT_EQ(r.take_command().name, "LOGOUT");
}

TEST(CommandReader, SynchronisingLiteralAsksForContinuation) {
  CommandReader r;
  std::string in = "a LOGIN {5}\r\n";
  ASSERT_EQ(r.read(in), Status::kContinue);
  EXPECT_EQ(r.reply(), "+ OK\r\n");
  EXPECT_EQ(r.read(in), Status::kNeedMore);
  in = "alice {6}\r\n";
  ASSERT_EQ(r.read(in), Status::kContinue);
  in = std::string("s3\0r t\r\n", 8);
  ASSERT_EQ(r.read(in), Status::kCommand);
  Command c = r.take_command();
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_TRUE(c.args[0].is_literal());
  EXPECT_EQ(c.args[0].text(), "alice");
  EXPECT_EQ(c.args[1].text(), std::string("s3\0r t", 6));
  EXPECT_EQ(c.literal_octets, 11u);
}

TEST(CommandReader, ContinuationTextIsConfigurable) {
  CommandReader::Options o;
  o.continuation = "+ go ahead\r\n";
  CommandReader r(o);
  Transcript t = Feed(r, "a LOGIN {1}\r\nx y\r\n");
  EXPECT_EQ(t.sent, "+ go ahead\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
}

TEST(CommandReader, NonSynchronisingAndBinaryLiterals) {
  // ~{4} is synchronising: one continuation.
  std::string in = std::string("a APPEND INBOX (\\Seen) {3+}\r\nab\n ~{4}\r\n") + std::string("\0\1\2\3", 4) + "\r\n";
  Transcript t = Feed(in);
  EXPECT_EQ(t.sent, "+ OK\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  const Args& a = t.commands[0].args;
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[2].text(), "ab\n");
  EXPECT_FALSE(a[2].literal8());
  EXPECT_TRUE(a[3].literal8());
  EXPECT_EQ(a[3].text(), std::string("\0\1\2\3", 4));
}

TEST(CommandReader, Literal8OnlyWhereTheCommandTakesIt) {
  CommandReader::Hooks hooks;
  hooks.allows_literal8 = [](const CommandReader::CommandHead& h) { return h.name == "X-BIN"; };
  CommandReader r(CommandReader::Options{}, hooks);
  Transcript t = Feed(r, "a X-BIN ~{2+}\r\nab\r\nb APPEND INBOX ~{2+}\r\nab\r\nc NOOP\r\n");
  EXPECT_EQ(t.sent, "b BAD Error in IMAP command APPEND: literal8 not allowed here\r\n");
  ASSERT_EQ(t.commands.size(), 2u);  // a and c; b's data was skipped
  EXPECT_TRUE(t.commands[0].args[0].literal8());
  EXPECT_EQ(t.commands[1].tag, "c");
}

TEST(CommandReader, LiteralInsideListAndListClosedAfterIt) {
  Transcript t = Feed("a X (\"a\" {3}\r\nabc) (b {0+}\r\n)\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(Dbg(t.commands[0]), "(\"a\" {3}) (b {0})");
  EXPECT_EQ(t.commands[0].args[0].list()[1].text(), "abc");
}

TEST(CommandReader, ByteAtATimeGivesTheSameResult) {
  const std::string in =
      "a1 LOGIN {5}\r\nalice \"pw\"\r\n"
      "a2 APPEND INBOX (\\Seen $x) \"01-Jan-2020 00:00:00 +0000\" {12+}\r\nHello\r\nWorld ~{2}\r\nxy\r\n"
      "a3 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10>)\r\n"
      "a4 BAD(\r\n"
      "a5 NOOP\r\n";
  Transcript whole = Feed(in);
  for (size_t chunk : {1, 2, 3, 7, 13}) {
    Transcript t = Feed(in, chunk);
    EXPECT_EQ(t.sent, whole.sent) << chunk;
    ASSERT_EQ(t.commands.size(), whole.commands.size()) << chunk;
    for (size_t i = 0; i < t.commands.size(); ++i) {
      EXPECT_EQ(t.commands[i].tag, whole.commands[i].tag);
      EXPECT_EQ(t.commands[i].args, whole.commands[i].args) << chunk << " " << i;
    }
  }
  ASSERT_EQ(whole.commands.size(), 4u);
  EXPECT_EQ(whole.sent, "+ OK\r\n+ OK\r\na4 BAD Error in IMAP command: Invalid command name\r\n");
  EXPECT_EQ(whole.commands[1].args[3].text(), "Hello\r\nWorld");
  EXPECT_EQ(whole.commands[1].args[4].text(), "xy");
  EXPECT_EQ(whole.commands[3].tag, "a5");
}

TEST(CommandReader, SectionAtomKeepsBracketsWhole) {
  Transcript t = Feed("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From \"X y\")]<0.10> BODY[TEXT] body[1.MIME])\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  const Args& list = t.commands[0].args[1].list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_TRUE(list[0].is_section_atom());
  EXPECT_EQ(list[0].text(), "BODY.PEEK[HEADER.FIELDS (From \"X y\")]<0.10>");
  EXPECT_FALSE(list[0].astring().has_value());
  EXPECT_FALSE(list[1].is_section_atom());
  EXPECT_EQ(list[1].text(), "BODY[TEXT]");
  EXPECT_EQ(list[2].text(), "body[1.MIME]");
}

TEST(CommandReader, BracketsOfOtherAtomsAreNotMerged) {
  Transcript t = Feed("a SEARCH HEADER X-[ y]\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(Dbg(t.commands[0]), "HEADER X-[ y]");
  EXPECT_EQ(t.commands[0].args.size(), 3u);
}

TEST(CommandReader, SectionWithLiteralFallsBackToDovecotsSplitForm) {
  Transcript t = Feed("a FETCH 1 BODY[HEADER.FIELDS ({4}\r\nFrom)]\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(Dbg(t.commands[0]), "1 BODY[HEADER.FIELDS ({4}) ]");
}

struct ErrorCase {
  std::string input;
  std::string sent;
};

// Replies checked against Dovecot 2.3.19 (timing suffix removed).
TEST(CommandReader, ErrorsMatchDovecot) {
  const ErrorCase cases[] = {
      {"\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"* NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"+ NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a+b NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a(b NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a] NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a% NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a\x80 NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {" a NOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a\tNOOP\r\n", "* BAD Error in IMAP tag: Invalid tag\r\n"},
      {"a\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a \r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a  NOOP\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a N(OOP\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {std::string("a NO\0OP\r\n", 9), "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a NO\xe4OP\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a NO]OP\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a UID\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a UID  FETCH 1\r\n", "a BAD Error in IMAP command: Invalid command name\r\n"},
      {"a SELECT (INBOX\r\n", "a BAD Error in IMAP command SELECT: Missing ')'\r\n"},
      {"a SELECT INBOX)\r\n", "a BAD Error in IMAP command SELECT: Unexpected ')'\r\n"},
      {"a SELECT )\r\n", "a BAD Error in IMAP command SELECT: Unexpected ')'\r\n"},
      {std::string("a SELECT \"IN\0BOX\"\r\n", 19), "a BAD Error in IMAP command SELECT: NULs not allowed in strings\r\n"},
      {std::string("a SELECT IN\0BOX\r\n", 17), "a BAD Error in IMAP command SELECT: Invalid characters in atom\r\n"},
      {"a SELECT IN\xe4" "BOX\r\n", "a BAD Error in IMAP command SELECT: 8bit data in atom\r\n"},
      {"a SELECT {5x}\r\n", "a BAD Error in IMAP command SELECT: Invalid literal size\r\n"},
      {"a SELECT {5\r\n", "a BAD Error in IMAP command SELECT: Invalid literal size\r\n"},
      {"a SELECT {5+x}\r\n", "a BAD Error in IMAP command SELECT: Expecting '}' after '+'\r\n"},
      {"a SELECT {5}x\r\n", "a BAD Error in IMAP command SELECT: Missing LF after literal size\r\n"},
      {"a SELECT {5}\rx\r\n", "a BAD Error in IMAP command SELECT: Missing LF after literal size\r\n"},
      {"a SELECT \"INBOX\r\n", "a BAD Error in IMAP command SELECT: Missing '\"'\r\n"},
      {"a SELECT \"INBOX\\\r\n", "a BAD Error in IMAP command SELECT: Missing '\"'\r\n"},
      {"a SELECT INBOX\rx\r\n", "a BAD Error in IMAP command SELECT: CR sent without LF\r\n"},
      {"a SELECT ~{3}\r\n", "a BAD Error in IMAP command SELECT: literal8 not allowed here\r\n"},
      {std::string("a SELECT (~{ \0\r\n", 16), "a BAD Error in IMAP command SELECT: literal8 not allowed here\r\n"},
      {"a SELECT ~x\r\n", ""},
      {"a SELECT {65537}\r\n", "a BAD Error in IMAP command SELECT: Literal size too large\r\n"},
      {"a UID FETCH 1 (FLAGS\r\n", "a BAD Error in IMAP command UID FETCH: Missing ')'\r\n"},
  };
  for (const ErrorCase& c : cases) {
    Transcript t = Feed(c.input + "z NOOP\r\n");
    EXPECT_EQ(t.sent, c.sent) << c.input;
    EXPECT_FALSE(t.closed) << c.input;
    // The reader recovers: the next command is read normally.
    ASSERT_EQ(t.commands.size(), c.sent.empty() ? 2u : 1u) << c.input;
    EXPECT_EQ(t.commands.back().tag, "z") << c.input;
  }
}

TEST(CommandReader, UnknownCommandsAreRefusedBeforeTheirLiterals) {
  CommandReader::Hooks hooks;
  hooks.is_known = [](const CommandReader::CommandHead& h) { return h.name != "FOO" || h.uid; };
  CommandReader r(CommandReader::Options{}, hooks);
  Transcript t = Feed(r, "a FOO {5}\r\nb FOO {3+}\r\nabc\r\nc UID FOO x\r\n");
  EXPECT_EQ(t.sent,
            "a BAD Error in IMAP command FOO: Unknown command\r\n"
            "b BAD Error in IMAP command FOO: Unknown command\r\n");
  ASSERT_EQ(t.commands.size(), 1u);  // the {3+} data was skipped, not run
  EXPECT_EQ(t.commands[0].tag, "c");
}

TEST(CommandReader, LiteralHookRefusesOversizedAppendWithoutContinuation) {
  CommandReader::Hooks hooks;
  struct Seen {
    std::string tag;
    uint64_t size;
    bool nonsync;
    size_t index;
  };
  std::vector<Seen> seen;
  hooks.check_literal = [&seen](const CommandReader::LiteralRequest& req) {
    seen.push_back({std::string(req.tag), req.size, req.nonsync, req.index});
    CommandReader::LiteralVerdict v;
    if (req.name == "APPEND" && req.size > 100) {
      v.accept = false;
      v.reply = "NO [TOOBIG] Mail too large";
    }
    return v;
  };
  CommandReader r(CommandReader::Options{}, hooks);
  Transcript t = Feed(r, "a APPEND INBOX {1000}\r\nb APPEND INBOX {5}\r\nhello\r\n");
  EXPECT_EQ(t.sent, "a NO [TOOBIG] Mail too large\r\n+ OK\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "b");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].tag, "a");
  EXPECT_EQ(seen[0].size, 1000u);
  EXPECT_FALSE(seen[0].nonsync);
  EXPECT_EQ(seen[1].index, 0u);
}

TEST(CommandReader, RefusedNonSynchronisingLiteralIsSkippedNotBuffered) {
  CommandReader::Hooks hooks;
  hooks.check_literal = [](const CommandReader::LiteralRequest& req) {
    return req.size > 100 ? CommandReader::LiteralVerdict{false, "NO [TOOBIG] Mail too large"}
                          : CommandReader::LiteralVerdict{};
  };
  CommandReader r(CommandReader::Options{}, hooks);
  std::string big(100000, 'x');
  Transcript t = Feed(r, "a APPEND INBOX {100000+}\r\n" + big + " (\\Seen) {3+}\r\nabc\r\nb NOOP\r\n", 4096);
  EXPECT_EQ(t.sent, "a NO [TOOBIG] Mail too large\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "b");
  EXPECT_LT(t.max_buffered, 10000u);
}

TEST(CommandReader, MultiappendAsksForEachLiteral) {
  CommandReader::Hooks hooks;
  std::vector<size_t> indexes;
  hooks.check_literal = [&indexes](const CommandReader::LiteralRequest& req) {
    indexes.push_back(req.index);
    return CommandReader::LiteralVerdict{};
  };
  CommandReader r(CommandReader::Options{}, hooks);
  Transcript t = Feed(r, "a APPEND INBOX {1}\r\nx {2}\r\nyz (\\Seen) {1+}\r\nw\r\n");
  EXPECT_EQ(t.sent, "+ OK\r\n+ OK\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(Dbg(t.commands[0]), "INBOX {1} {2} (\\Seen) {1}");
  EXPECT_EQ(indexes, (std::vector<size_t>{0, 1, 2}));
}

TEST(CommandReader, LiteralMinusLimitsNonSynchronisingLiterals) {
  CommandReader::Options o;
  o.literal_minus = true;
  o.max_literal_size = 1 << 20;
  CommandReader r(o);
  std::string data(5000, 'd');
  Transcript t = Feed(r, "a APPEND INBOX {5000+}\r\n" + data + "\r\nb LOGIN {4096+}\r\n" + std::string(4096, 'e') +
                             " x\r\nc LOGIN {5000+}\r\n" + data + " x\r\nd NOOP\r\n");
  EXPECT_EQ(t.sent,
            "a BAD [TOOBIG] Error in IMAP command APPEND: Non-synchronizing literal size too large\r\n"
            "c BAD Error in IMAP command LOGIN: Non-synchronizing literal size too large\r\n");
  ASSERT_EQ(t.commands.size(), 2u);
  EXPECT_EQ(t.commands[0].tag, "b");
  EXPECT_EQ(t.commands[1].tag, "d");
  // A synchronising literal of the same size is fine.
  CommandReader r2(o);
  Transcript t2 = Feed(r2, "a APPEND INBOX {5000}\r\n" + data + "\r\n");
  EXPECT_EQ(t2.sent, "+ OK\r\n");
  EXPECT_EQ(t2.commands.size(), 1u);
}

TEST(CommandReader, LiteralPlusWithoutMinusHasNoSpecialLimit) {
  CommandReader::Options o;
  o.max_literal_size = 1 << 20;
  CommandReader r(o);
  Transcript t = Feed(r, "a LOGIN {5000+}\r\n" + std::string(5000, 'e') + " x\r\n");
  EXPECT_EQ(t.sent, "");
  ASSERT_EQ(t.commands.size(), 1u);
}

TEST(CommandReader, LiteralSizeOverflow) {
  // Synchronising: the client sends nothing more, so a BAD is enough.
  Transcript t = Feed("a SELECT {99999999999999999999}\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command SELECT: Literal size too large\r\n");
  EXPECT_FALSE(t.closed);
  EXPECT_EQ(t.commands.size(), 1u);
  // Non-synchronising: the data cannot be skipped.
  t = Feed("a SELECT {99999999999999999999+}\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "* BYE Literal size too large\r\n");
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(t.commands.empty());
}

TEST(CommandReader, HugeRefusedNonSyncLiteralClosesTheConnection) {
  CommandReader::Options o;
  o.max_discard = 1000;
  o.max_literal_size = 100;
  CommandReader r(o);
  Transcript t = Feed(r, "a SELECT {1001+}\r\n" + std::string(1001, 'x'));
  EXPECT_EQ(t.sent, "* BYE Literal size too large\r\n");
  EXPECT_TRUE(t.closed);
  CommandReader::Hooks hooks;
  hooks.check_literal = [](const CommandReader::LiteralRequest&) {
    return CommandReader::LiteralVerdict{false, "NO [TOOBIG] Mail too large"};
  };
  CommandReader r2(o, hooks);
  t = Feed(r2, "a APPEND INBOX {5000+}\r\n");
  EXPECT_EQ(t.sent, "* BYE [TOOBIG] Mail too large\r\n");
  EXPECT_TRUE(t.closed);
}

TEST(CommandReader, ClosedReaderIgnoresFurtherInput) {
  CommandReader r;
  std::string in = "a SELECT {99999999999999999999+}\r\nb NOOP\r\n";
  ASSERT_EQ(r.read(in), Status::kReply);
  EXPECT_TRUE(r.fatal());
  EXPECT_EQ(r.read(in), Status::kNeedMore);
  EXPECT_EQ(in, "");
}

TEST(CommandReader, TotalCommandSizeIsBounded) {
  CommandReader::Options o;
  o.max_command_size = 100;
  CommandReader r(o);
  Transcript t = Feed(r, "a APPEND INBOX {50}\r\n" + std::string(50, 'x') + " {50}\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "+ OK\r\na BAD Error in IMAP command APPEND: Literal size too large\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "b");
}

TEST(CommandReader, TooLongLineIsSkippedWithoutBuffering) {
  std::string big(1 << 20, 'x');
  Transcript t = Feed("a SELECT " + big + "\r\nb NOOP\r\n", 65536);
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command SELECT: Too long argument\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "b");
  EXPECT_LE(t.max_buffered, 64 * 1024 + 1);

  t = Feed(big + "\r\nb NOOP\r\n", 100000);
  EXPECT_EQ(t.sent, "* BAD Error in IMAP tag: Too long argument\r\n");
  ASSERT_EQ(t.commands.size(), 1u);

  t = Feed("a " + big + "\r\nb NOOP\r\n", 3000);
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command: Too long argument\r\n");

  t = Feed("a UID FETCH " + big + "\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command UID FETCH: Too long argument\r\n");
}

TEST(CommandReader, TooLongLineEndingInNonSyncLiteralSkipsTheLiteralToo) {
  std::string big(70000, 'x');
  Transcript t = Feed("a SELECT " + big + " {5+}\r\nb NOO\r\nc NOOP\r\n", 1000);
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command SELECT: Too long argument\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "c");  // "b NOO\r\n" was the literal's data
}

TEST(CommandReader, LineLimitCountsAllLinesOfACommandButNotLiterals) {
  CommandReader::Options o;
  o.max_line_length = 100;
  o.max_literal_size = 1000;
  CommandReader r(o);
  // 900 octets of literal data are fine; the text is short.
  Transcript t = Feed(r, "a LOGIN {900}\r\n" + std::string(900, 'x') + " y\r\n");
  EXPECT_EQ(t.commands.size(), 1u);
  // Two lines of 60 octets exceed the 100 octets of text.
  CommandReader r2(o);
  t = Feed(r2, "a LOGIN " + std::string(48, 'x') + " {1}\r\ny " + std::string(60, 'z') + "\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "+ OK\r\na BAD Error in IMAP command LOGIN: Too long argument\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].tag, "b");
}

TEST(CommandReader, SkipOfAnEndlessLineIsBoundedToo) {
  CommandReader::Options o;
  o.max_discard = 200000;
  CommandReader r(o);
  Transcript t = Feed(r, std::string(300000, 'x'), 10000);
  EXPECT_EQ(t.sent, "* BAD Error in IMAP tag: Too long argument\r\n* BYE Too long argument\r\n");
  EXPECT_TRUE(t.closed);
  EXPECT_LE(t.max_buffered, 64 * 1024 + 100);
}

TEST(CommandReader, NestingDepthIsBounded) {
  std::string deep(101, '(');
  deep += std::string(101, ')');
  Transcript t = Feed("a FETCH 1 " + deep + "\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command FETCH: Too deeply nested lists\r\n");
  ASSERT_EQ(t.commands.size(), 1u);
  std::string ok(100, '(');
  ok += std::string(100, ')');
  t = Feed("a FETCH 1 " + ok + "\r\n");
  EXPECT_EQ(t.sent, "");
  EXPECT_EQ(t.commands.size(), 1u);
}

TEST(CommandReader, ArgumentCountIsBounded) {
  std::string many;
  for (int i = 0; i < 10001; ++i) many += "x ";
  Transcript t = Feed("a SEARCH " + many + "\r\nb NOOP\r\n");
  EXPECT_EQ(t.sent, "a BAD Error in IMAP command SEARCH: Too many arguments\r\n");
  EXPECT_EQ(t.commands.size(), 1u);
}

TEST(CommandReader, ResetDropsAPartialCommand) {
  CommandReader r;
  std::string in = "a LOGIN {5}\r\nab";
  ASSERT_EQ(r.read(in), Status::kContinue);
  EXPECT_EQ(r.read(in), Status::kNeedMore);
  r.reset();
  in = "b NOOP\r\n";
  ASSERT_EQ(r.read(in), Status::kCommand);
  EXPECT_EQ(r.take_command().tag, "b");
}

TEST(CommandReader, TrailingLiteralDetection) {
  auto h = TrailingLiteral("a APPEND x {12+}");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size, 12u);
  EXPECT_TRUE(h->nonsync);
  EXPECT_FALSE(h->literal8);
  h = TrailingLiteral("x ~{7}");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->literal8);
  EXPECT_FALSE(h->nonsync);
  EXPECT_FALSE(TrailingLiteral("x {7"));
  EXPECT_FALSE(TrailingLiteral("x 7}"));
  EXPECT_FALSE(TrailingLiteral("}"));
  EXPECT_TRUE(TrailingLiteral("{99999999999999999999+}")->overflow);
}

// Random bytes, random chunking: no crash, bounded memory, and the reader
// keeps answering.
TEST(CommandReader, RandomInputStaysBounded) {
  std::mt19937 rng(12345);
  static const char kAlphabet[] = "a1 ()\"\\{}+~*[]%\r\n\0\x80xyzBODY.PEEK[0123456789";
  const std::string alphabet(kAlphabet, sizeof(kAlphabet) - 1);
  CommandReader::Options o;
  o.max_line_length = 4096;
  o.max_literal_size = 4096;
  for (int round = 0; round < 300; ++round) {
    std::string in;
    size_t len = rng() % 5000;
    for (size_t i = 0; i < len; ++i) in += alphabet[rng() % alphabet.size()];
    CommandReader r(o);
    Transcript t = Feed(r, in, 1 + rng() % 64);
    EXPECT_LE(t.max_buffered, 4096u + 4096u + 64u);
    // After a reset the reader understands a well-formed command again.
    r.reset();
    Transcript after = Feed(r, "zz NOOP\r\n");
    ASSERT_EQ(after.commands.size(), 1u);
    EXPECT_EQ(after.commands[0].tag, "zz");
  }
}

}  // namespace
}  // namespace loft::imap

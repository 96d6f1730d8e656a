#include "pop3/dot_stuffer.h"

#include <gtest/gtest.h>

#include <string>

namespace loft::pop3 {
namespace {

std::string stuff(std::string_view in, std::optional<uint64_t> lines = std::nullopt, size_t chunk = 0) {
  DotStuffer s(lines);
  std::string out;
  if (chunk == 0) {
    s.feed(in, out);
  } else {
    for (size_t i = 0; i < in.size() && !s.done(); i += chunk) s.feed(in.substr(i, chunk), out);
  }
  s.finish(out);
  return out;
}

TEST(DotStuffer, PassesPlainMessageAndTerminates) {
  EXPECT_EQ(stuff("Subject: a\r\n\r\nbody\r\n"), "Subject: a\r\n\r\nbody\r\n.\r\n");
}

TEST(DotStuffer, DoublesLeadingDotsOnly) {
  EXPECT_EQ(stuff(".a\r\nb.c\r\n..\r\n.\r\n"), "..a\r\nb.c\r\n...\r\n..\r\n.\r\n");
}

TEST(DotStuffer, FirstByteOfMessageIsALineStart) { EXPECT_EQ(stuff(".x\r\n"), "..x\r\n.\r\n"); }

TEST(DotStuffer, AddsCrlfWhenMessageLacksFinalLineBreak) {
  EXPECT_EQ(stuff("H: v\r\n\r\nno newline"), "H: v\r\n\r\nno newline\r\n.\r\n");
  // A dot line without line break at the very end: still stuffed.
  EXPECT_EQ(stuff("a\r\n."), "a\r\n..\r\n.\r\n");
  // A lone CR at the end is not a line break.
  EXPECT_EQ(stuff("a\r"), "a\r\r\n.\r\n");
}

TEST(DotStuffer, EmptyMessage) { EXPECT_EQ(stuff(""), "\r\n.\r\n"); }

TEST(DotStuffer, BareLfCountsAsLineEnd) { EXPECT_EQ(stuff("a\n.b\n"), "a\n..b\n.\r\n"); }

TEST(DotStuffer, DotsAcrossChunkBoundaries) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg += (i % 3 == 0 ? ".line" : "line") + std::to_string(i) + "\r\n";
  std::string whole = stuff(msg);
  for (size_t chunk : {1, 2, 3, 5, 7, 64}) EXPECT_EQ(stuff(msg, std::nullopt, chunk), whole) << chunk;
}

TEST(DotStuffer, TopZeroGivesHeaderAndBlankLine) {
  std::string msg = "Subject: a\r\nFrom: x@y\r\n\r\nline1\r\n.dot\r\nline3\r\n";
  EXPECT_EQ(stuff(msg, 0), "Subject: a\r\nFrom: x@y\r\n\r\n.\r\n");
}

TEST(DotStuffer, TopCountsBodyLines) {
  std::string msg = "Subject: a\r\nFrom: x@y\r\n\r\nline1\r\n.dot\r\nline3\r\n";
  EXPECT_EQ(stuff(msg, 1), "Subject: a\r\nFrom: x@y\r\n\r\nline1\r\n.\r\n");
  EXPECT_EQ(stuff(msg, 2), "Subject: a\r\nFrom: x@y\r\n\r\nline1\r\n..dot\r\n.\r\n");
  EXPECT_EQ(stuff(msg, 3), msg.substr(0, 25) + "line1\r\n..dot\r\nline3\r\n.\r\n");
  EXPECT_EQ(stuff(msg, 100), stuff(msg));
  EXPECT_EQ(stuff(msg, UINT64_MAX), stuff(msg));
}

TEST(DotStuffer, TopCountsEmptyBodyLines) {
  std::string msg = "S: a\r\n\r\n\r\n\r\nx\r\n";
  EXPECT_EQ(stuff(msg, 1), "S: a\r\n\r\n\r\n.\r\n");
  EXPECT_EQ(stuff(msg, 3), "S: a\r\n\r\n\r\n\r\nx\r\n.\r\n");
}

TEST(DotStuffer, TopOfHeaderOnlyMessage) {
  EXPECT_EQ(stuff("Subject: c\r\n", 0), "Subject: c\r\n.\r\n");
  EXPECT_EQ(stuff("Subject: c", 0), "Subject: c\r\n.\r\n");
}

TEST(DotStuffer, TopStopsMidChunkAndReportsDone) {
  DotStuffer s(uint64_t{1});
  std::string out;
  s.feed("A: b\r\n\r\none\r\ntwo\r\n", out);
  EXPECT_TRUE(s.done());
  EXPECT_EQ(out, "A: b\r\n\r\none\r\n");
  s.feed("more\r\n", out);
  EXPECT_EQ(out, "A: b\r\n\r\none\r\n");
}

TEST(DotStuffer, TopAcrossChunkBoundaries) {
  std::string msg = "Subject: x\r\nX: y\r\n\r\n.a\r\nb\r\n.c\r\nd\r\n";
  for (uint64_t lines : {0, 1, 2, 3, 4, 9})
    for (size_t chunk : {1, 2, 3, 4})
      EXPECT_EQ(stuff(msg, lines, chunk), stuff(msg, lines)) << lines << " " << chunk;
}

}  // namespace
}  // namespace loft::pop3

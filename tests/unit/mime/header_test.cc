// Header splitting: fields, offsets, unfolding and Dovecot's tolerance rules.

#include "mime/header.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace loft::mime {
namespace {

using testing::Crlf;

TEST(Header, SplitsFieldsWithOffsetsAndBlankLine) {
  std::string msg = Crlf("From: a@b\nSubject: hi\n folded\nTo: c@d\n\nbody\n");
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_TRUE(h.has_blank_line);
  EXPECT_EQ(h.size, msg.find("body"));
  EXPECT_EQ(h.fields[0].Name(msg), "From");
  EXPECT_EQ(h.fields[0].offset, 0u);
  EXPECT_EQ(h.fields[0].Raw(msg), "From: a@b\r\n");
  EXPECT_EQ(h.fields[1].Name(msg), "Subject");
  EXPECT_EQ(h.fields[1].Raw(msg), "Subject: hi\r\n folded\r\n");
  EXPECT_EQ(h.fields[1].RawValue(msg), "hi\r\n folded");
  EXPECT_EQ(h.fields[2].offset, msg.find("To:"));
}

TEST(Header, FullValueJoinsLinesWithLfAndUnfoldedValueRemovesThem) {
  std::string msg = Crlf("Subject:  two spaces\n\tand a tab\n  more\n\n");
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 1u);
  // All blanks after the colon are skipped, the CR of each CRLF is dropped.
  EXPECT_EQ(FullValue(msg, h.fields[0]), "two spaces\n\tand a tab\n  more");
  EXPECT_EQ(UnfoldedValue(msg, h.fields[0]), "two spaces\tand a tab  more");
}

TEST(Header, BlankOnlyValueKeepsAllButOneBlank) {
  std::string msg = Crlf("X-A:   \nX-B:\nX-C: \n\n");
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_EQ(FullValue(msg, h.fields[0]), "  ");
  EXPECT_EQ(FullValue(msg, h.fields[1]), "");
  EXPECT_EQ(FullValue(msg, h.fields[2]), "");
}

TEST(Header, BareLfLineEnds) {
  std::string msg = "From: a\nSubject: b\n c\n\nbody";
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(FullValue(msg, h.fields[1]), "b\n c");
  EXPECT_EQ(h.size, msg.find("body"));
}

TEST(Header, HeaderOnlyMessageWithoutBlankLine) {
  std::string msg = Crlf("From: a\nSubject: no end");  // no final line end either
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_FALSE(h.has_blank_line);
  EXPECT_EQ(h.size, msg.size());
  EXPECT_EQ(FullValue(msg, h.fields[1]), "no end");
}

TEST(Header, LineWithoutColonIsAValueWithoutName) {
  std::string msg = Crlf("From: a\nSubject\n continued\nSubject : spaced\n\n");
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_FALSE(h.fields[1].has_colon);
  EXPECT_EQ(h.fields[1].Name(msg), "");
  EXPECT_FALSE(HeaderNameEquals(h.fields[1].Name(msg), "Subject"));
  EXPECT_EQ(FullValue(msg, h.fields[1]), "Subject\n continued");
  EXPECT_EQ(h.fields[1].Raw(msg), Crlf("Subject\n continued\n"));
  // Blanks before the colon are not part of the name.
  EXPECT_EQ(h.fields[2].Name(msg), "Subject");
  EXPECT_TRUE(HeaderNameEquals(h.fields[2].Name(msg), "subject"));
}

TEST(Header, EightBitAndNulBytesAreKept) {
  std::string msg = Crlf("Subject: caf\xc3\xa9\nX-Nul: a") + std::string("\0b\r\nX\0Y: v\r\n\r\n", 14);
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_EQ(FullValue(msg, h.fields[0]), "caf\xc3\xa9");
  EXPECT_EQ(FullValue(msg, h.fields[1]), std::string("a\0b", 3));
  // Names compare as C strings, as Dovecot does: "X\0Y" equals "X".
  EXPECT_TRUE(HeaderNameEquals(h.fields[2].Name(msg), "x"));
}

TEST(Header, MessageStartingWithBlankLineHasEmptyHeader) {
  std::string msg = Crlf("\nbody");
  HeaderBlock h = SplitHeader(msg);
  EXPECT_TRUE(h.fields.empty());
  EXPECT_TRUE(h.has_blank_line);
  EXPECT_EQ(h.size, 2u);
}

TEST(Header, CrAloneIsNotABlankLine) {
  std::string msg = "A: 1\r\n\r\r\nB: 2\r\n\r\n";
  HeaderBlock h = SplitHeader(msg);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_EQ(h.fields[1].RawValue(msg), "\r");
}

TEST(Header, SplitHeaderStartsAtAnOffset) {
  std::string msg = Crlf("ignored\nX: 1\n\n");
  HeaderBlock h = SplitHeader(msg, msg.find("X:"));
  ASSERT_EQ(h.fields.size(), 1u);
  EXPECT_EQ(h.fields[0].offset, msg.find("X:"));
}

}  // namespace
}  // namespace loft::mime

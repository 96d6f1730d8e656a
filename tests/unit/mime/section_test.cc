// IMAP section addressing and HEADER.FIELDS extraction.

#include "mime/message.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace loft::mime {
namespace {

using testing::Crlf;

const std::string kNested = Crlf(
    "Subject: top\nContent-Type: multipart/mixed; boundary=o\n\n"
    "--o\nContent-Type: text/plain\n\npart one\n"
    "--o\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/alternative; boundary=i\n\n"
    "--i\nContent-Type: text/plain\n\ninner plain\n--i\nContent-Type: text/html\n\n<b>inner</b>\n--i--\n"
    "--o\nContent-Type: message/rfc822\n\nSubject: simple\n\nsimple body\n"
    "--o--\n");

std::string Section(const Message& m, std::string_view part, SectionText what) {
  std::optional<ByteRange> r = SectionRange(m, part, what);
  if (!r) return "<none>";
  return kNested.substr(r->offset, r->size);
}

TEST(Section, FindsPartsByNumber) {
  Message m = ParseMessage(kNested);
  EXPECT_EQ(Section(m, "1", SectionText::kAll), "part one");
  EXPECT_EQ(Section(m, "2.1", SectionText::kAll), "inner plain");
  EXPECT_EQ(Section(m, "2.2", SectionText::kAll), "<b>inner</b>");
  EXPECT_EQ(Section(m, "2.2", SectionText::kMime), Crlf("Content-Type: text/html\n\n"));
  // Below a non-multipart message, "1" is its body.
  // (The line end before the closing boundary belongs to the boundary.)
  EXPECT_EQ(Section(m, "3.1", SectionText::kAll), "simple body");
  EXPECT_EQ(Section(m, "4", SectionText::kAll), "<none>");
  EXPECT_EQ(Section(m, "1.2", SectionText::kAll), "<none>");
  EXPECT_EQ(Section(m, "0", SectionText::kAll), "<none>");
  EXPECT_EQ(Section(m, "1.", SectionText::kAll), "<none>");
  EXPECT_EQ(Section(m, "x", SectionText::kAll), "<none>");
}

TEST(Section, HeaderAndTextOfMessageParts) {
  Message m = ParseMessage(kNested);
  EXPECT_EQ(Section(m, "", SectionText::kHeader),
            Crlf("Subject: top\nContent-Type: multipart/mixed; boundary=o\n\n"));
  EXPECT_EQ(Section(m, "3", SectionText::kHeader), Crlf("Subject: simple\n\n"));
  EXPECT_EQ(Section(m, "3", SectionText::kText), "simple body");
  EXPECT_EQ(Section(m, "3", SectionText::kMime), Crlf("Content-Type: message/rfc822\n\n"));
  // HEADER of a part that is not a message does not exist.
  EXPECT_EQ(Section(m, "1", SectionText::kHeader), "<none>");
  EXPECT_EQ(Section(m, "", SectionText::kMime), "<none>");
  EXPECT_EQ(Section(m, "", SectionText::kAll), kNested);
}

TEST(Section, OneOfASinglePartMessageIsTheMessage) {
  std::string data = Crlf("Subject: s\n\nbody\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(FindSectionPart(m, "1"), 0u);
  std::optional<ByteRange> mime = SectionRange(m, "1", SectionText::kMime);
  ASSERT_TRUE(mime);
  EXPECT_EQ(data.substr(mime->offset, mime->size), Crlf("Subject: s\n\n"));
  EXPECT_FALSE(FindSectionPart(m, "2"));
}

TEST(Section, HeaderFieldsAndHeaderFieldsNot) {
  std::string header = Crlf("From: a@b\nSubject: s\n folded\nReceived: x\nX-subject: no\nsubject: again\n\n");
  EXPECT_EQ(FilterHeaderFields(header, {"SUBJECT", "Date"}, false),
            Crlf("Subject: s\n folded\nsubject: again\n\n"));
  EXPECT_EQ(FilterHeaderFields(header, {"subject", "received"}, true), Crlf("From: a@b\nX-subject: no\n\n"));
  EXPECT_EQ(FilterHeaderFields(header, {"Nothing"}, false), "\r\n");
}

TEST(Section, HeaderFieldsOfATruncatedHeader) {
  // Bare LF becomes CRLF; a last line without line end gets the one CRLF.
  EXPECT_EQ(FilterHeaderFields("A: 1\nB: 2", {"a", "b"}, false), "A: 1\r\nB: 2\r\n");
  EXPECT_EQ(FilterHeaderFields("A: 1\nB: 2", {"a"}, false), "A: 1\r\n\r\n");
  EXPECT_EQ(FilterHeaderFields("A: 1\r\n", {"a"}, false), "A: 1\r\n\r\n");
}

}  // namespace
}  // namespace loft::mime

// The MIME tree: part structure, byte offsets, IMAP sizes and line counts.

#include "mime/message.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace loft::mime {
namespace {

using testing::Crlf;

std::string_view Body(const Message& m, std::string_view data, uint32_t i) {
  const Part& p = m.part(i);
  return data.substr(p.body_offset, p.body_size());
}
std::string_view Head(const Message& m, std::string_view data, uint32_t i) {
  const Part& p = m.part(i);
  return data.substr(p.header_offset, p.header_size());
}

TEST(MessageParser, SinglePartOffsetsSizesAndLines) {
  std::string data = Crlf("Subject: x\nContent-Type: text/plain\n\nline 1\nline 2\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 1u);
  const Part& r = m.root();
  EXPECT_EQ(Head(m, data, 0), Crlf("Subject: x\nContent-Type: text/plain\n\n"));
  EXPECT_EQ(Body(m, data, 0), Crlf("line 1\nline 2\n"));
  EXPECT_EQ(r.body_vsize, 16u);
  EXPECT_EQ(r.body_lines, 2u);
  EXPECT_EQ(r.header_lines, 3u);
  EXPECT_TRUE(r.is(kPartText));
  EXPECT_TRUE(r.is(kPartIsMime));
  EXPECT_EQ(m.text(r.type), "text");
  EXPECT_EQ(m.text(r.subtype), "plain");
}

TEST(MessageParser, BareLfCountsAsCrlfInImapSizes) {
  std::string data = "Subject: x\n\na\nb\r\nc";
  Message m = ParseMessage(data);
  const Part& r = m.root();
  EXPECT_EQ(r.body_size(), 6u);   // octets stored
  EXPECT_EQ(r.body_vsize, 7u);    // "a\n" counts as "a\r\n"
  EXPECT_EQ(r.body_lines, 2u);
  EXPECT_EQ(r.header_vsize, 14u);
}

TEST(MessageParser, MultipartPreambleEpilogueAndBoundaryLineEnds) {
  std::string data = Crlf(
      "Content-Type: multipart/mixed; boundary=\"b\"\n\npreamble\n--b\nContent-Type: text/html\n\n<p>1</p>\n"
      "--b\n\ntwo\n--b--\nepilogue\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 3u);
  const Part& r = m.root();
  EXPECT_TRUE(r.is(kPartMultipart));
  EXPECT_EQ(r.first_child, 1u);
  EXPECT_EQ(m.part(1).next_sibling, 2u);
  EXPECT_EQ(m.part(2).next_sibling, kNoPart);
  // The CRLF before a boundary belongs to the boundary, not to the part.
  EXPECT_EQ(Body(m, data, 1), "<p>1</p>");
  EXPECT_EQ(Body(m, data, 2), "two");
  EXPECT_EQ(Head(m, data, 1), Crlf("Content-Type: text/html\n\n"));
  EXPECT_EQ(Head(m, data, 2), "\r\n");
  EXPECT_EQ(r.end_offset, data.size());  // the epilogue is part of the multipart body
  EXPECT_EQ(m.part(1).parent, 0u);
  EXPECT_EQ(m.part(1).depth, 1u);
}

TEST(MessageParser, MissingEndBoundaryEndsAtEof) {
  std::string data = Crlf("Content-Type: multipart/mixed; boundary=x\n\n--x\n\none\n--x\n\ntwo\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 3u);
  EXPECT_EQ(Body(m, data, 2), "two\r\n");
  EXPECT_EQ(m.part(2).end_offset, data.size());
}

TEST(MessageParser, LongestMatchingBoundaryWinsOverAPrefix) {
  std::string data = Crlf(
      "Content-Type: multipart/mixed; boundary=abc\n\n--abc\n"
      "Content-Type: multipart/alternative; boundary=abcdef\n\n--abcdef\n\ninner1\n--abcdef\n\ninner2\n"
      "--abc\n\nouter2\n--abc--\n");
  Message m = ParseMessage(data);
  // root, alternative, inner1, inner2, outer2
  ASSERT_EQ(m.part_count(), 5u);
  EXPECT_EQ(m.part(1).first_child, 2u);
  EXPECT_EQ(Body(m, data, 3), "inner2");
  EXPECT_EQ(m.part(4).parent, 0u);
  EXPECT_EQ(Body(m, data, 4), "outer2");
}

TEST(MessageParser, SameBoundaryNestedClosesTheInnermostFirst) {
  std::string data = Crlf(
      "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/mixed; boundary=x\n\n"
      "--x\n\nin\n--x--\n--x\n\nout\n--x--\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 4u);
  EXPECT_EQ(m.part(2).parent, 1u);
  EXPECT_EQ(m.part(3).parent, 0u);
}

TEST(MessageParser, MessageRfc822IsParsedAsNestedMessage) {
  std::string data = Crlf(
      "Content-Type: message/rfc822\n\nSubject: inner\nFrom: a@b\nContent-Type: text/html\n\n<p>x</p>\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 2u);
  EXPECT_TRUE(m.root().is(kPartMessageRfc822));
  const Part& child = m.part(1);
  EXPECT_EQ(child.parent, 0u);
  EXPECT_EQ(child.header_offset, m.root().body_offset);
  EXPECT_EQ(m.text(child.subtype), "html");
  ASSERT_NE(child.envelope, kNoPart);
  EXPECT_EQ(m.text(m.envelope(child.envelope).subject), "inner");
}

TEST(MessageParser, MessageGlobalIsALeafUnlessAskedFor) {
  std::string data = Crlf("Content-Type: message/global\n\nSubject: s\n\nx\n");
  EXPECT_EQ(ParseMessage(data).part_count(), 1u);
  ParseLimits limits;
  limits.nest_message_global = true;
  Message m = ParseMessage(data, limits);
  ASSERT_EQ(m.part_count(), 2u);
  EXPECT_TRUE(m.root().is(kPartMessageRfc822));
}

TEST(MessageParser, DigestChildrenDefaultToMessageRfc822) {
  std::string data = Crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: s\n\nb\n--d--\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 3u);
  EXPECT_TRUE(m.part(1).is(kPartMessageRfc822));
}

TEST(MessageParser, HeaderEndedByBoundaryGivesItsLineEndToTheParent) {
  std::string data =
      Crlf("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n--x\n\nb\n--x--\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 3u);
  EXPECT_EQ(Head(m, data, 1), "Content-Type: text/plain");
  EXPECT_EQ(m.part(1).body_size(), 0u);
  EXPECT_EQ(m.part(1).header_lines, 0u);
}

TEST(MessageParser, WithoutMimeVersionOrContentTypeContentFieldsAreIgnored) {
  std::string data = Crlf("Content-Transfer-Encoding: base64\nContent-ID: <x>\n\naGk=\n");
  Message m = ParseMessage(data);
  const Part& r = m.root();
  EXPECT_FALSE(r.is(kPartIsMime));
  EXPECT_FALSE(r.transfer_encoding.present());
  EXPECT_FALSE(r.id.present());
  EXPECT_TRUE(r.is(kPartText));
}

TEST(MessageParser, ContentFieldsFirstOccurrenceWins) {
  std::string data = Crlf(
      "MIME-Version: 1.0\nContent-Type: text/plain; charset=a\nContent-Type: text/html\nContent-ID: <1>\n"
      "Content-ID: <2>\nContent-Language: en, de\nContent-Disposition: inline\n"
      "Content-Disposition: attachment; filename=f\n\nx");
  Message m = ParseMessage(data);
  const Part& r = m.root();
  EXPECT_EQ(m.text(r.subtype), "plain");
  EXPECT_EQ(m.text(r.id), "<1>");
  ASSERT_EQ(r.languages.count, 2u);
  EXPECT_EQ(m.text(m.string_at(r.languages.first + 1)), "de");
  // A disposition without parameters is replaced by a later one (Dovecot).
  EXPECT_EQ(m.text(r.disposition), "attachment");
  ASSERT_EQ(r.disposition_params.count, 1u);
  EXPECT_EQ(m.text(m.param(r.disposition_params.first).value), "f");
}

TEST(MessageParser, EnvelopeFieldsFromTheHeader) {
  std::string data = Crlf(
      "Date: d1\nDate: d2\nSubject: s\nFrom: a@b\nFrom: c@d\nTo: G: x@y;\nMessage-ID: <m@x>\n\nbody");
  Message m = ParseMessage(data);
  const Envelope& e = m.envelope();
  EXPECT_EQ(m.text(e.date), "d2");  // last one wins, like Dovecot
  EXPECT_EQ(m.text(e.message_id), "<m@x>");
  EXPECT_EQ(e.from.count, 2u);      // address fields add up
  EXPECT_EQ(e.to.count, 3u);        // group start, member, group end
  EXPECT_EQ(e.cc.count, 0u);
  EXPECT_FALSE(e.in_reply_to.present());
}

TEST(MessageParser, EmptyAndHeaderOnlyMessages) {
  Message empty = ParseMessage("");
  ASSERT_EQ(empty.part_count(), 1u);
  EXPECT_EQ(empty.root().end_offset, 0u);
  std::string data = Crlf("Subject: only a header\n");
  Message m = ParseMessage(data);
  EXPECT_EQ(m.root().body_offset, data.size());
  EXPECT_EQ(m.root().body_size(), 0u);
}

TEST(MessageParser, PartsHoldingNulsAreFlagged) {
  std::string data = Crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nclean\n--b\n\nnul") +
                     std::string("\0", 1) + Crlf("\n--b--\n");
  Message m = ParseMessage(data);
  ASSERT_EQ(m.part_count(), 3u);
  EXPECT_TRUE(m.root().is(kPartHasNuls));
  EXPECT_FALSE(m.part(1).is(kPartHasNuls));
  EXPECT_TRUE(m.part(2).is(kPartHasNuls));
}

TEST(MessageParser, LongBoundaryMatchesOnItsFirst80Bytes) {
  std::string b(100, 'b');
  std::string data = Crlf("Content-Type: multipart/mixed; boundary=\"" + b + "\"\n\n--" + b + "\n\none\n--" +
                          std::string(85, 'b') + "\n\ntwo\n");
  EXPECT_EQ(ParseMessage(data).part_count(), 3u);
}

}  // namespace
}  // namespace loft::mime

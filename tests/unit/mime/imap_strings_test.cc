// IMAP quoting and ENVELOPE / BODYSTRUCTURE rendering rules.

#include "mime/imap_strings.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace loft::mime {
namespace {

using testing::Crlf;

std::string Str(std::string_view s) {
  std::string out;
  AppendImapString(out, s);
  return out;
}
std::string Humans(std::string_view s) {
  std::string out;
  AppendImapStringForHumans(out, s);
  return out;
}
std::string NoLf(std::string_view s) {
  std::string out;
  AppendImapNStringNoLf(out, s);
  return out;
}

TEST(ImapQuote, QuotedUnlessCrLfEightBitOrManyEscapes) {
  EXPECT_EQ(Str("plain"), "\"plain\"");
  EXPECT_EQ(Str(""), "\"\"");
  EXPECT_EQ(Str("a\"b\\c\"d\"e"), "\"a\\\"b\\\\c\\\"d\\\"e\"");       // four escapes: quoted
  EXPECT_EQ(Str("a\"b\"c\"d\"e\"f"), "{11}\r\na\"b\"c\"d\"e\"f");     // five: a literal is shorter
  EXPECT_EQ(Str("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(Str("a\nb"), "{3}\r\na\nb");
  EXPECT_EQ(Str(std::string_view("ab\0cd", 5)), "\"ab\"");  // strings end at NUL
  std::string nil;
  AppendImapNString(nil, std::nullopt);
  EXPECT_EQ(nil, "NIL");
}

TEST(ImapQuote, ForHumansCollapsesWhitespace) {
  EXPECT_EQ(Humans("simple subject"), "\"simple subject\"");
  EXPECT_EQ(Humans("  lead and trail  "), "{14}\r\nlead and trail");
  EXPECT_EQ(Humans("a\tb\r\n c"), "{5}\r\na b c");
  EXPECT_EQ(Humans("a\rb"), "{3}\r\na b");
  EXPECT_EQ(Humans("say \"hi\""), "{8}\r\nsay \"hi\"");
  EXPECT_EQ(Humans("   "), "\"\"");
  EXPECT_EQ(Humans(""), "\"\"");
}

TEST(ImapQuote, NoLfKeepsWordsApart) {
  EXPECT_EQ(NoLf("http://x/y\n z"), "\"http://x/y z\"");
  EXPECT_EQ(NoLf("a\nb"), "\"a b\"");
  EXPECT_EQ(NoLf("x\n\ty"), "\"x\ty\"");
}

TEST(ImapQuote, NulsInLiteralsBecome0x80) {
  std::string s("a\0b", 3);
  ReplaceNulsForLiteral(s);
  EXPECT_EQ(s, "a\x80" "b");
}

TEST(ImapEnvelope, DefaultsAndNil) {
  Message m = ParseMessage(Crlf("From: A <a@x>\nSubject: hi\n\nbody"));
  EXPECT_EQ(RenderEnvelope(m),
            "(NIL \"hi\" ((\"A\" NIL \"a\" \"x\")) ((\"A\" NIL \"a\" \"x\")) ((\"A\" NIL \"a\" \"x\")) NIL NIL NIL NIL NIL)");
  EXPECT_EQ(RenderEnvelope(ParseMessage("")), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(ImapEnvelope, FoldedDateAndMessageIdLoseTheirLineEnds) {
  Message m = ParseMessage(Crlf("Date: Mon,\n 1 Jan 2024\nMessage-ID:\n <id@x>\nSubject: a\n b\n\n"));
  EXPECT_EQ(RenderEnvelope(m),
            "(\"Mon, 1 Jan 2024\" {3}\r\na b NIL NIL NIL NIL NIL NIL NIL \" <id@x>\")");
}

TEST(ImapBodyStructure, DefaultsForTextAndBrokenTypes) {
  Message m = ParseMessage(Crlf("MIME-Version: 1.0\nContent-Type: text/html\n\nhi\n"));
  EXPECT_EQ(RenderBodyStructure(m), "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL)");
  EXPECT_EQ(RenderBodyStructure(m, false), "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 1)");
  Message broken = ParseMessage(Crlf("MIME-Version: 1.0\nContent-Type: ;junk\n\nhi\n"));
  EXPECT_EQ(RenderBodyStructure(broken), "(\"\" \"\" NIL NIL NIL \"7bit\" 4 NIL NIL NIL NIL)");
}

TEST(ImapBodyStructure, PlainAsciiMessageIsCanonicalLowerCase) {
  Message m = ParseMessage(Crlf("Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\nContent-Transfer-Encoding: 7BIT\n\nx\n"));
  EXPECT_EQ(RenderBodyStructure(m), "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)");
  // Any other parameter keeps the header's own spelling.
  Message f = ParseMessage(Crlf("Content-Type: TEXT/PLAIN; charset=us-ascii; format=flowed\n\nx\n"));
  EXPECT_EQ(RenderBodyStructure(f),
            "(\"TEXT\" \"PLAIN\" (\"charset\" \"us-ascii\" \"format\" \"flowed\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL)");
}

TEST(ImapBodyStructure, MultipartWithoutPartsGetsAnEmptyTextPart) {
  Message m = ParseMessage(Crlf("Content-Type: multipart/mixed\n\nno boundary\n"));
  EXPECT_EQ(RenderBodyStructure(m),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)");
}

TEST(ImapBodyStructure, ExtensionData) {
  Message m = ParseMessage(Crlf(
      "MIME-Version: 1.0\nContent-Type: application/pdf; name=a.pdf\nContent-ID: <c@x>\n"
      "Content-Description: the file\nContent-Transfer-Encoding: base64\nContent-MD5: Q2hlY2s=\n"
      "Content-Disposition: attachment; filename=a.pdf\nContent-Language: en, fr\n"
      "Content-Location: http://x/a.pdf\n\nQUJD\n"));
  EXPECT_EQ(RenderBodyStructure(m),
            "(\"application\" \"pdf\" (\"name\" \"a.pdf\") \"<c@x>\" \"the file\" \"base64\" 6 \"Q2hlY2s=\" "
            "(\"attachment\" (\"filename\" \"a.pdf\")) (\"en\" \"fr\") \"http://x/a.pdf\")");
}

TEST(ImapBodyStructure, MessageRfc822CarriesEnvelopeBodyAndLines) {
  Message m = ParseMessage(Crlf("MIME-Version: 1.0\nContent-Type: message/rfc822\n\nSubject: in\n\nx\n"));
  EXPECT_EQ(RenderBodyStructure(m),
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 18 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)");
}

TEST(ImapBodyStructure, TooDeepContainersAreOpaque) {
  ParseLimits limits;
  limits.max_depth = 2;
  std::string data = Crlf(
      "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n"
      "--b\n\nx\n--b--\n--a\nContent-Type: message/rfc822\n\nSubject: s\n\ny\n--a--\n");
  Message m = ParseMessage(data, limits);
  EXPECT_EQ(m.part_count(), 3u);
  std::string bs = RenderBodyStructure(m);
  EXPECT_NE(bs.find("(\"application\" \"octet-stream\" (\"boundary\" \"b\") NIL NIL \"7bit\""), std::string::npos)
      << bs;
  EXPECT_NE(bs.find(")(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" "), std::string::npos) << bs;
}

}  // namespace
}  // namespace loft::mime

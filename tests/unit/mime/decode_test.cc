// Transfer decodings, charsets and RFC 2047: correctness, tolerance, and that
// streaming gives the same result for every split of the input.

#include "mime/decode.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace loft::mime {
namespace {

using testing::Crlf;

std::string Base64Split(std::string_view in, size_t split) {
  Base64Decoder d;
  std::string out;
  d.Feed(in.substr(0, split), out);
  d.Feed(in.substr(split), out);
  d.Finish(out);
  return out;
}

std::string QpSplit(std::string_view in, size_t a, size_t b) {
  QuotedPrintableDecoder d;
  std::string out;
  d.Feed(in.substr(0, a), out);
  d.Feed(in.substr(a, b - a), out);
  d.Feed(in.substr(b), out);
  d.Finish(out);
  return out;
}

TEST(Base64, DecodesAndSkipsGarbage) {
  EXPECT_EQ(DecodeBase64("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(DecodeBase64("aGVs\r\nbG8g\r\nd29y bGQ="), "hello world");
  EXPECT_EQ(DecodeBase64("aGVsbG8"), "hello");  // no padding
  EXPECT_EQ(DecodeBase64("aGk=aGk="), "hihi");  // concatenated parts
  Base64Decoder d;
  std::string out;
  d.Feed("aG!!Vs*bG8=", out);
  d.Finish(out);
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(d.saw_garbage());
  EXPECT_EQ(DecodeBase64(""), "");
}

TEST(Base64, EverySplitGivesTheSameResult) {
  const std::string in = "SGVsbG8sIFdvcmxkIQ0KVGhpcyBpcyBhIHRlc3Qu\r\nQUJD=\r\n";
  const std::string whole = DecodeBase64(in);
  for (size_t i = 0; i <= in.size(); ++i) EXPECT_EQ(Base64Split(in, i), whole) << i;
}

TEST(QuotedPrintable, EscapesSoftBreaksAndTrailingBlanks) {
  EXPECT_EQ(DecodeQuotedPrintable("caf=C3=A9 =3d x"), "caf\xc3\xa9 = x");
  EXPECT_EQ(DecodeQuotedPrintable(Crlf("soft=\nbreak\n")), Crlf("softbreak\n"));
  EXPECT_EQ(DecodeQuotedPrintable(Crlf("soft= \t\nbreak")), "softbreak");
  EXPECT_EQ(DecodeQuotedPrintable(Crlf("trailing   \nline")), Crlf("trailing\nline"));
  EXPECT_EQ(DecodeQuotedPrintable("bad =ZZ and =4"), "bad =ZZ and =4");
  EXPECT_EQ(DecodeQuotedPrintable("end="), "end");
  EXPECT_EQ(DecodeQuotedPrintable("a_b", true), "a b");
  EXPECT_EQ(DecodeQuotedPrintable("a_b", false), "a_b");
}

TEST(QuotedPrintable, EverySplitGivesTheSameResult) {
  const std::string in = Crlf("line one=20with =E2=82=AC  \nsoft =\nbreak=\t \nx=4\n=3D=\n  trailing \t\nend =");
  const std::string whole = DecodeQuotedPrintable(in);
  for (size_t a = 0; a <= in.size(); ++a) {
    for (size_t b = a; b <= in.size(); b += 3) ASSERT_EQ(QpSplit(in, a, b), whole) << a << " " << b;
  }
}

TEST(TransferEncoding, ByName) {
  EXPECT_EQ(DecodeTransferEncoding("aGk=", "BASE64"), "hi");
  EXPECT_EQ(DecodeTransferEncoding("=41", "Quoted-Printable"), "A");
  EXPECT_EQ(DecodeTransferEncoding("=41", "8bit"), "=41");
}

TEST(Charset, ConvertsKnownCharsets) {
  std::string out;
  EXPECT_TRUE(ConvertToUtf8("ISO-8859-1", "caf\xe9", out));
  EXPECT_EQ(out, "caf\xc3\xa9");
  out.clear();
  EXPECT_TRUE(ConvertToUtf8("latin1", "\xe9", out));
  EXPECT_EQ(out, "\xc3\xa9");
  out.clear();
  EXPECT_TRUE(ConvertToUtf8("iso-2022-jp", "\x1b$B$3$s$K$A$O\x1b(B", out));
  EXPECT_EQ(out, "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf");  // こんにちは
  out.clear();
  EXPECT_TRUE(ConvertToUtf8("windows-1252", "\x80", out));
  EXPECT_EQ(out, "\xe2\x82\xac");
}

TEST(Charset, InvalidInputBecomesReplacementCharacters) {
  std::string out;
  ConvertToUtf8("utf-8", "ok\xff\xc3", out);
  EXPECT_EQ(out, "ok\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // no surrogates
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("caf\xe9"));
}

TEST(Charset, UnknownOrAsciiLabelledEightBitFallsBack) {
  std::string out;
  EXPECT_FALSE(ConvertToUtf8("x-no-such-charset", "caf\xc3\xa9", out));
  EXPECT_EQ(out, "caf\xc3\xa9");  // valid UTF-8 stays
  out.clear();
  EXPECT_TRUE(ConvertToUtf8("us-ascii", "caf\xe9", out));
  EXPECT_EQ(out, "caf\xc3\xa9");  // not UTF-8: read as Windows-1252
}

TEST(Charset, StreamingHoldsSplitCharacters) {
  std::optional<CharsetToUtf8> conv = CharsetToUtf8::Open("shift_jis");
  ASSERT_TRUE(conv);
  std::string out;
  const std::string sjis = "\x82\xb1\x82\xf1";  // こん
  conv->Feed(sjis.substr(0, 1), out);
  conv->Feed(sjis.substr(1, 2), out);
  conv->Feed(sjis.substr(3), out);
  conv->Finish(out);
  EXPECT_EQ(out, "\xe3\x81\x93\xe3\x82\x93");
  std::optional<CharsetToUtf8> utf8 = CharsetToUtf8::Open("UTF8");
  ASSERT_TRUE(utf8);
  std::string u;
  utf8->Feed("\xe2\x82", u);
  utf8->Feed("\xac!", u);
  utf8->Finish(u);
  EXPECT_EQ(u, "\xe2\x82\xac!");
  EXPECT_FALSE(CharsetToUtf8::Open("x-bogus"));
}

TEST(EncodedWords, DecodesBAndQ) {
  EXPECT_EQ(DecodeEncodedWords("=?utf-8?q?J=C3=B6rg_M?= <j@x>"), "J\xc3\xb6rg M <j@x>");
  EXPECT_EQ(DecodeEncodedWords("=?ISO-8859-1?B?Y2Fm6Q==?="), "caf\xc3\xa9");
  EXPECT_EQ(DecodeEncodedWords("=?utf-8*en?Q?hi?="), "hi");  // RFC 2231 language
}

TEST(EncodedWords, BlanksBetweenWordsVanishButNotAroundText) {
  EXPECT_EQ(DecodeEncodedWords("=?utf-8?q?a?= \r\n =?utf-8?q?b?= c =?utf-8?q?d?="), "ab c d");
}

TEST(EncodedWords, CharacterSplitAcrossWordsSurvives) {
  // "€" (E2 82 AC) split over two base64 words.
  EXPECT_EQ(DecodeEncodedWords("=?utf-8?B?4oI=?= =?utf-8?B?rA==?="), "\xe2\x82\xac");
}

TEST(EncodedWords, MalformedWordsStayAsTheyAre) {
  EXPECT_EQ(DecodeEncodedWords("=?utf-8?x?abc?="), "=?utf-8?x?abc?=");
  EXPECT_EQ(DecodeEncodedWords("=?utf-8?q?never closed"), "=?utf-8?q?never closed");
  EXPECT_EQ(DecodeEncodedWords("plain \xe9t\xe9"), "plain \xc3\xa9t\xc3\xa9");
}

TEST(EncodedWords, HostileInputIsLinear) {
  std::string bomb;
  for (int i = 0; i < 200000; ++i) bomb += "=?a?q?x";
  double secs = testing::Seconds([&] { EXPECT_EQ(DecodeEncodedWords(bomb).size(), bomb.size()); });
  EXPECT_LT(secs, 2.0);
}

TEST(PartText, DecodesTransferEncodingAndCharset) {
  std::string data = Crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n--b\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: base64\n\nw6lt\n--b--\n");
  Message m = ParseMessage(data);
  EXPECT_EQ(DecodePartText(m, 1, data), "caf\xc3\xa9");
  EXPECT_EQ(DecodePartText(m, 2, data), "\xc3\xa9m");
}

}  // namespace
}  // namespace loft::mime

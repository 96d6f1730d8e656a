// MIME parameter lists and RFC 2231 continuations, Dovecot style.

#include "mime/mime_params.h"

#include <gtest/gtest.h>

namespace loft::mime {
namespace {

std::vector<MimeParam> Parse(std::string_view text, bool* ok = nullptr) {
  Rfc822Tokenizer t(text);
  std::vector<MimeParam> out;
  bool r = ParseMimeParams(t, out);
  if (ok) *ok = r;
  return out;
}

std::string Flat(const std::vector<MimeParam>& ps) {
  std::string s;
  for (const auto& p : ps) s += p.name + "=" + p.value + ";";
  return s;
}

TEST(MimeParams, PlainParametersKeepOrderCaseAndDuplicates) {
  EXPECT_EQ(Flat(Parse("; CHARSET=a; charset=\"b\"; Format=flowed")), "CHARSET=a;charset=b;Format=flowed;");
}

TEST(MimeParams, ContinuationsAreJoined) {
  EXPECT_EQ(Flat(Parse("; filename*1=\"name.txt\"; filename*0=\"long\"")), "filename=longname.txt;");
}

TEST(MimeParams, ExtendedValuesStayEncodedUnderAStarredName) {
  // Non-extended pieces are %-escaped so the whole value stays one encoding.
  EXPECT_EQ(Flat(Parse("; t*0*=us-ascii'en'A%20; t*1=\"B%C\"")), "t*=us-ascii'en'A%20B%25C;");
  EXPECT_EQ(Flat(Parse("; name*=utf-8''%E2%82%AC.txt")), "name*=utf-8''%E2%82%AC.txt;");
}

TEST(MimeParams, MissingPieceKeepsPiecesApart) {
  EXPECT_EQ(Flat(Parse("; n*0=a; n*2=c")), "n*0=a;n*2=c;");
}

TEST(MimeParams, UnindexedStarInheritsThePreviousIndexLikeDovecot) {
  EXPECT_EQ(Flat(Parse("; a*0=x; a*1=y; b*=utf-8''z")), "a=xy;b*1*=utf-8''z;");
}

TEST(MimeParams, MergedParametersFollowPlainOnes) {
  EXPECT_EQ(Flat(Parse("; z*0=1; plain=p; z*1=2")), "plain=p;z=12;");
}

TEST(MimeParams, BrokenParametersAreSkipped) {
  bool ok = true;
  EXPECT_EQ(Flat(Parse("; =; a=1; \"bad; b=2", &ok)), "=;a=1;b=2;");
  EXPECT_FALSE(ok);
  EXPECT_EQ(Flat(Parse("; charset=\"never closed")), "");
}

TEST(MimeParams, NulInQuotedValueBecomesReplacementCharacter) {
  EXPECT_EQ(Flat(Parse(std::string_view("; n=\"a\0b\"", 9))), "n=a\xEF\xBF\xBD" "b;");
}

}  // namespace
}  // namespace loft::mime

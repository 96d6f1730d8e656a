// The RFC 822 scanner under ENVELOPE and Content-* parsing.

#include "mime/rfc822_tokenizer.h"

#include <gtest/gtest.h>

namespace loft::mime {
namespace {

TEST(Rfc822Tokenizer, SkipsNestedCommentsAndKeepsTheLastOne) {
  std::string comment;
  Rfc822Tokenizer t(" (one (nested) \\) x)\r\n (two)atom");
  t.set_last_comment(&comment);
  EXPECT_EQ(t.SkipLwsp(), 1);
  EXPECT_EQ(comment, "two");
  std::string atom;
  EXPECT_EQ(t.ParseAtom(atom), 0);
  EXPECT_EQ(atom, "atom");
}

TEST(Rfc822Tokenizer, UnterminatedCommentIsAnError) {
  Rfc822Tokenizer t("(never closed");
  EXPECT_EQ(t.SkipLwsp(), -1);
}

TEST(Rfc822Tokenizer, QuotedStringUnescapesAndUnfolds) {
  std::string out;
  Rfc822Tokenizer t("\"a \\\"b\\\\\r\n c\" rest");
  EXPECT_EQ(t.ParseQuotedString(out), 1);
  EXPECT_EQ(out, "a \"b\\ c");
  EXPECT_EQ(t.peek(), 'r');
}

TEST(Rfc822Tokenizer, QuotedStringNulReplacement) {
  std::string out;
  Rfc822Tokenizer t(std::string_view("\"a\0b\"", 5));
  t.set_nul_replacement("?");
  EXPECT_EQ(t.ParseQuotedString(out), 0);
  EXPECT_EQ(out, "a?b");
}

TEST(Rfc822Tokenizer, DotAtomAllowsSpaceAroundDots) {
  std::string out;
  Rfc822Tokenizer t("a . b.c >");
  EXPECT_EQ(t.ParseDotAtom(out), 1);
  EXPECT_EQ(out, "a.b.c");
  std::string bad;
  Rfc822Tokenizer t2("a.");
  EXPECT_EQ(t2.ParseDotAtom(bad), -1);
}

TEST(Rfc822Tokenizer, PhraseJoinsWordsWithOneSpace) {
  std::string out;
  Rfc822Tokenizer t("John  \"Q.\"   Public <");
  EXPECT_EQ(t.ParsePhrase(out), 1);
  EXPECT_EQ(out, "John Q. Public");
  EXPECT_EQ(t.peek(), '<');
}

TEST(Rfc822Tokenizer, DomainLiteralKeepsBracketsAndEscapes) {
  std::string out;
  Rfc822Tokenizer t("@[1.2\\]3]");
  EXPECT_EQ(t.ParseDomain(out), 0);
  EXPECT_EQ(out, "[1.2\\]3]");
}

TEST(Rfc822Tokenizer, ContentTypeValidAndBroken) {
  std::string out;
  Rfc822Tokenizer ok(" text / plain ; charset=x");
  EXPECT_EQ(ok.ParseContentType(out), 1);
  EXPECT_EQ(out, "text/plain");
  // No slash at the end: the type is kept but reported broken.
  out.clear();
  Rfc822Tokenizer noslash("text");
  EXPECT_EQ(noslash.ParseContentType(out), -1);
  EXPECT_EQ(out, "text");
  // Garbage after the subtype or an empty subtype: nothing is kept.
  out.clear();
  Rfc822Tokenizer garbage("text/plain junk");
  EXPECT_EQ(garbage.ParseContentType(out), -1);
  EXPECT_EQ(out, "");
  out.clear();
  Rfc822Tokenizer empty_sub("image/; a=b");
  EXPECT_EQ(empty_sub.ParseContentType(out), -1);
  EXPECT_EQ(out, "");
}

TEST(Rfc822Tokenizer, ContentParamsQuotedTokenAndEncodedWord) {
  Rfc822Tokenizer t("; a=\"q v\"; b = tok ; c==?utf-8?B?w6Q=?=; d=");
  std::string k, v;
  EXPECT_EQ(t.ParseContentParam(k, v), 1);
  EXPECT_EQ(k, "a");
  EXPECT_EQ(v, "q v");
  EXPECT_EQ(t.ParseContentParam(k, v), 1);
  EXPECT_EQ(k, "b");
  EXPECT_EQ(v, "tok");
  EXPECT_EQ(t.ParseContentParam(k, v), 1);
  EXPECT_EQ(k, "c");
  EXPECT_EQ(v, "=?utf-8?B?w6Q=?=");  // an unquoted encoded-word, as clients send
  EXPECT_EQ(t.ParseContentParam(k, v), 1);
  EXPECT_EQ(k, "d");
  EXPECT_EQ(v, "");
  EXPECT_EQ(t.ParseContentParam(k, v), 0);
}

TEST(Rfc822Tokenizer, AtextClasses) {
  EXPECT_TRUE(IsAtext('a'));
  EXPECT_TRUE(IsAtext('/'));
  EXPECT_FALSE(IsAtextNonTspecial('/'));
  EXPECT_TRUE(IsAtext(0xC3));  // 8-bit bytes count as atext
  EXPECT_FALSE(IsAtext('@'));
  EXPECT_FALSE(IsAtext('\0'));
}

}  // namespace
}  // namespace loft::mime

#include "imap/fetch_items.h"

#include <gtest/gtest.h>

#include "reader_test_util.h"

namespace loft::imap {
namespace {

using testing::ArgsOf;

Parsed<FetchArgs> Fetch(const std::string& text, bool uid = false, bool qresync = false) {
  Args args = ArgsOf(text);
  return ParseFetchArgs(args, uid, qresync);
}

std::string Names(const FetchArgs& f) {
  std::string out;
  for (const FetchItem& i : f.items) {
    if (!out.empty()) out += ' ';
    out += i.name;
  }
  return out;
}

std::string Error(const std::string& text, bool uid = false, bool qresync = false) {
  Parsed<FetchArgs> f = Fetch(text, uid, qresync);
  if (f.ok()) return "OK " + Names(*f);
  return f.error().text;
}

TEST(FetchItems, SimpleAttributesAndMacros) {
  Parsed<FetchArgs> f = Fetch("1:* (flags INTERNALDATE rfc822.size ENVELOPE BODY BODYSTRUCTURE UID MODSEQ)");
  ASSERT_TRUE(f.ok()) << f.error().text;
  EXPECT_EQ(f->set.ToString(), "1:*");
  EXPECT_EQ(Names(*f), "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID MODSEQ");
  EXPECT_EQ(f->items[4].attr, FetchAttr::kBody);
  EXPECT_EQ(f->items[5].attr, FetchAttr::kBodyStructure);
  EXPECT_FALSE(f->sets_seen());
  EXPECT_EQ(Names(*Fetch("1 ALL")), "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE");
  EXPECT_EQ(Names(*Fetch("1 fast")), "FLAGS INTERNALDATE RFC822.SIZE");
  EXPECT_EQ(Names(*Fetch("1 FULL")), "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY");
  EXPECT_EQ(Names(*Fetch("1 RFC822")), "RFC822");
  EXPECT_TRUE(Fetch("1 RFC822")->sets_seen());
  EXPECT_TRUE(Fetch("1 RFC822.TEXT")->sets_seen());
  EXPECT_FALSE(Fetch("1 RFC822.HEADER")->sets_seen());
}

TEST(FetchItems, UidFetchPutsUidFirstAndDeduplicates) {
  Parsed<FetchArgs> f = Fetch("1:5 (FLAGS UID FLAGS)", true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Names(*f), "UID FLAGS");
}

TEST(FetchItems, BodySections) {
  Parsed<FetchArgs> f = Fetch(
      "1 (BODY[] body.peek[header] BODY[TEXT]<0.100> BODY[1.2.3] BODY[1.2.MIME] BODY[2.HEADER] BODY[3.TEXT]<5>)");
  ASSERT_TRUE(f.ok()) << f.error().text;
  ASSERT_EQ(f->items.size(), 7u);
  EXPECT_EQ(Names(*f), "BODY[] BODY[HEADER] BODY[TEXT]<0> BODY[1.2.3] BODY[1.2.MIME] BODY[2.HEADER] BODY[3.TEXT]<5>");
  const FetchItem& all = f->items[0];
  EXPECT_EQ(all.attr, FetchAttr::kBodySection);
  EXPECT_EQ(all.section.part, "");
  EXPECT_EQ(all.section.text, FetchSection::Text::kAll);
  EXPECT_FALSE(all.peek);
  EXPECT_TRUE(all.sets_seen());
  EXPECT_TRUE(f->items[1].peek);
  EXPECT_FALSE(f->items[1].sets_seen());
  EXPECT_EQ(f->items[1].section.text, FetchSection::Text::kHeader);
  EXPECT_EQ(f->items[2].partial, (FetchPartial{0, 100}));
  EXPECT_EQ(f->items[3].section.part, "1.2.3");
  EXPECT_EQ(f->items[3].section.text, FetchSection::Text::kAll);
  EXPECT_EQ(f->items[4].section.text, FetchSection::Text::kMime);
  EXPECT_EQ(f->items[5].section.part, "2");
  EXPECT_EQ(f->items[5].section.text, FetchSection::Text::kHeader);
  EXPECT_EQ(f->items[6].partial, (FetchPartial{5, std::nullopt}));
  EXPECT_TRUE(f->sets_seen());
}

TEST(FetchItems, HeaderFields) {
  Parsed<FetchArgs> f = Fetch("1 (BODY.PEEK[HEADER.FIELDS (From \"To\" x-Foo)]<0.10> BODY[1.HEADER.FIELDS.NOT (Received)])");
  ASSERT_TRUE(f.ok()) << f.error().text;
  ASSERT_EQ(f->items.size(), 2u);
  EXPECT_EQ(f->items[0].name, "BODY[HEADER.FIELDS (FROM \"TO\" X-FOO)]<0>");
  EXPECT_EQ(f->items[0].section.text, FetchSection::Text::kHeaderFields);
  EXPECT_EQ(f->items[0].section.fields, (std::vector<std::string>{"FROM", "TO", "X-FOO"}));
  EXPECT_EQ(f->items[0].partial, (FetchPartial{0, 10}));
  EXPECT_EQ(f->items[1].name, "BODY[1.HEADER.FIELDS.NOT (RECEIVED)]");
  EXPECT_EQ(f->items[1].section.part, "1");
  EXPECT_EQ(f->items[1].section.text, FetchSection::Text::kHeaderFieldsNot);
  // A ')' inside a quoted field name (Dovecot answers with "A)B").
  EXPECT_EQ(Error("1 BODY[HEADER.FIELDS (\"a)b\")]"), "OK BODY[HEADER.FIELDS (\"A)B\")]");
}

TEST(FetchItems, HeaderFieldAsLiteralUsesDovecotsSplitForm) {
  Parsed<FetchArgs> f = Fetch("1 (FLAGS BODY[HEADER.FIELDS ({1}\r\nX Date)]<1.2> UID)");
  ASSERT_TRUE(f.ok()) << f.error().text;
  EXPECT_EQ(Names(*f), "FLAGS BODY[HEADER.FIELDS (\"X\" DATE)]<1> UID");
  EXPECT_EQ(f->items[1].section.fields, (std::vector<std::string>{"X", "DATE"}));
  EXPECT_EQ(f->items[1].partial, (FetchPartial{1, 2}));
  // And at the top level, followed by modifiers.
  f = Fetch("1 BODY[HEADER.FIELDS ({4}\r\nDate)] (CHANGEDSINCE 5)");
  ASSERT_TRUE(f.ok()) << f.error().text;
  EXPECT_EQ(Names(*f), "BODY[HEADER.FIELDS (\"DATE\")] MODSEQ");
  EXPECT_EQ(f->changed_since, 5u);
}

TEST(FetchItems, Binary) {
  Parsed<FetchArgs> f = Fetch("1 (BINARY[1] BINARY.PEEK[1.2]<0.5> BINARY.SIZE[1] BINARY[])");
  ASSERT_TRUE(f.ok()) << f.error().text;
  EXPECT_EQ(Names(*f), "BINARY[1] BINARY[1.2]<0> BINARY.SIZE[1] BINARY[]");
  EXPECT_EQ(f->items[0].attr, FetchAttr::kBinarySection);
  EXPECT_TRUE(f->items[0].sets_seen());
  EXPECT_TRUE(f->items[1].peek);
  EXPECT_EQ(f->items[2].attr, FetchAttr::kBinarySize);
  EXPECT_FALSE(f->items[2].sets_seen());
  // Dovecot ignores what follows BINARY.SIZE[...].
  EXPECT_EQ(Error("1 BINARY.SIZE[1]<0.5>"), "OK BINARY.SIZE[1]");
}

TEST(FetchItems, ModifiersChangedSinceAndVanished) {
  Parsed<FetchArgs> f = Fetch("1:* (FLAGS) (CHANGEDSINCE 12345)");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->changed_since, 12345u);
  EXPECT_EQ(Names(*f), "FLAGS MODSEQ");
  f = Fetch("1:* (FLAGS) (changedsince 7 VANISHED)", true, true);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->vanished);
  EXPECT_EQ(Names(*f), "UID FLAGS MODSEQ");
  EXPECT_EQ(Error("1 FLAGS (CHANGEDSINCE 18446744073709551615)"), "OK FLAGS MODSEQ");
}

// Error texts checked against Dovecot 2.3.19.
TEST(FetchItems, ErrorsMatchDovecot) {
  const std::pair<std::string, std::string> cases[] = {
      {"1 FOO", "Unknown parameter: FOO"},
      {"1", "Invalid arguments"},
      {"1 ()", "FETCH list is empty"},
      {"1 \"FLAGS\"", "Invalid arguments"},
      {"1 (FLAGS \"UID\")", "FETCH list contains non-atoms"},
      {"1 (FLAGS FOO)", "Unknown parameter: FOO"},
      {"1 (ALL FLAGS)", "Unknown parameter: ALL"},
      {"1 (FAST)", "Unknown parameter: FAST"},
      {"x FLAGS", "Invalid messageset"},
      {"0 FLAGS", "Invalid messageset"},
      {"1 flagsx", "Unknown parameter: FLAGSX"},
      {"1 BODYX[]", "Unknown parameter: BODYX[]"},
      {"1 RFC822.FOO", "Unknown parameter RFC822.FOO"},
      {"1 RFC822[]", "Unknown parameter RFC822[]"},
      {"1 BODY[", "Invalid BODY[..] parameter: Missing ']'"},
      {"1 BODY.PEEK", "Invalid BODY[..] parameter: Missing '['"},
      {"1 BODY.PEEKX[]", "Invalid BODY[..] parameter: Missing '['"},
      {"1 BINARY", "Invalid BINARY[..] parameter: Missing '['"},
      {"1 BINARY.FOO[]", "Invalid BINARY[..] parameter: Missing '['"},
      {"1 BODY[]<", "Invalid BODY[..] parameter: Too big partial start"},
      {"1 BODY[]<>", "Invalid BODY[..] parameter: Too big partial start"},
      {"1 BODY[]<x.1>", "Invalid BODY[..] parameter: Too big partial start"},
      {"1 BODY[]<-1>", "Invalid BODY[..] parameter: Too big partial start"},
      {"1 BODY[1]<9223372036854775808>", "Invalid BODY[..] parameter: Too big partial start"},
      {"1 BODY[]<0.>", "Invalid BODY[..] parameter: Too big partial end"},
      {"1 BODY[1]<1", "Invalid BODY[..] parameter: Missing '>' in partial"},
      {"1 BODY[1]<1.2", "Invalid BODY[..] parameter: Missing '>' in partial"},
      {"1 BODY[]<1.2>x", "Invalid BODY[..] parameter: Unexpected data after '>'"},
      {"1 BODY[]<0.5><1.2>", "Invalid BODY[..] parameter: Unexpected data after '>'"},
      {"1 BODY[TEXT]x", "Invalid BODY[..] parameter: Unexpected data after ']'"},
      {"1 BODY[HEADER.FIELDS (a b)]x", "Invalid BODY[..] parameter: Unexpected data after ']'"},
      {"1 BODY[FOO]", "Invalid BODY[..] section"},
      {"1 BODY[1.]", "Invalid BODY[..] section"},
      {"1 BODY[.1]", "Invalid BODY[..] section"},
      {"1 BODY[MIME]", "Invalid BODY[..] section"},
      {"1 BODY[HEADER.FIELDS]", "Invalid BODY[..] section"},
      {"1 BODY[HEADER.FIELDS ()]", "Invalid BODY[..] section"},
      {"1 BODY[HEADER ()]", "Invalid BODY[..] section"},
      {"1 BODY[1.HEADER.MIME]", "Invalid BODY[..] section"},
      {"1 BODY[TEXTX]", "Invalid BODY[..] section"},
      {"1 BODY[HEADER.FIELDS.NOTX (From)]", "Invalid BODY[..] section"},
      {"1 BINARY[FOO]", "Invalid BINARY[..] section"},
      {"1 BINARY[1]<x>", "Invalid BINARY[..] parameter: Too big partial start"},
      {"1 BODY[HEADER.FIELDS (From (To))]", "Invalid BODY[..] parameter: Header list contains non-strings"},
      {"1 FLAGS (CHANGEDSINCE x)", "Invalid CHANGEDSINCE modseq"},
      {"1 FLAGS (CHANGEDSINCE)", "Invalid CHANGEDSINCE modseq"},
      {"1 FLAGS (CHANGEDSINCE \"1\")", "Invalid CHANGEDSINCE modseq"},
      {"1 FLAGS (CHANGEDSINCE 18446744073709551616)", "Invalid CHANGEDSINCE modseq"},
      {"1 FLAGS (\"CHANGEDSINCE\" 1)", "FETCH modifiers contain non-atoms"},
      {"1 FLAGS (VANISHED)", "Unknown FETCH modifier"},
      {"1 FLAGS (FOO)", "Unknown FETCH modifier"},
      {"1 FLAGS FOO", "Invalid arguments"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(Error(text), error) << text;
  EXPECT_EQ(Error("x FLAGS", true), "Invalid uidset");
  EXPECT_EQ(Error("1 FLAGS (VANISHED)", true, false), "QRESYNC not enabled");
  EXPECT_EQ(Error("1 FLAGS (VANISHED)", true, true), "VANISHED used without CHANGEDSINCE");
  // Dovecot accepts these.
  EXPECT_EQ(Error("1 BODY[0]"), "OK BODY[0]");
  EXPECT_EQ(Error("1 BODY[1.0]"), "OK BODY[1.0]");
  EXPECT_EQ(Error("1 BODY[]<0.0>"), "OK BODY[]<0>");
  EXPECT_EQ(Error("1 BODY[]<9223372036854775807>"), "OK BODY[]<9223372036854775807>");
  EXPECT_EQ(Error("1 BINARY[HEADER]"), "OK BINARY[HEADER]");
  EXPECT_EQ(Error("1 FLAGS ()"), "OK FLAGS");
  EXPECT_EQ(Error("1 (FLAGS) (CHANGEDSINCE 1) x"), "OK FLAGS MODSEQ");
  EXPECT_EQ(Error("$ FLAGS"), "OK FLAGS");
}

}  // namespace
}  // namespace loft::imap

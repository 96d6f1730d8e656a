// ENVELOPE address lists: groups, routes, comments, broken input.

#include "mime/address_parser.h"

#include <gtest/gtest.h>

namespace loft::mime {
namespace {

std::string Show(const std::vector<ParsedAddress>& list) {
  auto f = [](const std::optional<std::string>& s) { return s ? "\"" + *s + "\"" : std::string("NIL"); };
  std::string out;
  for (const auto& a : list) out += "(" + f(a.name) + " " + f(a.route) + " " + f(a.mailbox) + " " + f(a.domain) + ")";
  return out;
}

TEST(AddressParser, NameAddrAndAddrSpec) {
  EXPECT_EQ(Show(ParseAddressList("\"Q, R\" <q@r>, plain@x.org")),
            "(\"Q, R\" NIL \"q\" \"r\")(NIL NIL \"plain\" \"x.org\")");
}

TEST(AddressParser, TrailingCommentBecomesTheName) {
  EXPECT_EQ(Show(ParseAddressList("user@example.com (User Name)")), "(\"User Name\" NIL \"user\" \"example.com\")");
  // A comment before the address is not a name.
  EXPECT_EQ(Show(ParseAddressList("(lead) u@d")), "(NIL NIL \"u\" \"d\")");
}

TEST(AddressParser, GroupsHaveStartAndEndEntries) {
  EXPECT_EQ(Show(ParseAddressList("undisclosed-recipients:;")),
            "(NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)");
  EXPECT_EQ(Show(ParseAddressList("G: a@b, c@d;, e@f")),
            "(NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL)(NIL NIL \"e\" \"f\")");
  // An unterminated group still gets its end entry.
  EXPECT_EQ(Show(ParseAddressList("G: a@b")), "(NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL)");
}

TEST(AddressParser, RouteAddresses) {
  EXPECT_EQ(Show(ParseAddressList("<@r1,@r2:u@d>")), "(NIL \"@r1,@r2\" \"u\" \"d\")");
  EXPECT_EQ(Show(ParseAddressList("<@r1 u@d>")), "(NIL \"INVALID_ROUTE\" \"u\" \"d\")");
}

TEST(AddressParser, MissingPartsGetPlaceholders) {
  EXPECT_EQ(Show(ParseAddressList("user")), "(NIL NIL \"user\" \"MISSING_DOMAIN\")");
  EXPECT_EQ(Show(ParseAddressList("@domain.only")), "(NIL NIL \"MISSING_MAILBOX\" \"domain.only\")");
  EXPECT_EQ(Show(ParseAddressList("<>")), "(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")");
  EXPECT_EQ(Show(ParseAddressList("Name <a@b")), "(\"Name\" NIL \"a\" \"SYNTAX_ERROR\")");
  EXPECT_EQ(Show(ParseAddressList("just some words")),
            "(\"just some words\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")");
  EXPECT_EQ(Show(ParseAddressList("\"quoted\"")), "(\"quoted\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")");
}

TEST(AddressParser, NonStrictDotsAreAccepted) {
  EXPECT_EQ(Show(ParseAddressList(".user@x, us..er@x, user.@x")),
            "(NIL NIL \".user\" \"x\")(NIL NIL \"us..er\" \"x\")(NIL NIL \"user.\" \"x\")");
}

TEST(AddressParser, EncodedWordsAreLeftAlone) {
  EXPECT_EQ(Show(ParseAddressList("=?utf-8?q?J=C3=B6rg?= <j@x>")), "(\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\")");
}

TEST(AddressParser, EmptyAndGarbageLists) {
  EXPECT_TRUE(ParseAddressList("").empty());
  EXPECT_TRUE(ParseAddressList("  (only a comment) ").empty());
  EXPECT_EQ(ParseAddressList(",,a@b,,").size(), 4u);
}

TEST(AddressParser, NulHandling) {
  // Inside quotes a NUL becomes U+FFFD; in an atom it ends the atom.
  EXPECT_EQ(Show(ParseAddressList(std::string_view("\"Na\0me\" <u\0x@d>", 16))),
            "(\"Na\xEF\xBF\xBDme\" NIL \"u\" \"SYNTAX_ERROR\")");
}

}  // namespace
}  // namespace loft::mime

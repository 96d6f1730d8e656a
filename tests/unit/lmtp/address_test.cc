#include "lmtp/address.h"

#include <gtest/gtest.h>

#include "lmtp/command_syntax.h"
#include "lmtp/lmtp.h"

namespace loft::lmtp {
namespace {

void expect_recipient(std::string_view address, const std::string& user, const std::string& detail) {
  SCOPED_TRACE(std::string(address));
  std::optional<Recipient> r = parse_recipient(address);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->user, user);
  EXPECT_EQ(r->detail, detail);
}

TEST(ParseRecipient, PlainAndBracketed) {
  expect_recipient("alice@example.com", "alice", "");
  expect_recipient("<alice@example.com>", "alice", "");
  expect_recipient("  <alice@example.com>\r\n", "alice", "");
  expect_recipient("alice", "alice", "");  // LMTP allows a bare local part
  expect_recipient("<alice@[192.0.2.1]>", "alice", "");
}

TEST(ParseRecipient, LowerCasesUserKeepsDetailCase) {
  expect_recipient("Alice+Lists@Example.COM", "alice", "Lists");
  expect_recipient("ALICE@x", "alice", "");
}

TEST(ParseRecipient, DetailSplitsAtFirstPlus) {
  expect_recipient("alice+a+b@x", "alice", "a+b");
  expect_recipient("alice+@x", "alice", "");
  // Nothing before the '+' could be a user: no split.
  expect_recipient("+foo@x", "+foo", "");
}

TEST(ParseRecipient, QuotedLocalPartsAndSourceRoutes) {
  expect_recipient("\"Alice\"@x", "alice", "");
  expect_recipient("\"al ice+x\"@x", "al ice", "x");
  expect_recipient("\"a\\\"b\"@x", "a\"b", "");
  expect_recipient("<@relay.example,@b.example:bob@x>", "bob", "");
  expect_recipient("first.last@x", "first.last", "");
}

TEST(ParseRecipient, Malformed) {
  for (std::string_view bad :
       {"", "   ", "<>", "<alice@x", "alice@x>", "al ice@x", "alice@", "@x", "alice@x y", "\"unterminated@x",
        "alice\r\n@x", "<alice@x> <bob@x>", "al\x01ice@x", "\"\"@x", "alice@[]", "<@relay:>",
        "<@relay alice@x>", "ali\xc3\xa9@x"}) {
    EXPECT_FALSE(parse_recipient(bad).has_value()) << "accepted: " << bad;
  }
}

TEST(ParsePath, KeepsTextAsWrittenAndUnquotesLocalPart) {
  Path p;
  PathResult r = parse_path("<\"Al Ice\"@Example.org> SIZE=1", 0, p);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.consumed, 22u);
  EXPECT_EQ(p.text, "\"Al Ice\"@Example.org");
  EXPECT_EQ(p.local, "Al Ice");
  EXPECT_EQ(p.domain, "Example.org");
}

TEST(ParsePath, NullPathOnlyWhenAllowed) {
  Path p;
  EXPECT_TRUE(parse_path("<>", kAllowNullPath, p).ok);
  EXPECT_TRUE(p.is_null());
  PathResult r = parse_path("<>", 0, p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "Null path not allowed");
}

TEST(ParsePath, SamePathComparesDomainCaseInsensitively) {
  Path a, b, c;
  ASSERT_TRUE(parse_path("<alice@Example.org>", 0, a).ok);
  ASSERT_TRUE(parse_path("<alice@example.ORG>", 0, b).ok);
  ASSERT_TRUE(parse_path("<Alice@example.org>", 0, c).ok);
  EXPECT_TRUE(same_path(a, b));
  EXPECT_FALSE(same_path(a, c));
}

TEST(MailArgs, Accepted) {
  MailArgs m;
  EXPECT_EQ(parse_mail_args("FROM:<>", 100, m), "");
  EXPECT_TRUE(m.from.is_null());
  EXPECT_EQ(parse_mail_args("from:<a@b.example> size=100 BODY=8bitmime", 100, m), "");
  EXPECT_EQ(m.from.text, "a@b.example");
  ASSERT_TRUE(m.size.has_value());
  EXPECT_EQ(*m.size, 100u);
  EXPECT_TRUE(m.eight_bit);
  EXPECT_EQ(parse_mail_args("FROM: <a@b> BODY=7BIT", 100, m), "");  // whitespace before path tolerated
  EXPECT_FALSE(m.eight_bit);
}

TEST(MailArgs, Refused) {
  MailArgs m;
  EXPECT_EQ(parse_mail_args("FROM:<a@b> SIZE=101", 100, m),
            "552 5.2.3 Message size exceeds administrative limit");
  EXPECT_EQ(parse_mail_args("FROM:a@b", 100, m), "501 5.5.4 Invalid FROM: Missing '<' at beginning of path");
  EXPECT_EQ(parse_mail_args("TO:<a@b>", 100, m), "501 5.5.4 Invalid parameters");
  EXPECT_EQ(parse_mail_args("", 100, m), "501 5.5.4 Invalid parameters");
  EXPECT_EQ(parse_mail_args("FROM:<a@b>x", 100, m), "501 5.5.4 Invalid FROM: Invalid character in path");
  EXPECT_EQ(parse_mail_args("FROM:<a@b", 100, m), "501 5.5.4 Invalid FROM: Missing '>' at end of path");
  EXPECT_EQ(parse_mail_args("FROM:<a@b> SIZE=abc", 100, m), "501 5.5.4 Invalid SIZE parameter");
  EXPECT_EQ(parse_mail_args("FROM:<a@b> SIZE=", 100, m), "501 5.5.4 Invalid SIZE parameter");
  EXPECT_EQ(parse_mail_args("FROM:<a@b> SIZE=99999999999999999999", 100, m),
            "501 5.5.4 Invalid SIZE parameter");
  EXPECT_EQ(parse_mail_args("FROM:<a@b> SIZE=1 SIZE=1", 100, m), "501 5.5.4 Duplicate SIZE parameter");
  EXPECT_EQ(parse_mail_args("FROM:<a@b> BODY=BINARYMIME", 100, m), "555 5.5.4 Unsupported mail BODY type");
  EXPECT_EQ(parse_mail_args("FROM:<a@b> AUTH=<>", 100, m), "555 5.5.4 Unsupported parameters");
}

TEST(RcptArgs, AcceptedAndRefused) {
  Path p;
  EXPECT_EQ(parse_rcpt_args("TO:<alice+x@example.org>", p), "");
  EXPECT_EQ(p.text, "alice+x@example.org");
  EXPECT_EQ(parse_rcpt_args("to:<alice>", p), "");
  EXPECT_EQ(parse_rcpt_args("TO:<>", p), "501 5.5.4 Invalid TO: Null path not allowed");
  EXPECT_EQ(parse_rcpt_args("TO:alice@x", p), "501 5.5.4 Invalid TO: Missing '<' at beginning of path");
  EXPECT_EQ(parse_rcpt_args("TO:<alice@x> NOTIFY=NEVER", p), "555 5.5.4 Unsupported parameters");
  EXPECT_EQ(parse_rcpt_args("FROM:<alice@x>", p), "501 5.5.4 Invalid parameters");
}

}  // namespace
}  // namespace loft::lmtp

// Argument parsing, text helpers, APOP digests, SASL identities, CAPA text
// and the maildrop snapshot.
#include <gtest/gtest.h>

#include "pop3/apop.h"
#include "pop3/arguments.h"
#include "pop3/capabilities.h"
#include "pop3/maildrop.h"
#include "pop3/pop3.h"
#include "auth/auth.h"
#include "pop3/text.h"

namespace loft::pop3 {
namespace {

std::string error_of(const NumberResult& r) {
  auto* e = std::get_if<std::string>(&r);
  return e ? *e : std::string("<ok>");
}

TEST(Arguments, MessageNumbers) {
  auto r = parse_message_number("12", false);
  ASSERT_TRUE(std::holds_alternative<ParsedNumber>(r));
  EXPECT_EQ(std::get<ParsedNumber>(r).value, 12u);
  EXPECT_EQ(error_of(parse_message_number("x", false)), "-ERR Invalid message number: x");
  EXPECT_EQ(error_of(parse_message_number("", false)), "-ERR Invalid message number: ");
  EXPECT_EQ(error_of(parse_message_number("-1", false)), "-ERR Invalid message number: -1");
  EXPECT_EQ(error_of(parse_message_number("1x", false)), "-ERR Noise after message number: x");
  EXPECT_EQ(error_of(parse_message_number("1 2", false)), "-ERR Noise after message number:  2");
  EXPECT_EQ(error_of(parse_message_number("99999999999999", false)), "-ERR Message number too large: ");
  EXPECT_EQ(error_of(parse_message_number("4294967296", false)), "-ERR Message number too large: ");
  EXPECT_EQ(std::get<ParsedNumber>(parse_message_number("4294967295", false)).value, 4294967295u);
}

TEST(Arguments, MessageNumberThenSpace) {
  auto r = parse_message_number("3   10", true);
  ASSERT_TRUE(std::holds_alternative<ParsedNumber>(r));
  EXPECT_EQ(std::get<ParsedNumber>(r).value, 3u);
  EXPECT_EQ(std::get<ParsedNumber>(r).rest, "10");
  EXPECT_EQ(error_of(parse_message_number("3", true)), "-ERR Noise after message number: ");
}

TEST(Arguments, LineCounts) {
  EXPECT_EQ(std::get<ParsedNumber>(parse_line_count("0")).value, 0u);
  EXPECT_EQ(std::get<ParsedNumber>(parse_line_count("18446744073709551615")).value, UINT64_MAX);
  EXPECT_EQ(error_of(parse_line_count("18446744073709551616")), "-ERR Size too large: ");
  EXPECT_EQ(error_of(parse_line_count("x")), "-ERR Invalid size: x");
  EXPECT_EQ(error_of(parse_line_count("")), "-ERR Invalid size: ");
  EXPECT_EQ(error_of(parse_line_count("1 1")), "-ERR Noise after size:  1");
}

TEST(Arguments, EchoedTextIsSanitized) {
  std::string e = error_of(parse_message_number(std::string("x\0\r\x1b", 4), false));
  EXPECT_EQ(e, "-ERR Invalid message number: x???");
}

TEST(Text, Base64RoundTripAndStrictness) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0alice\0pw", 9)})
    EXPECT_EQ(auth::base64_decode(auth::base64_encode(s)), s);
  EXPECT_EQ(auth::base64_encode(std::string("\0alice\0alice-pass", 17)), "AGFsaWNlAGFsaWNlLXBhc3M=");
  EXPECT_FALSE(auth::base64_decode("!!!"));
  EXPECT_FALSE(auth::base64_decode("abc"));
  EXPECT_FALSE(auth::base64_decode("ab=c"));
  EXPECT_FALSE(auth::base64_decode("a==="));
  EXPECT_FALSE(auth::base64_decode("YW Jj"));
  EXPECT_FALSE(auth::base64_decode("="));
  EXPECT_EQ(auth::base64_decode("YQ=="), "a");
}

TEST(Text, CaseAndSanitize) {
  EXPECT_EQ(ascii_upper("stAt1"), "STAT1");
  EXPECT_EQ(ascii_lower("AlIce"), "alice");
  EXPECT_EQ(sanitize("a\r\nb", 10), "a??b");
  EXPECT_EQ(sanitize(std::string(300, 'x')).size(), 200u);
}

TEST(Apop, Rfc1939Example) {
  // RFC 1939 section 7.
  std::string ts = "<1896.697170952@dbc.mtview.ca.us>";
  EXPECT_EQ(apop_digest(ts, "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
  EXPECT_TRUE(apop_digest_matches(ts, "tanstaaf", "c4c9334bac560ecc979e58001b3e22fb"));
  EXPECT_TRUE(apop_digest_matches(ts, "tanstaaf", "C4C9334BAC560ECC979E58001B3E22FB"));
  EXPECT_FALSE(apop_digest_matches(ts, "tanstaaF", "c4c9334bac560ecc979e58001b3e22fb"));
  EXPECT_FALSE(apop_digest_matches(ts, "tanstaaf", "c4c9334bac560ecc979e58001b3e22f"));
}

TEST(Apop, TimestampsAreUniqueAndWellFormed) {
  std::string a = make_apop_timestamp("mail.example"), b = make_apop_timestamp("mail.example");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.front(), '<');
  EXPECT_EQ(a.back(), '>');
  EXPECT_NE(a.find('.'), std::string::npos);
  EXPECT_NE(a.find("@mail.example>"), std::string::npos);
}

TEST(SaslIdentity, ClaimedUsers) {
  EXPECT_EQ(auth::sasl_claimed_user("PLAIN", 0, std::string("\0Alice\0pw", 9)), "alice");
  EXPECT_EQ(auth::sasl_claimed_user("PLAIN", 0, "garbage"), "");
  EXPECT_EQ(auth::sasl_claimed_user("LOGIN", 0, "Bob"), "bob");
  EXPECT_EQ(auth::sasl_claimed_user("LOGIN", 1, "the-password"), "");  // never a password
  EXPECT_EQ(auth::sasl_claimed_user("SCRAM-SHA-256", 0, "n,,n=carol,r=abc"), "carol");
  EXPECT_EQ(auth::sasl_claimed_user("SCRAM-SHA-256", 0, "n,,n=a=2Cb=3Dc,r=abc"), "a,b=c");
  EXPECT_EQ(auth::sasl_claimed_user("SCRAM-SHA-256", 1, "c=biws,r=abc,p=xyz"), "");
}

TEST(Capabilities, AuthorizationAndTransaction) {
  CapaState s;
  s.plaintext_allowed = true;
  s.stls = true;
  EXPECT_EQ(capa_response(s),
            "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\n"
            "SASL SCRAM-SHA-256 PLAIN LOGIN\r\nIMPLEMENTATION Loft\r\n.\r\n");
  s.plaintext_allowed = false;
  s.stls = false;
  EXPECT_EQ(capa_response(s),
            "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n"
            "SASL SCRAM-SHA-256\r\nIMPLEMENTATION Loft\r\n.\r\n");
  s.authorization = false;
  s.plaintext_allowed = true;
  s.stls = true;
  EXPECT_EQ(capa_response(s),
            "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nIMPLEMENTATION "
            "Loft\r\n.\r\n");
}

TEST(Maildrop, CountsDeletesAndUniqueIds) {
  std::vector<store::MessageInfo> infos(3);
  infos[0].uid = 1, infos[0].size = 10;
  infos[1].uid = 7, infos[1].size = 20, infos[1].flags = store::kSeen;
  infos[2].uid = 0xABCDEF12u, infos[2].size = 30;
  Maildrop m(infos, 0x6b0852d0u);
  EXPECT_EQ(m.live_count(), 3u);
  EXPECT_EQ(m.live_size(), 60u);
  EXPECT_EQ(m.unique_id(0), "000000016b0852d0");
  EXPECT_EQ(m.unique_id(2), "abcdef126b0852d0");
  EXPECT_EQ(std::get<size_t>(m.lookup("2", false)), 1u);
  EXPECT_EQ(std::get<std::string>(m.lookup("4", false)), "-ERR There's no message 4.");
  EXPECT_EQ(std::get<std::string>(m.lookup("0", false)), "-ERR There's no message 0.");
  m.mark_deleted(1);
  m.mark_deleted(1);
  EXPECT_EQ(m.live_count(), 2u);
  EXPECT_EQ(m.live_size(), 40u);
  EXPECT_EQ(std::get<std::string>(m.lookup("2", false)), "-ERR Message is deleted.");
  m.mark_retrieved(0);
  m.mark_retrieved(1);  // deleted: no \Seen update for it
  EXPECT_EQ(m.seen_updates(), std::vector<uint32_t>{1});
  EXPECT_EQ(m.deleted_uids(), std::vector<uint32_t>{7});
  m.reset();
  EXPECT_EQ(m.live_count(), 3u);
  EXPECT_TRUE(m.seen_updates().empty());
  EXPECT_TRUE(m.deleted_uids().empty());
}

TEST(Maildrop, AlreadySeenMessagesNeedNoUpdate) {
  std::vector<store::MessageInfo> infos(1);
  infos[0].uid = 5;
  infos[0].flags = store::kSeen;
  Maildrop m(infos, 1);
  m.mark_retrieved(0);
  EXPECT_TRUE(m.seen_updates().empty());
}

TEST(MaildropLocks, Exclusive) {
  MaildropLocks locks;
  EXPECT_TRUE(locks.try_lock("alice"));
  EXPECT_FALSE(locks.try_lock("alice"));
  EXPECT_TRUE(locks.try_lock("bob"));
  locks.unlock("alice");
  EXPECT_TRUE(locks.try_lock("alice"));
}

}  // namespace
}  // namespace loft::pop3

// The not-authenticated state: greeting, CAPABILITY, LOGIN, AUTHENTICATE,
// STARTTLS, LOGOUT, throttling, timeouts and the command plumbing.
#include <gtest/gtest.h>

#include "imap/session_text.h"
#include "auth/auth.h"
#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

class ImapAuthTest : public ImapTest {};

std::string B64(std::string_view s) { return auth::base64_encode(s); }

TEST_F(ImapAuthTest, GreetingAnnouncesPreLoginCapabilities) {
  auto c = connect();
  EXPECT_EQ(c->host.take(),
            "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=SCRAM-SHA-256 AUTH=PLAIN "
            "AUTH=LOGIN] Loft ready.\r\n");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(std::chrono::seconds(60)));
}

TEST_F(ImapAuthTest, RemotePlaintextIsRefusedAndAdvertisedAsSuch) {
  auto c = connect({"192.0.2.1", false, true, false});
  std::string g = c->host.take();
  EXPECT_NE(g.find(" STARTTLS LOGINDISABLED AUTH=SCRAM-SHA-256]"), std::string::npos) << g;
  EXPECT_EQ(g.find("AUTH=PLAIN"), std::string::npos);
  std::string r = c->cmd("a LOGIN alice alice-pass");
  EXPECT_EQ(r,
            "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. "
            "If anyone was listening, the password was exposed.\r\n"
            "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
  EXPECT_EQ(c->cmd("b AUTHENTICATE PLAIN " + B64(std::string("\0alice\0alice-pass", 17))),
            "b NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n");
}

TEST_F(ImapAuthTest, CapabilityBeforeAndAfterLogin) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a CAPABILITY"),
            "* CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=SCRAM-SHA-256 AUTH=PLAIN AUTH=LOGIN\r\n"
            "a OK Pre-login capabilities listed, post-login capabilities have more.\r\n");
  EXPECT_EQ(c->cmd("b LOGIN alice alice-pass"),
            "b OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+ MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN "
            "LIST-STATUS BINARY MOVE STATUS=SIZE SPECIAL-USE UTF8=ACCEPT APPENDLIMIT=67108864] Logged in\r\n");
  EXPECT_EQ(c->cmd("c capability"),
            "* CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+ MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN "
            "LIST-STATUS BINARY MOVE STATUS=SIZE SPECIAL-USE UTF8=ACCEPT APPENDLIMIT=67108864\r\n"
            "c OK Capability completed.\r\n");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(std::chrono::minutes(30)));
}

TEST_F(ImapAuthTest, LoginWithQuotedAndLiteralArguments) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a LOGIN \"ALICE\" {10}"), "+ OK\r\n");
  std::string r = c->send_raw("alice-pass\r\n");
  EXPECT_EQ(r.substr(0, 18), "a OK [CAPABILITY I");
}

TEST_F(ImapAuthTest, LoginFailureIsThrottledAfterFreeFailures) {
  auto c = connect();
  // The first timer is the login deadline (60 s from the connection).
  ASSERT_EQ(c->host.delays.size(), 1u);
  EXPECT_EQ(c->host.delays[0], std::chrono::milliseconds(std::chrono::minutes(1)));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(c->cmd("a LOGIN alice wrong"), "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  EXPECT_EQ(c->host.delays.size(), 1u);  // the free failures
  EXPECT_EQ(c->cmd("a LOGIN alice wrong"), "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  ASSERT_EQ(c->host.delays.size(), 2u);
  EXPECT_EQ(c->host.delays[1], std::chrono::milliseconds(250));
  // Success waits too (no hint in the timing), then logs in.
  EXPECT_EQ(c->cmd("b LOGIN alice alice-pass").substr(0, 5), "b OK ");
  EXPECT_EQ(c->host.delays.size(), 3u);
}

TEST_F(ImapAuthTest, UnknownUserFailsLikeWrongPassword) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a LOGIN nobody x"), "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  EXPECT_EQ(c->cmd("a LOGIN"), "a BAD Error in IMAP command LOGIN: Invalid arguments\r\n");
}

TEST_F(ImapAuthTest, AuthenticatePlainWithInitialResponse) {
  auto c = connect();
  std::string r = c->cmd("a AUTHENTICATE PLAIN " + B64(std::string("\0alice\0alice-pass", 17)));
  EXPECT_EQ(r.substr(0, 30), "a OK [CAPABILITY IMAP4rev1 IMA") << r;
  EXPECT_NE(r.find("] Logged in\r\n"), std::string::npos);
}

TEST_F(ImapAuthTest, AuthenticatePlainWithContinuation) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a AUTHENTICATE PLAIN"), "+ \r\n");
  std::string r = c->cmd(B64(std::string("\0bob\0bob-pass", 13)));
  EXPECT_NE(r.find("a OK [CAPABILITY"), std::string::npos) << r;
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
}

TEST_F(ImapAuthTest, AuthenticateLoginMechanism) {
  auto c = connect();
  std::string r = c->cmd("a AUTHENTICATE LOGIN");
  EXPECT_EQ(r.substr(0, 2), "+ ");
  r = c->cmd(B64("alice"));
  EXPECT_EQ(r.substr(0, 2), "+ ");
  r = c->cmd(B64("alice-pass"));
  EXPECT_NE(r.find("a OK [CAPABILITY"), std::string::npos) << r;
}

TEST_F(ImapAuthTest, AuthenticateFailuresAndAbort) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a AUTHENTICATE PLAIN " + B64(std::string("\0alice\0nope", 11))),
            "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  EXPECT_EQ(c->cmd("b AUTHENTICATE PLAIN"), "+ \r\n");
  EXPECT_EQ(c->cmd("*"), "b BAD Authentication aborted by client.\r\n");
  EXPECT_EQ(c->cmd("c AUTHENTICATE PLAIN"), "+ \r\n");
  EXPECT_EQ(c->cmd("!!!"), "c BAD Invalid base64 data in continued response\r\n");
  EXPECT_EQ(c->cmd("d AUTHENTICATE PLAIN !!!!"), "d BAD Invalid base64 data in initial response\r\n");
  EXPECT_EQ(c->cmd("e AUTHENTICATE CRAM-MD5"), "e NO Unsupported authentication mechanism.\r\n");
  // The session still works after all that.
  EXPECT_EQ(c->cmd("f NOOP"), "f OK NOOP completed.\r\n");
}

TEST_F(ImapAuthTest, EmptyInitialResponseIsEqualsSign) {
  auto c = connect();
  // An empty initial response is a message of its own (RFC 4959); PLAIN
  // then asks again, and the credentials follow.
  EXPECT_EQ(c->cmd("a AUTHENTICATE PLAIN ="), "+ \r\n");
  EXPECT_EQ(c->cmd(B64(std::string("\0alice\0alice-pass", 17))).substr(0, 5), "a OK ");
}

TEST_F(ImapAuthTest, CommandsOfOtherStatesAreUnknownBeforeLogin) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a SELECT INBOX"), "a BAD Error in IMAP command SELECT: Unknown command\r\n");
  EXPECT_EQ(c->cmd("a UID FETCH 1 FLAGS"), "a BAD Error in IMAP command UID FETCH: Unknown command\r\n");
}

TEST_F(ImapAuthTest, LogoutSaysByeAndCloses) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a LOGOUT"), "* BYE Logging out\r\na OK Logout completed.\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(ImapAuthTest, PipelinedCommandsRunInOrder) {
  auto c = connect();
  std::string r = c->send_raw("a LOGIN alice alice-pass\r\nb NOOP\r\nc LOGOUT\r\n");
  size_t a = r.find("a OK"), b = r.find("b OK NOOP"), bye = r.find("* BYE");
  ASSERT_NE(a, std::string::npos) << r;
  ASSERT_NE(b, std::string::npos) << r;
  ASSERT_NE(bye, std::string::npos) << r;
  EXPECT_LT(a, b);
  EXPECT_LT(b, bye);
}

TEST_F(ImapAuthTest, StarttlsDiscardsPipelinedCommandsAndChangesCapabilities) {
  auto c = connect({"192.0.2.1", false, true, false});
  c->host.take();
  std::string r = c->send_raw("a STARTTLS\r\nb LOGIN alice alice-pass\r\n");
  EXPECT_EQ(r, "a OK Begin TLS negotiation now.\r\n");
  EXPECT_EQ(c->host.handshakes, 1);
  std::string caps = c->cmd("c CAPABILITY");
  EXPECT_EQ(caps.find("STARTTLS"), std::string::npos) << caps;
  EXPECT_EQ(caps.find("LOGINDISABLED"), std::string::npos);
  EXPECT_NE(caps.find("AUTH=PLAIN"), std::string::npos);
  EXPECT_EQ(c->cmd("d STARTTLS"), "d BAD TLS is already active.\r\n");
  EXPECT_EQ(c->cmd("e LOGIN alice alice-pass").substr(0, 5), "e OK ");
}

TEST_F(ImapAuthTest, StarttlsWithoutTlsConfigured) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a STARTTLS"), "a BAD TLS support isn't enabled.\r\n");
}

TEST_F(ImapAuthTest, LoginTimeoutAndAutologout) {
  auto c = connect();
  c->host.take();
  c->session->on_timeout();
  c->host.run();
  EXPECT_EQ(c->host.take(), "* BYE Disconnected for inactivity.\r\n");
  EXPECT_TRUE(c->closed());
  auto d = login();
  d->session->on_timeout();
  d->host.run();
  EXPECT_EQ(d->host.take(), "* BYE Disconnected for inactivity.\r\n");
  EXPECT_TRUE(d->closed());
}

TEST_F(ImapAuthTest, TooManyBadCommandsDisconnect) {
  auto c = connect();
  std::string r;
  for (int i = 0; i < 20; ++i) r = c->cmd("x BOGUS");
  EXPECT_EQ(r, "x BAD Error in IMAP command BOGUS: Unknown command\r\n* BYE Too many invalid IMAP commands.\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(ImapAuthTest, IdBeforeAndAfterLogin) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a ID (\"name\" \"test\")"), "* ID (\"name\" \"Loft\")\r\na OK ID completed.\r\n");
  auto d = login();
  EXPECT_EQ(d->cmd("a ID NIL"), "* ID (\"name\" \"Loft\")\r\na OK ID completed.\r\n");
}

TEST_F(ImapAuthTest, EnableRecordsImap4rev2) {
  auto c = login();
  EXPECT_EQ(c->cmd("a ENABLE IMAP4rev2 CONDSTORE"), "* ENABLED IMAP4rev2 CONDSTORE\r\na OK Enabled.\r\n");
  // Already on: listed again, as Dovecot does.
  EXPECT_EQ(c->cmd("b ENABLE IMAP4REV2"), "* ENABLED IMAP4rev2\r\nb OK Enabled.\r\n");
  // IMAP4rev2 drops RECENT from SELECT.
  std::string r = c->cmd("c SELECT INBOX");
  EXPECT_EQ(r.find("RECENT"), std::string::npos) << r;
  EXPECT_EQ(c->cmd("d ENABLE (x)"), "d BAD Error in IMAP command ENABLE: Invalid arguments\r\n");
}

TEST_F(ImapAuthTest, NamespaceListsThePersonalNamespace) {
  auto c = login();
  EXPECT_EQ(c->cmd("a NAMESPACE"), "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\na OK Namespace completed.\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

namespace loft::imap::testing {
namespace {

TEST_F(ImapAuthTest, OverlongLinesAndSaslResponsesAreRefusedWithBoundedMemory) {
  auto c = connect();
  std::string r = c->send_raw("a LOGIN " + std::string(200 * 1024, 'x'));
  r += c->send_raw(std::string(100 * 1024, 'y') + "\r\n");
  EXPECT_NE(r.find("BAD"), std::string::npos) << r.substr(0, 200);
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
  EXPECT_EQ(c->cmd("c AUTHENTICATE PLAIN"), "+ \r\n");
  r = c->send_raw(std::string(64 * 1024, 'A') + "\r\n");
  EXPECT_EQ(r, "c BAD Invalid base64 data in continued response\r\n");
  EXPECT_EQ(c->cmd("d NOOP"), "d OK NOOP completed.\r\n");
}

TEST_F(ImapAuthTest, DroppedConnectionDuringPasswordCheckIsHarmless) {
  auto c = connect();
  c->host.in = "a LOGIN alice alice-pass\r\n";
  c->host.deliver();  // the check is queued on a "worker"
  c->host.drop();     // ... and the peer goes away before it returns
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(c->host.take().find("a OK"), std::string::npos);
}

// Password checks go to the host's workers for them (offload_auth), the
// mailbox work that follows to the ordinary ones.
TEST_F(ImapAuthTest, PasswordChecksUseTheAuthWorkers) {
  auto c = connect();
  c->cmd("a LOGIN alice wrong");
  EXPECT_EQ(c->host.auth_offloads, 1u);
  c->cmd("b LOGIN alice alice-pass");
  EXPECT_EQ(c->host.auth_offloads, 2u);
  size_t before = c->host.offloads;
  c->cmd("c SELECT INBOX");
  EXPECT_GT(c->host.offloads, before);
  EXPECT_EQ(c->host.auth_offloads, 2u);
  auto d = connect();
  d->cmd("a AUTHENTICATE PLAIN " + B64(std::string("\0alice\0alice-pass", 17)));
  EXPECT_EQ(d->host.auth_offloads, 1u);
}

}  // namespace
}  // namespace loft::imap::testing

// AUTHORIZATION state: greeting, CAPA, USER/PASS, APOP, AUTH (PLAIN, LOGIN,
// SCRAM-SHA-256), STLS, plaintext refusal, throttling, maildrop lock, line
// limits, bad commands and timeouts.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "pop3/apop.h"
#include "auth/auth.h"
#include "pop3/text.h"
#include "pop3_test_support.h"

namespace loft::pop3::testing {
namespace {

using namespace std::chrono_literals;

const char kCapaLoopback[] =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\n"
    "SASL SCRAM-SHA-256 PLAIN LOGIN\r\nIMPLEMENTATION Loft\r\n.\r\n";
const char kPlaintextDisallowed[] =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.\r\n";
const char kAuthFailed[] = "-ERR [AUTH] Authentication failed.\r\n";

std::string plain(std::string_view user, std::string_view pass) {
  std::string raw;
  raw.push_back('\0');
  raw += user;
  raw.push_back('\0');
  raw += pass;
  return auth::base64_encode(raw);
}

TEST_F(Pop3Test, GreetingAndLoginTimeout) {
  auto c = connect();
  EXPECT_EQ(c->host.take(), "+OK Loft ready.\r\n");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(60s));
}

TEST_F(Pop3Test, CapaOnLoopback) {
  auto c = connect();
  EXPECT_EQ(c->cmd("CAPA"), kCapaLoopback);
  EXPECT_EQ(c->cmd("capa"), kCapaLoopback);
}

TEST_F(Pop3Test, CapaOnRemotePlainConnectionOffersStlsAndNoPlaintext) {
  auto c = connect({"192.0.2.7", false, true, false});
  EXPECT_EQ(c->cmd("CAPA"),
            "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"
            "SASL SCRAM-SHA-256\r\nIMPLEMENTATION Loft\r\n.\r\n");
  EXPECT_EQ(c->cmd("AUTH"), "+OK\r\nSCRAM-SHA-256\r\n.\r\n");
}

TEST_F(Pop3Test, PlaintextRefusedOnRemoteConnectionWithoutTls) {
  auto c = connect({"192.0.2.7", false, false, false});
  EXPECT_EQ(c->cmd("USER alice"), kPlaintextDisallowed);
  EXPECT_EQ(c->cmd("PASS alice-pass"), kPlaintextDisallowed);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + plain("alice", "alice-pass")), kPlaintextDisallowed);
  EXPECT_EQ(c->cmd("AUTH LOGIN"), kPlaintextDisallowed);
  EXPECT_EQ(c->cmd("AUTH plain"), kPlaintextDisallowed);
  // Refusals are not bad commands: the connection stays usable.
  EXPECT_FALSE(c->closed());
  // Loopback is trusted by default but can be switched off.
  ctx_->options.plaintext_on_loopback = false;
  auto local = connect();
  EXPECT_EQ(local->cmd("USER alice"), kPlaintextDisallowed);
}

TEST_F(Pop3Test, PlaintextAllowedEverywhereWhenConfigured) {
  ctx_->options.plaintext_without_tls = true;
  auto c = connect({"192.0.2.7", false, false, false});
  EXPECT_EQ(c->cmd("CAPA"), kCapaLoopback);
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, PlaintextAllowedOverImplicitTls) {
  auto c = connect({"192.0.2.7", false, true, true});
  EXPECT_EQ(c->cmd("CAPA"), kCapaLoopback);  // USER, no STLS
  EXPECT_EQ(c->cmd("STLS"), "-ERR TLS is already active.\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN " + plain("alice", "alice-pass")), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, StlsResetsStateAndDropsPipelinedInput) {
  auto c = connect({"192.0.2.7", false, true, false});
  EXPECT_EQ(c->cmd("USER alice"), kPlaintextDisallowed);
  // Commands pipelined behind STLS must not run (RFC 2595 section 4).
  EXPECT_EQ(c->send_raw("STLS\r\nCAPA\r\n"), "+OK Begin TLS negotiation now.\r\n");
  EXPECT_EQ(c->host.handshakes, 1);
  EXPECT_TRUE(c->host.is_tls());
  EXPECT_EQ(c->cmd("CAPA"), kCapaLoopback);
  EXPECT_EQ(c->cmd("STLS"), "-ERR TLS is already active.\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "-ERR No username given.\r\n");
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, StlsForgetsUserGivenBeforeIt) {
  auto c = connect({"127.0.0.1", true, true, false});
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("STLS"), "+OK Begin TLS negotiation now.\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "-ERR No username given.\r\n");
}

TEST_F(Pop3Test, StlsWithoutTlsConfigured) {
  auto c = connect();
  EXPECT_EQ(c->cmd("STLS"), "-ERR TLS support isn't enabled.\r\n");
  EXPECT_EQ(c->host.handshakes, 0);
}

TEST_F(Pop3Test, UserPassSuccessAndIdleTimeout) {
  auto c = connect();
  EXPECT_EQ(c->cmd("user alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("pass alice-pass"), "+OK Logged in.\r\n");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(600s));
  EXPECT_TRUE(locks_.is_locked("alice"));
}

TEST_F(Pop3Test, UserNamesAreCaseInsensitive) {
  auto c = connect();
  EXPECT_EQ(c->cmd("USER Alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
  EXPECT_TRUE(locks_.is_locked("alice"));
}

TEST_F(Pop3Test, PasswordMayContainSpaces) {
  users_->add("carol", "two words ");
  auto c = connect();
  EXPECT_EQ(c->cmd("USER carol"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS two words "), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, FailedLoginsLookTheSameForUnknownUsers) {
  auto c = connect();
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS wrong"), kAuthFailed);
  EXPECT_EQ(c->cmd("USER nosuchuser"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS wrong"), kAuthFailed);
  EXPECT_EQ(c->cmd("PASS wrong"), "-ERR No username given.\r\n");
  EXPECT_EQ(c->cmd("USER"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS"), kAuthFailed);
  // Failed logins are not bad commands and leave the session usable.
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, ThrottleDelaysAnswersAfterRepeatedFailures) {
  auto known = connect({"192.0.2.10", false, true, true});
  auto unknown = connect({"192.0.2.11", false, true, true});
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(known->cmd("USER alice"), "+OK\r\n");
    EXPECT_EQ(known->cmd("PASS wrong"), kAuthFailed);
    EXPECT_EQ(unknown->cmd("USER ghost"), "+OK\r\n");
    EXPECT_EQ(unknown->cmd("PASS wrong"), kAuthFailed);
  }
  // The login deadline (60 s from the connection); three free failures,
  // then 250 ms doubling; the same for a user that does not exist.
  std::vector<std::chrono::milliseconds> expected = {60000ms, 250ms, 500ms};
  EXPECT_EQ(known->host.delays, expected);
  EXPECT_EQ(unknown->host.delays, expected);
  // The delay applies to a correct password too, and success is recorded.
  EXPECT_EQ(known->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(known->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
  EXPECT_EQ(known->host.delays.size(), 4u);
  EXPECT_EQ(known->host.delays.back(), 1000ms);
}

TEST_F(Pop3Test, ApopDisabledByDefault) {
  auto c = connect();
  EXPECT_EQ(c->host.take(), "+OK Loft ready.\r\n");
  EXPECT_EQ(c->cmd("APOP alice c4c9334bac560ecc979e58001b3e22fb"), "-ERR APOP not enabled.\r\n");
}

TEST_F(Pop3Test, ApopLogin) {
  ctx_->options.apop = true;
  ctx_->options.hostname = "mail.example";
  users_->set_apop_secret("alice", "tanstaaf");
  auto c = std::make_unique<Client>();
  c->session = make_session(*ctx_, c->host);
  c->host.session = c->session.get();
  c->session->on_open();
  c->host.run();
  std::string greeting = c->host.take();
  ASSERT_EQ(greeting.rfind("+OK Loft ready. <", 0), 0u) << greeting;
  size_t lt = greeting.find('<'), gt = greeting.find('>');
  ASSERT_NE(gt, std::string::npos);
  std::string timestamp = greeting.substr(lt, gt - lt + 1);
  EXPECT_NE(timestamp.find("@mail.example>"), std::string::npos);
  EXPECT_EQ(greeting.substr(gt + 1), "\r\n");

  EXPECT_EQ(c->cmd("APOP alice"), "-ERR Invalid parameters.\r\n");
  EXPECT_EQ(c->cmd("APOP alice 1234"), "-ERR Invalid parameters.\r\n");
  EXPECT_EQ(c->cmd("APOP alice zz" + std::string(30, '0')), "-ERR Invalid characters in MD5 response.\r\n");
  EXPECT_EQ(c->cmd("APOP alice " + apop_digest(timestamp, "wrong")), kAuthFailed);
  EXPECT_EQ(c->cmd("APOP ghost " + apop_digest(timestamp, "tanstaaf")), kAuthFailed);
  // bob has no APOP secret.
  EXPECT_EQ(c->cmd("APOP bob " + apop_digest(timestamp, "")), kAuthFailed);
  EXPECT_EQ(c->cmd("APOP alice " + ascii_upper(apop_digest(timestamp, "tanstaaf"))), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, OptionsAreCopiedWhenTheSessionStarts) {
  auto before = connect();
  ctx_->options.apop = true;
  ctx_->options.max_bad_commands = 1;
  EXPECT_EQ(before->cmd("APOP alice c4c9334bac560ecc979e58001b3e22fb"), "-ERR APOP not enabled.\r\n");
  EXPECT_EQ(before->cmd("FOO"), "-ERR Unknown command.\r\n");
  EXPECT_FALSE(before->closed());
  auto after = connect();
  EXPECT_NE(after->host.take().find('<'), std::string::npos);
}

TEST_F(Pop3Test, AuthPlainWithInitialResponse) {
  auto c = connect();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + plain("alice", "alice-pass")), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, AuthPlainWithChallenge) {
  auto c = connect();
  EXPECT_EQ(c->cmd("auth plain"), "+ \r\n");
  EXPECT_EQ(c->cmd(plain("alice", "alice-pass")), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, AuthPlainFailures) {
  auto c = connect();
  EXPECT_EQ(c->cmd("AUTH PLAIN " + plain("alice", "bad")), kAuthFailed);
  EXPECT_EQ(c->cmd("AUTH PLAIN " + plain("ghost", "bad")), kAuthFailed);
  EXPECT_EQ(c->cmd("AUTH PLAIN !!!"), "-ERR [AUTH] Invalid base64 data in initial response\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN"), "+ \r\n");
  EXPECT_EQ(c->cmd("not base64!"), "-ERR [AUTH] Invalid base64 data in continued response\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN"), "+ \r\n");
  EXPECT_EQ(c->cmd("*"), "-ERR Authentication aborted by client.\r\n");
  EXPECT_EQ(c->cmd("AUTH CRAM-MD5"), "-ERR [AUTH] Unsupported authentication mechanism.\r\n");
  EXPECT_EQ(c->cmd("AUTH PLAIN " + auth::base64_encode("no-nuls")), kAuthFailed);
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("AUTH PLAIN " + plain("alice", "alice-pass")), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, AuthWithoutArgumentsListsMechanisms) {
  auto c = connect();
  EXPECT_EQ(c->cmd("AUTH"), "+OK\r\nSCRAM-SHA-256\r\nPLAIN\r\nLOGIN\r\n.\r\n");
}

TEST_F(Pop3Test, AuthLogin) {
  auto c = connect();
  EXPECT_EQ(c->cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c->cmd(auth::base64_encode("alice")), "+ UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c->cmd(auth::base64_encode("alice-pass")), "+OK Logged in.\r\n");
}

TEST_F(Pop3Test, AuthLoginWithInitialResponseAndWrongPassword) {
  auto c = connect();
  EXPECT_EQ(c->cmd("AUTH LOGIN " + auth::base64_encode("alice")), "+ UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(c->cmd(auth::base64_encode("nope")), kAuthFailed);
  EXPECT_FALSE(locks_.is_locked("alice"));
}

// ---- SCRAM-SHA-256, client side computed here with OpenSSL ------------------

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string attribute(std::string_view msg, char name) {
  std::string key = std::string(1, name) + "=";
  size_t pos = 0;
  while (pos < msg.size()) {
    size_t end = msg.find(',', pos);
    if (end == std::string_view::npos) end = msg.size();
    std::string_view part = msg.substr(pos, end - pos);
    if (part.substr(0, 2) == key) return std::string(part.substr(2));
    pos = end + 1;
  }
  return {};
}

// Runs the SCRAM exchange; returns the final server answer.
std::string scram_login(Client& c, const std::string& user, const std::string& password,
                        bool send_final_ack = true) {
  const std::string client_nonce = "rOprNGfwEbeRWgbNEkqO";
  const std::string client_first_bare = "n=" + user + ",r=" + client_nonce;
  std::string r = c.cmd("AUTH SCRAM-SHA-256 " + auth::base64_encode("n,," + client_first_bare));
  if (r.rfind("+ ", 0) != 0) return r;
  std::string server_first = *auth::base64_decode(r.substr(2, r.size() - 4));
  std::string nonce = attribute(server_first, 'r');
  std::string salt = *auth::base64_decode(attribute(server_first, 's'));
  int iterations = std::stoi(attribute(server_first, 'i'));
  EXPECT_EQ(nonce.rfind(client_nonce, 0), 0u);

  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                    iterations, EVP_sha256(), sizeof salted, salted);
  std::string salted_password(reinterpret_cast<char*>(salted), sizeof salted);
  std::string client_key = hmac(salted_password, "Client Key");
  std::string stored_key = sha256(client_key);
  std::string without_proof = "c=biws,r=" + nonce;
  std::string auth_message = client_first_bare + "," + server_first + "," + without_proof;
  std::string signature = hmac(stored_key, auth_message);
  std::string proof = client_key;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
  r = c.cmd(auth::base64_encode(without_proof + ",p=" + auth::base64_encode(proof)));
  if (r.rfind("+ ", 0) != 0) return r;
  // The server's final message proves it knows the password too.
  std::string server_final = *auth::base64_decode(r.substr(2, r.size() - 4));
  std::string server_key = hmac(salted_password, "Server Key");
  EXPECT_EQ(server_final, "v=" + auth::base64_encode(hmac(server_key, auth_message)));
  return send_final_ack ? c.cmd("") : c.cmd("*");
}

TEST_F(Pop3Test, AuthScramSha256) {
  auto c = connect({"192.0.2.7", false, false, false});  // allowed without TLS: no plaintext
  EXPECT_EQ(scram_login(*c, "alice", "alice-pass"), "+OK Logged in.\r\n");
  EXPECT_TRUE(locks_.is_locked("alice"));
}

TEST_F(Pop3Test, AuthScramSha256Failures) {
  auto c = connect();
  EXPECT_EQ(scram_login(*c, "alice", "wrong"), kAuthFailed);
  EXPECT_EQ(scram_login(*c, "ghost", "wrong"), kAuthFailed);
  EXPECT_EQ(scram_login(*c, "alice", "alice-pass", false), "-ERR Authentication aborted by client.\r\n");
  EXPECT_FALSE(locks_.is_locked("alice"));
  EXPECT_EQ(scram_login(*c, "alice", "alice-pass"), "+OK Logged in.\r\n");
}

// ---- the maildrop lock ---------------------------------------------------------

TEST_F(Pop3Test, SecondSessionOfSameUserGetsInUse) {
  auto first = login();
  auto second = connect();
  EXPECT_EQ(second->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(second->cmd("PASS alice-pass"), "-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n");
  // Still in AUTHORIZATION: another user may log in on the same connection.
  EXPECT_EQ(second->cmd("STAT"), "-ERR Unknown command.\r\n");
  EXPECT_EQ(second->cmd("AUTH PLAIN " + plain("bob", "bob-pass")), "+OK Logged in.\r\n");
  EXPECT_EQ(first->cmd("QUIT"), "+OK Logging out.\r\n");
  EXPECT_FALSE(locks_.is_locked("alice"));
  auto third = login();
}

TEST_F(Pop3Test, LockReleasedWhenConnectionDrops) {
  auto first = login();
  first->host.drop();
  EXPECT_FALSE(locks_.is_locked("alice"));
  auto second = login();
  // Destroying a session without on_close releases it as well.
  second.reset();
  EXPECT_FALSE(locks_.is_locked("alice"));
}

TEST_F(Pop3Test, StoreErrorAtLoginUnlocksAndStaysInAuthorization) {
  faults_.list = true;
  auto c = connect();
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  std::string r = c->cmd("PASS alice-pass");
  EXPECT_EQ(r.rfind("-ERR [SYS/TEMP] ", 0), 0u) << r;
  EXPECT_FALSE(locks_.is_locked("alice"));
  EXPECT_FALSE(c->closed());
  faults_.list = false;
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
}

// ---- commands, lines, limits ------------------------------------------------------

TEST_F(Pop3Test, QuitInAuthorization) {
  auto c = connect();
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(Pop3Test, UnknownAndTransactionCommandsInAuthorization) {
  auto c = connect();
  for (const char* cmd : {"FOO", "STAT", "LIST", "RETR 1", "NOOP", ""})
    EXPECT_EQ(c->cmd(cmd), "-ERR Unknown command.\r\n");
}

TEST_F(Pop3Test, TooManyBadCommandsDisconnects) {
  ctx_->options.max_bad_commands = 3;
  auto c = connect();
  EXPECT_EQ(c->cmd("FOO"), "-ERR Unknown command.\r\n");
  EXPECT_EQ(c->cmd("FOO"), "-ERR Unknown command.\r\n");
  EXPECT_EQ(c->cmd("CAPA"), kCapaLoopback);  // a good command resets the count
  EXPECT_EQ(c->cmd("FOO"), "-ERR Unknown command.\r\n");
  EXPECT_EQ(c->cmd("FOO"), "-ERR Unknown command.\r\n");
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("FOO"), "-ERR Unknown command.\r\n-ERR Too many invalid bad commands.\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(c->cmd("CAPA"), "");
}

TEST_F(Pop3Test, LineLengthLimit) {
  auto c = connect();
  // 512 octets including CRLF is the limit.
  EXPECT_EQ(c->cmd(std::string(510, 'A')), "-ERR Unknown command.\r\n");
  EXPECT_EQ(c->cmd(std::string(511, 'A')), "-ERR Input line too long.\r\n");
  EXPECT_EQ(c->cmd("CAPA"), kCapaLoopback);
  EXPECT_EQ(c->cmd("USER " + std::string(600, 'a')), "-ERR Input line too long.\r\n");
}

TEST_F(Pop3Test, OverlongLineArrivingInPiecesIsDiscardedWithBoundedMemory) {
  auto c = connect();
  std::string piece(64 * 1024, 'x');
  std::string out;
  for (int i = 0; i < 160; ++i) {  // 10 MiB without a line end
    out += c->send_raw(piece);
    EXPECT_TRUE(c->host.in.empty());  // consumed (and dropped) as it arrives
  }
  out += c->send_raw("tail\r\nCAPA\r\n");
  EXPECT_EQ(out, std::string("-ERR Input line too long.\r\n") + kCapaLoopback);
}

TEST_F(Pop3Test, LineSplitAcrossPacketsAndBareLf) {
  auto c = connect();
  EXPECT_EQ(c->send_raw("CA"), "");
  EXPECT_EQ(c->send_raw("PA\r"), "");
  EXPECT_EQ(c->send_raw("\n"), kCapaLoopback);
  EXPECT_EQ(c->send_raw("CAPA\n"), kCapaLoopback);
}

TEST_F(Pop3Test, BinaryGarbageNeverCrashes) {
  auto c = connect();
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 131 + 7) % 256));
  std::string r = c->send_raw(junk + "\r\n");
  EXPECT_EQ(r.find('\0'), std::string::npos);
  EXPECT_EQ(c->cmd("CAPA").empty(), c->closed());
}

TEST_F(Pop3Test, LoginTimeout) {
  auto c = connect();
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(60s));
  c->host.take();
  c->session->on_timeout();
  c->host.run();
  EXPECT_EQ(c->host.take(), "-ERR Disconnected for inactivity.\r\n");
  EXPECT_TRUE(c->closed());
}

// The login timeout also counts from the connection: commands (or bytes
// trickled in, slow-loris) do not postpone it.
TEST_F(Pop3Test, LoginDeadlineCountsFromTheConnection) {
  auto c = connect();
  ASSERT_EQ(c->host.delays, std::vector<std::chrono::milliseconds>{60000ms});
  EXPECT_EQ(c->cmd("CAPA").substr(0, 5), "+OK\r\n");
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  c->host.take();
  c->host.fire_long_timers();
  c->host.run();
  EXPECT_EQ(c->host.take(), "-ERR Disconnected for inactivity.\r\n");
  EXPECT_TRUE(c->closed());
  // A short one fires by itself (the fake host runs timers under a minute at once).
  ctx_->options.login_timeout = 5s;
  auto d = connect();
  EXPECT_EQ(d->host.take(), "+OK Loft ready.\r\n-ERR Disconnected for inactivity.\r\n");
  EXPECT_TRUE(d->closed());
}

TEST_F(Pop3Test, LoginDeadlineDoesNothingAfterLogin) {
  auto c = connect();
  EXPECT_EQ(c->cmd("USER alice"), "+OK\r\n");
  EXPECT_EQ(c->cmd("PASS alice-pass"), "+OK Logged in.\r\n");
  c->host.fire_long_timers();
  c->host.run();
  EXPECT_EQ(c->host.take(), "");
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("NOOP"), "+OK\r\n");
}

TEST_F(Pop3Test, PipelinedLoginCommandsRunInOrder) {
  auto c = connect();
  std::string r = c->send_raw("CAPA\r\nUSER alice\r\nPASS alice-pass\r\nSTAT\r\nQUIT\r\n");
  EXPECT_EQ(r, std::string(kCapaLoopback) + "+OK\r\n+OK Logged in.\r\n+OK 0 0\r\n+OK Logging out.\r\n");
  EXPECT_TRUE(c->closed());
}

}  // namespace
// Password checks go to the host's workers for them (offload_auth); the
// maildrop is opened by the ordinary ones.
TEST_F(Pop3Test, PasswordChecksUseTheAuthWorkers) {
  auto c = connect();
  c->cmd("USER alice");
  c->cmd("PASS alice-pass");
  EXPECT_EQ(c->host.auth_offloads, 1u);
  EXPECT_GT(c->host.offloads, c->host.auth_offloads);  // the maildrop was opened
  auto d = connect();
  d->cmd("AUTH PLAIN " + plain("alice", "wrong"));
  EXPECT_EQ(d->host.auth_offloads, 1u);
}

}  // namespace loft::pop3::testing

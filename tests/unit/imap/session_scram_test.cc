// AUTHENTICATE SCRAM-SHA-256 (RFC 7677) with SASL-IR; the client side is
// computed here with OpenSSL, independently of the auth layer.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "imap/session_text.h"
#include "auth/auth.h"
#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string Attribute(std::string_view msg, char name) {
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

// Runs the exchange; returns the final server output.
std::string ScramLogin(Client& c, const std::string& user, const std::string& password, bool ack = true) {
  const std::string client_nonce = "rOprNGfwEbeRWgbNEkqO";
  const std::string client_first_bare = "n=" + user + ",r=" + client_nonce;
  std::string r = c.cmd("a AUTHENTICATE SCRAM-SHA-256 " + auth::base64_encode("n,," + client_first_bare));
  if (r.rfind("+ ", 0) != 0) return r;
  std::string server_first = *auth::base64_decode(r.substr(2, r.size() - 4));
  std::string nonce = Attribute(server_first, 'r');
  std::string salt = *auth::base64_decode(Attribute(server_first, 's'));
  int iterations = std::stoi(Attribute(server_first, 'i'));
  EXPECT_EQ(nonce.rfind(client_nonce, 0), 0u);
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                    EVP_sha256(), sizeof salted, salted);
  std::string salted_password(reinterpret_cast<char*>(salted), sizeof salted);
  std::string client_key = Hmac(salted_password, "Client Key");
  std::string stored_key = Sha256(client_key);
  std::string without_proof = "c=biws,r=" + nonce;
  std::string auth_message = client_first_bare + "," + server_first + "," + without_proof;
  std::string signature = Hmac(stored_key, auth_message);
  std::string proof = client_key;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
  r = c.cmd(auth::base64_encode(without_proof + ",p=" + auth::base64_encode(proof)));
  if (r.rfind("+ ", 0) != 0) return r;
  // The server's final message proves it knows the password too.
  std::string server_final = *auth::base64_decode(r.substr(2, r.size() - 4));
  EXPECT_EQ(server_final, "v=" + auth::base64_encode(Hmac(Hmac(salted_password, "Server Key"), auth_message)));
  return ack ? c.cmd("") : c.cmd("*");
}

class ImapScramTest : public ImapTest {};

TEST_F(ImapScramTest, ScramWorksWithoutTlsFromAnywhere) {
  auto c = connect({"192.0.2.7", false, false, false});
  std::string r = ScramLogin(*c, "alice", "alice-pass");
  EXPECT_EQ(r.substr(0, 17), "a OK [CAPABILITY ") << r;
  EXPECT_EQ(c->cmd("b SELECT INBOX").find("b OK [READ-WRITE]") != std::string::npos, true);
}

TEST_F(ImapScramTest, WrongPasswordFails) {
  auto c = connect();
  EXPECT_EQ(ScramLogin(*c, "alice", "wrong"), "a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
}

TEST_F(ImapScramTest, AbortInsteadOfFinalAck) {
  auto c = connect();
  EXPECT_EQ(ScramLogin(*c, "alice", "alice-pass", false), "a BAD Authentication aborted by client.\r\n");
  EXPECT_EQ(c->cmd("b SELECT INBOX"), "b BAD Error in IMAP command SELECT: Unknown command\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

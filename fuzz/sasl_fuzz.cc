// SASL client messages (src/auth): PLAIN, LOGIN and SCRAM-SHA-256 server
// exchanges, the claimed-user scan that throttling uses, and base64 as the
// protocols carry SASL. Password checks go to an in-memory user database
// (plain comparison, no argon2), so only the parsing is in the loop.
//
// Input: byte 0 = mechanism, then the client's messages, one per line. In a
// message "%N" stands for the SCRAM nonce of the server's last challenge, and
// a final ",p=%P" for the correct client proof of password "pencil", so that
// the fuzzer gets past the nonce and proof checks; the server's signature
// must then be the right one.
#include <cstdint>
#include <memory>
#include <string>

#include <openssl/evp.h>

#include "auth/auth.h"
#include "auth/crypto_util.h"
#include "auth/scram_internal.h"
#include "fuzz/fuzz_check.h"

namespace {

using namespace loft::auth;

constexpr std::string_view kSalt = "0123456789abcdef";

class MemoryUserDb : public UserDb {
 public:
  MemoryUserDb() {
    record_.name = "user";
    record_.password_hash = "{PLAIN}pencil";
    // A fixed salt: the exchange is deterministic up to the server nonce.
    record_.scram = internal::derive_scram_credentials("pencil", kSalt, 4096);
  }
  void add(std::string_view, std::string_view) override {}
  void set_password(std::string_view, std::string_view) override {}
  void remove(std::string_view) override {}
  void set_apop_secret(std::string_view, std::optional<std::string_view>) override {}
  std::vector<std::string> list() override { return {record_.name}; }
  std::optional<UserRecord> find(std::string_view name) override {
    // Like the real database: names compare after lower-casing.
    if (internal::ascii_lower(name) != record_.name) return std::nullopt;
    return record_;
  }
  bool exists(std::string_view name) override { return internal::ascii_lower(name) == record_.name; }
  size_t import_passwd_file(const std::filesystem::path&) override { return 0; }
  bool check(std::string_view name, std::string_view password) override {
    return exists(name) && password == "pencil";
  }

 private:
  UserRecord record_;
};

// SaltedPassword of "pencil" (RFC 5802), what a client computes.
const std::string& SaltedPassword() {
  static const std::string* salted = [] {
    auto* out = new std::string(32, '\0');
    FUZZ_CHECK(PKCS5_PBKDF2_HMAC("pencil", 6, reinterpret_cast<const unsigned char*>(kSalt.data()),
                                 static_cast<int>(kSalt.size()), 4096, EVP_sha256(), 32,
                                 reinterpret_cast<unsigned char*>(out->data())) == 1);
    return out;
  }();
  return *salted;
}

MemoryUserDb& Db() {
  static MemoryUserDb* db = new MemoryUserDb();
  return *db;
}

// The value of "r=" in a SCRAM server-first message.
std::string NonceOf(std::string_view challenge) {
  size_t at = challenge.rfind("r=", 0) == 0 ? 0 : challenge.find(",r=");
  if (at == std::string_view::npos) return {};
  at = challenge.find("r=", at) + 2;
  size_t end = challenge.find(',', at);
  return std::string(challenge.substr(at, end == std::string_view::npos ? end : end - at));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loft::fuzz::Input in(data, size);
  static const char* const kMechanisms[] = {"PLAIN", "LOGIN", "SCRAM-SHA-256", "CRAM-MD5"};
  const char* mechanism = kMechanisms[in.byte() % 4];

  std::unique_ptr<SaslServer> server = make_sasl_server(mechanism, Db());
  FUZZ_CHECK((server != nullptr) == (std::string_view(mechanism) != "CRAM-MD5"));

  // base64 as the wire carries it: strict decoding, exact round trip.
  {
    std::string_view all = in.rest();
    if (auto raw = base64_decode(all)) FUZZ_CHECK(base64_decode(base64_encode(*raw)) == raw);
    std::string encoded = base64_encode(all);
    auto back = base64_decode(encoded);
    FUZZ_CHECK(back && *back == all);
  }

  if (!server) return 0;
  SaslAttempt attempt(mechanism, std::move(server));
  std::string nonce, first_bare, server_first, auth_message;
  for (size_t index = 0; index < 6 && !in.empty(); ++index) {
    std::string message(in.line());
    // (Searching on after the inserted nonce: the nonce may hold "%N" itself.)
    for (size_t at = 0; (at = message.find("%N", at)) != std::string::npos; at += nonce.size())
      message.replace(at, 2, nonce);
    if (index == 0) {
      // client-first-message-bare: after the GS2 header "n,[a=...],".
      size_t comma = message.find(',', message.find(',') + 1);
      if (comma != std::string::npos) first_bare = message.substr(comma + 1);
    }
    constexpr std::string_view kProof = ",p=%P";
    if (message.size() >= kProof.size() && message.compare(message.size() - kProof.size(), kProof.size(), kProof) == 0) {
      message.resize(message.size() - kProof.size());
      using internal::hmac_sha256;
      auth_message = first_bare + "," + server_first + "," + message;
      std::string client_key = hmac_sha256(SaltedPassword(), "Client Key");
      std::string signature = hmac_sha256(internal::sha256(client_key), auth_message);
      for (size_t i = 0; i < client_key.size(); ++i) client_key[i] ^= signature[i];
      message += ",p=" + base64_encode(client_key);
    }
    std::string claimed = sasl_claimed_user(mechanism, index, message);
    for (char c : claimed) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));  // lower-cased
    attempt.client_message(message);
    SaslServer::Step step = attempt.server().step(message);
    if (step.state == SaslServer::State::kContinue) {
      nonce = NonceOf(step.challenge);
      server_first = step.challenge;
      continue;
    }
    if (step.state == SaslServer::State::kFailure)
      FUZZ_CHECK(step.error == "malformed" || step.error == "credentials");
    if (step.state == SaslServer::State::kSuccess) {
      FUZZ_CHECK(attempt.user(true) == "user");
      if (std::string_view(mechanism) == "SCRAM-SHA-256") {
        // The server proves it knows the password too: v=ServerSignature.
        std::string server_key = internal::hmac_sha256(SaltedPassword(), "Server Key");
        FUZZ_CHECK(step.challenge == "v=" + base64_encode(internal::hmac_sha256(server_key, auth_message)));
      }
    }
    (void)attempt.user(step.state == SaslServer::State::kSuccess);
    break;
  }
  return 0;
}

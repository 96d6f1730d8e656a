// SASL SCRAM-SHA-256 (RFC 5802, RFC 7677), without channel binding.
//
// Simplifications: SASLprep is not applied to names or passwords (the bytes
// are used as given, which equals SASLprep for ASCII); "p=" (channel binding
// required by the client) is refused since we never offer -PLUS.
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "auth/crypto_util.h"
#include "auth/sasl_internal.h"
#include "auth/scram_internal.h"

namespace loft::auth::internal {
namespace {

constexpr size_t kServerNonceBytes = 18;

// Per-process secret from which fake credentials for unknown users (and users
// without SCRAM credentials) are derived, so that the server-first message of
// such a user looks like a real one and stays the same across attempts.
const std::string& fake_credentials_key() {
  static const std::string key = random_bytes(32);
  return key;
}

ScramCredentials fake_credentials(std::string_view name) {
  std::string folded = ascii_lower(name);
  ScramCredentials creds;
  creds.salt = hmac_sha256(fake_credentials_key(), "salt\n" + folded).substr(0, kScramSaltLen);
  creds.iterations = kScramDefaultIterations;
  creds.stored_key = hmac_sha256(fake_credentials_key(), "stored\n" + folded);
  creds.server_key = hmac_sha256(fake_credentials_key(), "server\n" + folded);
  return creds;
}

// saslname: "=2C" stands for ',' and "=3D" for '='; any other '=' is invalid.
std::optional<std::string> decode_saslname(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') return std::nullopt;
    if (s[i] != '=') {
      out.push_back(s[i]);
      continue;
    }
    std::string_view esc = s.substr(i + 1, 2);
    if (esc == "2C")
      out.push_back(',');
    else if (esc == "3D")
      out.push_back('=');
    else
      return std::nullopt;
    i += 2;
  }
  return out;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    parts.push_back(
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

// "x=value" with x a letter.
bool is_attribute(std::string_view a, char name) { return a.size() >= 2 && a[0] == name && a[1] == '='; }
bool is_extension(std::string_view a) {
  return a.size() >= 2 && ((a[0] >= 'a' && a[0] <= 'z') || (a[0] >= 'A' && a[0] <= 'Z')) && a[1] == '=';
}

bool valid_nonce(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

class ScramServer final : public SaslServer {
 public:
  explicit ScramServer(UserDb& db) : db_(db) {}

  Step step(std::string_view message) override {
    if (message.size() > kMaxSaslMessage) return fail(kErrorMalformed);
    switch (stage_) {
      case Stage::kStart:
        if (message.empty()) {  // no initial response: ask for client-first
          stage_ = Stage::kClientFirst;
          return sasl_continue({});
        }
        return client_first(message);
      case Stage::kClientFirst:
        return client_first(message);
      case Stage::kClientFinal:
        return client_final(message);
      case Stage::kDone:
        break;
    }
    return fail(kErrorMalformed);
  }

  const std::string& user() const override { return user_; }

 private:
  enum class Stage { kStart, kClientFirst, kClientFinal, kDone };

  Step fail(const char* error) {
    stage_ = Stage::kDone;
    return sasl_failure(error);
  }

  // gs2-header client-first-message-bare
  Step client_first(std::string_view msg) {
    // gs2-cbind-flag: "n" or "y" (client supports binding, thinks we do not).
    if (msg.size() < 3 || (msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',') return fail(kErrorMalformed);
    size_t authzid_end = msg.find(',', 2);
    if (authzid_end == std::string_view::npos) return fail(kErrorMalformed);
    std::string_view authzid_attr = msg.substr(2, authzid_end - 2);
    std::string authzid;
    if (!authzid_attr.empty()) {
      if (!is_attribute(authzid_attr, 'a')) return fail(kErrorMalformed);
      auto decoded = decode_saslname(authzid_attr.substr(2));
      if (!decoded || decoded->empty()) return fail(kErrorMalformed);
      authzid = *decoded;
    }
    gs2_header_ = std::string(msg.substr(0, authzid_end + 1));
    client_first_bare_ = std::string(msg.substr(authzid_end + 1));

    std::vector<std::string_view> attrs = split_commas(client_first_bare_);
    // "m=" would be a mandatory extension we do not know: must fail.
    if (attrs.size() < 2 || !is_attribute(attrs[0], 'n') || !is_attribute(attrs[1], 'r')) {
      return fail(kErrorMalformed);
    }
    for (size_t i = 2; i < attrs.size(); ++i) {
      if (!is_extension(attrs[i])) return fail(kErrorMalformed);
    }
    auto name = decode_saslname(attrs[0].substr(2));
    std::string_view client_nonce = attrs[1].substr(2);
    if (!name || name->empty() || !valid_nonce(client_nonce)) return fail(kErrorMalformed);
    if (!authzid.empty() && !ascii_iequals(authzid, *name)) return fail(kErrorCredentials);

    std::optional<UserRecord> rec;
    try {
      rec = db_.find(*name);
    } catch (const std::exception& e) {
      spdlog::error("auth: SCRAM user lookup failed: {}", e.what());
      rec.reset();  // answered like an unknown user; the login fails
    }
    if (rec && rec->scram) {
      creds_ = *rec->scram;
      account_ = rec->name;
      known_ = true;
    } else {
      creds_ = fake_credentials(*name);
    }

    nonce_ = std::string(client_nonce) + base64_encode(random_bytes(kServerNonceBytes));
    server_first_ =
        "r=" + nonce_ + ",s=" + base64_encode(creds_.salt) + ",i=" + std::to_string(creds_.iterations);
    stage_ = Stage::kClientFinal;
    return sasl_continue(server_first_);
  }

  // channel-binding "," nonce ["," extensions] "," proof
  Step client_final(std::string_view msg) {
    size_t proof_at = msg.rfind(",p=");
    if (proof_at == std::string_view::npos) return fail(kErrorMalformed);
    std::string_view without_proof = msg.substr(0, proof_at);
    auto proof = base64_decode(msg.substr(proof_at + 3));
    std::vector<std::string_view> attrs = split_commas(without_proof);
    if (!proof || proof->size() != creds_.stored_key.size() || attrs.size() < 2 ||
        !is_attribute(attrs[0], 'c') || !is_attribute(attrs[1], 'r')) {
      return fail(kErrorMalformed);
    }
    for (size_t i = 2; i < attrs.size(); ++i) {
      if (!is_extension(attrs[i])) return fail(kErrorMalformed);
    }
    // Without channel binding, c= carries exactly the gs2 header we received.
    auto binding = base64_decode(attrs[0].substr(2));
    if (!binding || *binding != gs2_header_) return fail(kErrorMalformed);
    if (attrs[1].substr(2) != nonce_) return fail(kErrorMalformed);

    std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
    std::string client_signature = hmac_sha256(creds_.stored_key, auth_message);
    std::string client_key(proof->size(), '\0');
    for (size_t i = 0; i < client_key.size(); ++i)
      client_key[i] = static_cast<char>((*proof)[i] ^ client_signature[i]);
    bool proof_ok = constant_time_equal(sha256(client_key), creds_.stored_key);
    std::string server_signature = hmac_sha256(creds_.server_key, auth_message);
    stage_ = Stage::kDone;
    if (!proof_ok || !known_) return sasl_failure(kErrorCredentials);
    user_ = account_;
    return sasl_success("v=" + base64_encode(server_signature));
  }

  UserDb& db_;
  Stage stage_ = Stage::kStart;
  bool known_ = false;
  ScramCredentials creds_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  std::string account_;  // the user found at client-first
  std::string user_;     // set on success only
};

}  // namespace

std::unique_ptr<SaslServer> make_scram_sha256_server(UserDb& db) { return std::make_unique<ScramServer>(db); }

}  // namespace loft::auth::internal

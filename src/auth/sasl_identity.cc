#include "auth/auth.h"
#include "util/ascii.h"

namespace loft::auth {
namespace {

// RFC 5802 saslname: "=2C" is ',' and "=3D" is '='.
std::string decode_saslname(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && s.substr(i, 3) == "=2C") {
      out.push_back(',');
      i += 2;
    } else if (s[i] == '=' && s.substr(i, 3) == "=3D") {
      out.push_back('=');
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string sasl_claimed_user(std::string_view mechanism, size_t message_index, std::string_view message) {
  std::string name;
  if (mechanism == "PLAIN") {
    // authzid NUL authcid NUL password (RFC 4616)
    size_t a = message.find('\0');
    if (a != std::string_view::npos) {
      size_t b = message.find('\0', a + 1);
      if (b != std::string_view::npos) name = std::string(message.substr(a + 1, b - a - 1));
    }
  } else if (mechanism == "LOGIN") {
    // The first client message is the user name, the second the password.
    if (message_index == 0) name = std::string(message);
  } else if (mechanism.substr(0, 6) == "SCRAM-" && message_index == 0) {
    // gs2-header "n,," or "y,," or "p=...,," then "n=user,r=nonce"
    size_t c1 = message.find(',');
    size_t c2 = c1 == std::string_view::npos ? c1 : message.find(',', c1 + 1);
    if (c2 != std::string_view::npos) {
      std::string_view bare = message.substr(c2 + 1);
      if (bare.substr(0, 2) == "n=") {
        bare.remove_prefix(2);
        name = decode_saslname(bare.substr(0, bare.find(',')));
      }
    }
  }
  if (name.size() > 64) return {};
  return util::ascii_lowercase(name);
}

void SaslAttempt::client_message(std::string_view message) {
  if (claimed_.empty()) claimed_ = sasl_claimed_user(mechanism_, client_messages_, message);
  ++client_messages_;
}

std::string SaslAttempt::user(bool success) const {
  return success ? util::ascii_lowercase(server_->user()) : claimed_;
}

}  // namespace loft::auth

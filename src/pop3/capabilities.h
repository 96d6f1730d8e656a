// What a connection may use and announce: CAPA (RFC 2449), the SASL
// mechanisms of AUTH (RFC 5034) and whether plaintext logins are allowed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loft::pop3 {

// Mechanisms that send the password itself (refused without TLS unless allowed).
bool is_plaintext_mechanism(std::string_view mechanism);

// auth::sasl_mechanisms() minus the plaintext ones when plaintext is not allowed.
std::vector<std::string> allowed_mechanisms(bool plaintext_allowed);

struct CapaState {
  bool authorization = true;  // AUTHORIZATION state (USER/SASL/STLS only there)
  bool plaintext_allowed = false;
  bool stls = false;  // TLS available and not active
};

// The full multi-line CAPA response, "+OK" to ".", CRLF line ends.
std::string capa_response(const CapaState& state);

}  // namespace loft::pop3

// The CAPABILITY list of a connection (RFC 3501 7.2.1): only what works in
// the connection's state, and which SASL mechanisms it may use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loft::imap {

// Mechanisms that send the password itself (refused without TLS unless allowed).
bool IsPlaintextMechanism(std::string_view mechanism);
// auth::sasl_mechanisms() minus the plaintext ones when plaintext is not allowed.
std::vector<std::string> AllowedMechanisms(bool plaintext_allowed);

struct CapabilityState {
  bool authenticated = false;
  bool plaintext_allowed = false;
  bool starttls = false;  // TLS available and not active
  uint64_t append_limit = 0;  // APPENDLIMIT=n (RFC 7889); 0 leaves it out
};

// The capability names separated by spaces, without "* CAPABILITY".
std::string CapabilityList(const CapabilityState& state);

}  // namespace loft::imap

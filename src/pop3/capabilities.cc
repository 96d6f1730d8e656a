#include "pop3/capabilities.h"

#include "auth/auth.h"

namespace loft::pop3 {

bool is_plaintext_mechanism(std::string_view mechanism) {
  return mechanism == "PLAIN" || mechanism == "LOGIN";
}

std::vector<std::string> allowed_mechanisms(bool plaintext_allowed) {
  std::vector<std::string> out;
  for (auto& m : auth::sasl_mechanisms())
    if (plaintext_allowed || !is_plaintext_mechanism(m)) out.push_back(m);
  return out;
}

std::string capa_response(const CapaState& state) {
  // Order as Dovecot: the fixed list, then STLS, USER and SASL.
  std::string r = "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\n";
  if (state.authorization) {
    if (state.stls) r += "STLS\r\n";
    if (state.plaintext_allowed) r += "USER\r\n";
    auto mechs = allowed_mechanisms(state.plaintext_allowed);
    if (!mechs.empty()) {
      r += "SASL";
      for (auto& m : mechs) r += " " + m;
      r += "\r\n";
    }
  }
  r += "IMPLEMENTATION Loft\r\n.\r\n";
  return r;
}

}  // namespace loft::pop3

#include "imap/capabilities.h"

#include "auth/auth.h"

namespace loft::imap {

bool IsPlaintextMechanism(std::string_view mechanism) { return mechanism == "PLAIN" || mechanism == "LOGIN"; }

std::vector<std::string> AllowedMechanisms(bool plaintext_allowed) {
  std::vector<std::string> out;
  for (auto& m : auth::sasl_mechanisms())
    if (plaintext_allowed || !IsPlaintextMechanism(m)) out.push_back(m);
  return out;
}

std::string CapabilityList(const CapabilityState& state) {
  // Order as Dovecot's. IMAP4rev2 is not announced until FETCH, SEARCH and
  // the rest of RFC 9051 are served; ENABLE IMAP4rev2 is recorded already.
  std::string r = "IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+";
  if (!state.authenticated) {
    if (state.starttls) r += " STARTTLS";
    if (!state.plaintext_allowed) r += " LOGINDISABLED";
    for (auto& m : AllowedMechanisms(state.plaintext_allowed)) r += " AUTH=" + m;
    return r;
  }
  r += " NAMESPACE UNSELECT";
  return r;
}

}  // namespace loft::imap

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
  // Dovecot's order where it has the same extensions. LITERAL+ only: it is
  // a superset of LITERAL- (RFC 7888 4), so both would be redundant.
  std::string r = "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+";
  if (!state.authenticated) {
    if (state.starttls) r += " STARTTLS";
    if (!state.plaintext_allowed) r += " LOGINDISABLED";
    for (auto& m : AllowedMechanisms(state.plaintext_allowed)) r += " AUTH=" + m;
    return r;
  }
  r += " MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN"
       " LIST-STATUS BINARY MOVE STATUS=SIZE SPECIAL-USE UTF8=ACCEPT";
  if (state.append_limit != 0) r += " APPENDLIMIT=" + std::to_string(state.append_limit);
  return r;
}

}  // namespace loft::imap

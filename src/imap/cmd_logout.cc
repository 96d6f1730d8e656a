// LOGOUT (RFC 3501 6.1.3).
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_logout(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  untagged("BYE Logging out");
  send(cmd.tag + " OK Logout completed.\r\n");
  current_.reset();
  disconnect();
}

}  // namespace loft::imap

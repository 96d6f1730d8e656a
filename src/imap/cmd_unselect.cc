// UNSELECT (RFC 3691): CLOSE without the expunge.
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_unselect(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  if (!selected_) return reply(cmd, "BAD No mailbox selected.");
  deselect();
  finish(cmd, "OK Unselect completed.", Sync::kNone);
}

}  // namespace loft::imap

// NOOP and CHECK (RFC 3501 6.1.2, 6.4.1): a poll. The sync step asks the
// store what changed (changes_since also takes in mail dropped into new/).
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_noop(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  if (cmd.name == "CHECK") {
    if (!selected_) return reply(cmd, "BAD No mailbox selected.");
    changes_pending_ = true;
    return finish(cmd, "OK Check completed.");
  }
  if (selected_) changes_pending_ = true;
  finish(cmd, "OK NOOP completed.");
}

}  // namespace loft::imap

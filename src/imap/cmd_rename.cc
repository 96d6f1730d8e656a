// RENAME (RFC 3501 6.3.5). Renaming INBOX (moving its messages) is not
// supported by the store: refused.
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_rename(const Command& cmd) {
  if (cmd.args.size() != 2) return bad(cmd, "Invalid arguments");
  Parsed<std::string> from = ParseMailboxName(cmd.args[0], utf8_mode());
  if (!from) return arg_error(cmd, from.error());
  Parsed<std::string> to = ParseMailboxName(cmd.args[1], utf8_mode());
  if (!to) return arg_error(cmd, to.error());
  std::string a = *from, b = *to;
  while (b.size() > 1 && b.back() == '/') b.pop_back();
  if (IsInboxName(a)) return reply(cmd, "NO [CANNOT] Renaming INBOX isn't supported.");
  if (IsInboxName(b)) return reply(cmd, "NO [ALREADYEXISTS] Target mailbox already exists");
  if (selected_ && selected_->name == a) {
    deselect();
    untagged("OK [CLOSED] Mailbox closed.");
  }
  simple_store_command(cmd, a, "OK Rename completed.", [a, b](store::UserStore& s) { s.rename_mailbox(a, b); });
}

}  // namespace loft::imap

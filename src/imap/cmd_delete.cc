// DELETE (RFC 3501 6.3.4). Deleting the selected mailbox closes it first.
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_delete(const Command& cmd) {
  if (cmd.args.size() != 1) return bad(cmd, "Invalid arguments");
  Parsed<std::string> name = ParseMailboxName(cmd.args[0], utf8_mode());
  if (!name) return arg_error(cmd, name.error());
  std::string mailbox = *name;
  if (IsInboxName(mailbox)) return reply(cmd, "NO [CANNOT] INBOX can't be deleted.");
  if (selected_ && selected_->name == mailbox) {
    deselect();
    untagged("OK [CLOSED] Mailbox closed.");
  }
  simple_store_command(cmd, mailbox, "OK Delete completed.",
                       [mailbox](store::UserStore& s) { s.delete_mailbox(mailbox); });
}

}  // namespace loft::imap

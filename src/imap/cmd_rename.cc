// RENAME (RFC 3501 6.3.5, RFC 9051 6.3.6). Renaming INBOX moves all its
// messages into a new mailbox and leaves INBOX in place, empty (its children
// keep their names): a session with INBOX selected, this one included, sees
// the EXPUNGEs through the sync step. Renaming another selected mailbox
// closes it first, as in Dovecot.
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
  if (IsInboxName(b)) return reply(cmd, "NO [ALREADYEXISTS] Target mailbox already exists");
  if (IsInboxName(a)) {
    std::shared_ptr<store::UserStore> mail = mail_;
    blocking<bool>(
        [mail, b] {
          mail->rename_mailbox("INBOX", b);
          return true;
        },
        [this, b](Outcome<bool>& o) {
          if (!o.value) return finish(*current_, store_failure(o.store_error, o.code, o.error, b, "RENAME"));
          // Our own change: the expunges are read now, not when the feed's post arrives.
          if (selected_ && IsInboxName(selected_->name)) changes_pending_ = true;
          finish(*current_, "OK Rename completed.");
        });
    return;
  }
  if (selected_ && selected_->name == a) {
    deselect();
    untagged("OK [CLOSED] Mailbox closed.");
  }
  simple_store_command(cmd, a, "OK Rename completed.", [a, b](store::UserStore& s) { s.rename_mailbox(a, b); });
}

}  // namespace loft::imap

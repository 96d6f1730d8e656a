// SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6-7, RFC 9051 6.3.7-8).
// Subscriptions are names kept by the store apart from the mailboxes: a
// deleted mailbox stays subscribed until UNSUBSCRIBE, which works for any
// name. Like Dovecot 2.3, SUBSCRIBE wants an existing mailbox (the RFCs let
// the server check) and says so without a response code.
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_subscribe(const Command& cmd) {
  if (cmd.args.size() != 1) return bad(cmd, "Invalid arguments");
  Parsed<std::string> name = ParseMailboxName(cmd.args[0], utf8_mode());
  if (!name) return arg_error(cmd, name.error());
  const bool on = cmd.name == "SUBSCRIBE";
  std::string mailbox = *name;
  std::shared_ptr<store::UserStore> mail = mail_;
  blocking<bool>(
      [mail, mailbox, on] {
        mail->set_subscribed(mailbox, on);
        return true;
      },
      [this, mailbox, on](Outcome<bool>& o) {
        if (!o.value) {
          if (o.store_error && o.code == store::ErrorCode::kNotFound) {
            return finish(*current_, "NO Mailbox doesn't exist: " + EncodeMailboxName(mailbox, utf8_mode()));
          }
          return finish(*current_, store_failure(o.store_error, o.code, o.error, mailbox, current_->name));
        }
        finish(*current_, on ? "OK Subscribe completed." : "OK Unsubscribe completed.");
      });
}

}  // namespace loft::imap

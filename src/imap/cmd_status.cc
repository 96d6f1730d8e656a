// STATUS (RFC 3501 6.3.10, RFC 9051 6.3.11).
#include "imap/session.h"
#include "imap/status_items.h"
#include "imap/status_response.h"

namespace loft::imap {

void ImapSession::cmd_status(const Command& cmd) {
  Parsed<StatusArgs> args = ParseStatusArgs(cmd.args, utf8_mode());
  if (!args) return arg_error(cmd, args.error());
  if (args->items & kStatusHighestModSeq) enable_condstore();  // RFC 7162 3.1
  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = args->mailbox;
  uint32_t items = args->items;
  // Changes due at the sync step ride on this trip.
  blocking<store::MailboxStatus>(
      [mail, name] { return mail->status(name); },
      [this, name, items](Outcome<store::MailboxStatus>& o) {
        if (!o.value) return finish(*current_, store_failure(o.store_error, o.code, o.error, name, "STATUS"));
        send(StatusResponse(name, items, *o.value, utf8_mode(), options_.append_limit));
        finish(*current_, "OK Status completed.");
      }, Lane::kRead, pending_read_ahead());
}

}  // namespace loft::imap

// STATUS (RFC 3501 6.3.10, RFC 9051 6.3.11).
#include "imap/session.h"
#include "imap/status_items.h"
#include "imap/status_response.h"

namespace loft::imap {
namespace {

struct StatusResult {
  store::MailboxStatus status;
  std::optional<ChangesReadAhead> ahead;
};

}  // namespace

void ImapSession::cmd_status(const Command& cmd) {
  Parsed<StatusArgs> args = ParseStatusArgs(cmd.args, utf8_mode());
  if (!args) return arg_error(cmd, args.error());
  if (args->items & kStatusHighestModSeq) enable_condstore();  // RFC 7162 3.1
  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = args->mailbox;
  uint32_t items = args->items;
  // Changes due at the sync step ride on this trip (changes_read_ahead.h).
  ReadAhead ahead = pending_read_ahead();
  blocking<StatusResult>(
      [mail, name, ahead = std::move(ahead)] {
        StatusResult r{mail->status(name), std::nullopt};
        r.ahead = ahead.read();
        return r;
      },
      [this, name, items](Outcome<StatusResult>& o) {
        if (!o.value) return finish(*current_, store_failure(o.store_error, o.code, o.error, name, "STATUS"));
        read_ahead_ = std::move(o.value->ahead);
        send(StatusResponse(name, items, o.value->status, utf8_mode(), options_.append_limit));
        finish(*current_, "OK Status completed.");
      }, Lane::kRead);
}

}  // namespace loft::imap

// CLOSE (RFC 3501 6.4.2): expunges \Deleted messages silently (unless the
// mailbox was EXAMINEd) and returns to the authenticated state.
#include <spdlog/spdlog.h>

#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_close(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  if (!selected_) return reply(cmd, "BAD No mailbox selected.");
  std::string name = selected_->name;
  bool read_only = selected_->read_only;
  // No EXPUNGE responses: the client leaves the mailbox.
  deselect();
  if (read_only) return finish(cmd, "OK Close completed.", Sync::kNone);
  std::shared_ptr<store::UserStore> mail = mail_;
  blocking<size_t>(
      [mail, name] {
        // One store transaction picks and removes the \Deleted messages.
        return mail->expunge_deleted(name, std::nullopt).size();
      },
      [this, name](Outcome<size_t>& o) {
        if (!o.value) {
          spdlog::error("imap [{}]: expunging {} of {} on CLOSE: {}", peer_, name, user_, o.error);
          return reply(*current_, "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.");
        }
        finish(*current_, "OK Close completed.", Sync::kNone);
      });
}

}  // namespace loft::imap

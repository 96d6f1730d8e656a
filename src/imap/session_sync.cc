// The shared sync step: every command ends here. Pending untagged updates of
// the selected mailbox (what the change feed announced, fetched with
// changes_since()) go out first, as far as RFC 3501 7.4.1 allows for the
// command, then the tagged reply. No command writes notifications itself.
#include <spdlog/spdlog.h>

#include "imap/session.h"

namespace loft::imap {

void ImapSession::finish(const Command& cmd, std::string status_text, Sync sync) {
  std::string line = cmd.tag + " " + status_text + "\r\n";
  bool was_bad = status_text.substr(0, 4) == "BAD ";
  sync_then(sync, [this, line = std::move(line), was_bad] {
    send(line);
    command_done(was_bad);
  });
}

void ImapSession::sync_then(Sync sync, std::function<void()> then) {
  // Only ever for the sync right after the command that read it.
  std::optional<ChangesReadAhead> ahead = std::move(read_ahead_);
  read_ahead_.reset();
  if (sync == Sync::kNone || !selected_) return then();
  if (!changes_pending_) {
    send_updates(sync);
    return then();
  }
  if (ahead && ahead->mailbox == selected_->name && ahead->from_modseq == selected_->view.highest_modseq() &&
      ahead->feed_events == feed_events_->load()) {
    // Nothing committed since the command's own read: it is the answer.
    changes_pending_ = false;
    selected_->view.Apply(ahead->changes);
    send_updates(sync);
    return then();
  }
  // Cleared before the query: a change committed while it runs fires the
  // feed again and is picked up by the next sync.
  changes_pending_ = false;
  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = selected_->name;
  uint64_t modseq = selected_->view.highest_modseq();
  blocking<store::MailboxChanges>(
      [mail, name, modseq] { return mail->changes_since(name, modseq); },
      [this, sync, then = std::move(then), name](Outcome<store::MailboxChanges>& o) {
        if (selected_ && selected_->name == name) {
          if (o.value) {
            selected_->view.Apply(*o.value);
          } else if (o.store_error && o.code == store::ErrorCode::kNotFound) {
            // Deleted (or renamed away) by another session: the view cannot
            // go on, so the connection ends, as Dovecot does it.
            untagged("BYE Selected mailbox was deleted, have to disconnect.");
            return disconnect();
          } else {
            spdlog::warn("imap [{}]: changes of {} in {}: {}", peer_, user_, name, o.error);
          }
          send_updates(sync);
        }
        then();
      }, Lane::kRead);
}

ReadAhead ImapSession::read_ahead() const {
  if (!selected_) return {};
  return ReadAhead(mail_, selected_->name, selected_->view.highest_modseq(), feed_events_);
}

ReadAhead ImapSession::pending_read_ahead() const { return changes_pending_ ? read_ahead() : ReadAhead(); }

void ImapSession::send_updates(Sync sync) {
  if (!selected_) return;
  MailboxView::SyncOptions opts;
  opts.allow_expunge = sync == Sync::kFull;
  opts.send_modseq = condstore_enabled_;
  opts.send_uid = qresync_enabled_;
  opts.vanished = qresync_enabled_;
  opts.read_only = selected_->read_only;
  send(selected_->view.TakeUpdates(opts));
}

void ImapSession::deselect() {
  selected_.reset();
  changes_pending_ = false;
  read_ahead_.reset();
  saved_result_ = RangeList();
  if (state_ == State::kSelected) state_ = State::kAuthenticated;
}

}  // namespace loft::imap

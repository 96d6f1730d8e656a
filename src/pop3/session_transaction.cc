// TRANSACTION state: STAT, LIST, UIDL, DELE, RSET and QUIT (the UPDATE
// state of RFC 1939, where the session's changes reach the store).
#include <spdlog/spdlog.h>

#include "pop3/session.h"

namespace loft::pop3 {

void Pop3Session::cmd_stat() {
  send("+OK " + std::to_string(maildrop_.live_count()) + " " + std::to_string(maildrop_.live_size()));
}

void Pop3Session::cmd_list(std::string_view args) {
  if (args.empty()) {
    send("+OK " + std::to_string(maildrop_.live_count()) + " messages:");
    listing_ = Listing{false, 0};
    if (!continue_listing()) begin_async();
    return;
  }
  auto found = maildrop_.lookup(args, false);
  if (auto* error = std::get_if<std::string>(&found)) return fail(*error);
  size_t i = std::get<size_t>(found);
  send("+OK " + std::to_string(i + 1) + " " + std::to_string(maildrop_.at(i).size));
}

void Pop3Session::cmd_uidl(std::string_view args) {
  if (args.empty()) {
    send("+OK");
    listing_ = Listing{true, 0};
    if (!continue_listing()) begin_async();
    return;
  }
  auto found = maildrop_.lookup(args, false);
  if (auto* error = std::get_if<std::string>(&found)) return fail(*error);
  size_t i = std::get<size_t>(found);
  send("+OK " + std::to_string(i + 1) + " " + maildrop_.unique_id(i));
}

bool Pop3Session::continue_listing() {
  // Written in batches while the client keeps up, so a maildrop of any size
  // is listed with bounded output buffering.
  std::string batch;
  Listing& l = *listing_;
  while (l.next < maildrop_.count()) {
    if (host_.output_pending() > kHighWater) return false;
    batch.clear();
    for (; l.next < maildrop_.count() && batch.size() < 32 * 1024; ++l.next) {
      const auto& m = maildrop_.at(l.next);
      if (m.deleted) continue;
      batch += std::to_string(l.next + 1);
      batch += ' ';
      batch += l.uidl ? maildrop_.unique_id(l.next) : std::to_string(m.size);
      batch += "\r\n";
    }
    host_.write(batch);
  }
  send(".");
  listing_.reset();
  return true;
}

void Pop3Session::cmd_dele(std::string_view args) {
  auto found = maildrop_.lookup(args, false);
  if (auto* error = std::get_if<std::string>(&found)) return fail(*error);
  maildrop_.mark_deleted(std::get<size_t>(found));
  send("+OK Marked to be deleted.");
}

void Pop3Session::cmd_rset() {
  maildrop_.reset();
  send("+OK");
}

void Pop3Session::cmd_quit_transaction() {
  std::vector<uint32_t> seen = maildrop_.seen_updates();
  std::vector<uint32_t> deleted = maildrop_.deleted_uids();
  bool any_deleted = !deleted.empty();
  auto finish = [this, any_deleted] {
    // The maildrop is done with: let the next session in right away.
    release_lock();
    send(any_deleted ? "+OK Logging out, messages deleted." : "+OK Logging out.");
    disconnect();
  };
  if (seen.empty() && deleted.empty()) return finish();
  begin_async();
  std::shared_ptr<store::UserStore> mail = mail_;
  blocking<bool>(
      [mail, seen, deleted] {
        // \Seen first, then the deletions in one atomic expunge: a failure
        // of either leaves every message in place.
        if (!seen.empty()) mail->store_flags("INBOX", seen, +1, store::kSeen, {});
        if (!deleted.empty()) mail->expunge("INBOX", deleted);
        return true;
      },
      [this, finish](Outcome<bool>& o) {
        if (!o.value) {
          spdlog::error("pop3 [{}]: updating the maildrop of {} at QUIT: {}", peer_, locked_user_, o.error);
          release_lock();
          send("-ERR [SYS/TEMP] Couldn't update the mailbox; no messages were deleted.");
          disconnect();
          return;
        }
        finish();
      });
}

}  // namespace loft::pop3

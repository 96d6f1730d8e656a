// IDLE (RFC 2177): "+ idling", then updates as the change feed fires, until
// the client's DONE. While idling the autologout timer is twice the normal
// one (clients re-IDLE every 29 minutes, RFC 2177), and "* OK Still here"
// goes out every two minutes, as Dovecot does, so that NAT boxes and
// firewalls do not drop a quiet connection.
#include "imap/session.h"

namespace loft::imap {
namespace {
constexpr std::chrono::minutes kKeepaliveInterval{2};
}  // namespace

void ImapSession::idle_keepalive(uint64_t round) {
  host_.after(kKeepaliveInterval, [this, round] {
    guarded([&] {
      if (closing_ || !idling_ || round != idle_round_) return;
      if (!busy_) untagged("OK Still here");
      idle_keepalive(round);
    });
  });
}

void ImapSession::cmd_idle(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  send("+ idling\r\n");
  idling_ = true;
  host_.set_idle_timeout(current_idle_timeout() * 2);
  idle_keepalive(++idle_round_);
  raw_reader_.reset();
  // What happened before IDLE started goes out at once (a poll first).
  if (selected_) changes_pending_ = true;
  sync_then(Sync::kFull, [this] {
    busy_ = false;  // DONE is read as a raw line
    if (changes_pending_) return idle_sync();  // the feed fired during the poll
    if (!driving_) update_pause();
  });
}

void ImapSession::idle_sync() {
  if (!idling_ || busy_ || closing_ || !selected_ || !changes_pending_) return;
  // busy_ keeps a DONE that arrives meanwhile with the host until the
  // updates are out.
  busy_ = true;
  update_pause();
  sync_then(Sync::kFull, [this] {
    busy_ = false;
    if (changes_pending_) return idle_sync();
    if (!driving_) update_pause();
  });
}

void ImapSession::idle_input(std::string_view line) {
  idling_ = false;
  ++idle_round_;
  host_.set_idle_timeout(current_idle_timeout());
  busy_ = true;
  if (line.size() != 4 || !EqualsIgnoreCase(line, "DONE")) return reply(*current_, "BAD Expected DONE.");
  finish(*current_, "OK Idle completed.");
}

}  // namespace loft::imap

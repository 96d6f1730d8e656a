// RETR and TOP: the message streamed from its file in chunks read on a
// worker, dot-stuffed on the loop, and paced by the client's reading
// (on_output_drained), so that no message is ever held in memory whole.
#include <spdlog/spdlog.h>

#include <utility>

#include "pop3/arguments.h"
#include "pop3/session.h"

namespace loft::pop3 {

Pop3Session::Opened Pop3Session::open_and_read(store::UserStore& mail, uint32_t uid) {
  Opened o{mail.open_message("INBOX", uid), {}};
  o.first = o.file.read(0, kChunk);
  return o;
}

void Pop3Session::cmd_retr(std::string_view args) {
  auto found = maildrop_.lookup(args, false);
  if (auto* error = std::get_if<std::string>(&found)) return fail(*error);
  start_fetch(std::get<size_t>(found), std::nullopt);
}

void Pop3Session::cmd_top(std::string_view args) {
  std::string_view rest;
  auto found = maildrop_.lookup(args, true, &rest);
  if (auto* error = std::get_if<std::string>(&found)) return fail(*error);
  NumberResult lines = parse_line_count(rest);
  if (auto* error = std::get_if<std::string>(&lines)) return fail(*error);
  start_fetch(std::get<size_t>(found), std::get<ParsedNumber>(lines).value);
}

void Pop3Session::start_fetch(size_t index, std::optional<uint64_t> body_lines) {
  begin_async();
  if (std::shared_ptr<ReadAhead> ra = std::move(read_ahead_); ra && ra->index == index) {
    // A read ahead that failed is tried again: its error may have passed.
    if (!ra->done) {
      ra->then = [this, ra, index, body_lines] {
        if (ra->outcome.value) return fetch_opened(index, body_lines, ra->outcome);
        read_and_fetch(index, body_lines);
      };
      return;
    }
    if (ra->outcome.value) return fetch_opened(index, body_lines, ra->outcome);
  }
  read_and_fetch(index, body_lines);
}

void Pop3Session::read_and_fetch(size_t index, std::optional<uint64_t> body_lines) {
  std::shared_ptr<store::UserStore> mail = mail_;
  uint32_t uid = maildrop_.at(index).uid;
  blocking<Opened>([mail, uid] { return open_and_read(*mail, uid); },
                   [this, index, body_lines](Outcome<Opened>& o) { fetch_opened(index, body_lines, o); });
}

void Pop3Session::fetch_opened(size_t index, std::optional<uint64_t> body_lines, Outcome<Opened>& o) {
  if (!o.value) {
    if (o.store_error && o.code == store::ErrorCode::kNotFound) {
      // Expunged meanwhile by another client (IMAP): Dovecot's answer.
      send("-ERR Message " + std::to_string(index + 1) + " expunged.");
    } else {
      spdlog::error("pop3 [{}]: opening message {}: {}", peer_, index + 1, o.error);
      send("-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.");
    }
    end_async();
    return;
  }
  if (body_lines) {
    send("+OK");
  } else {
    // RETR marks the message \Seen (at QUIT), as Dovecot does.
    maildrop_.mark_retrieved(index);
    send("+OK " + std::to_string(maildrop_.at(index).size) + " octets");
  }
  fetch_ = std::make_shared<Fetch>(index, std::move(o.value->file), body_lines);
  if (o.value->first.empty()) return fetch_finish();
  fetch_->offset = o.value->first.size();
  std::string out;
  out.reserve(o.value->first.size() + o.value->first.size() / 16);
  fetch_->stuffer.feed(o.value->first, out);
  host_.write(out);
  fetch_next();
}

void Pop3Session::start_read_ahead(size_t index) {
  if (index >= maildrop_.count() || maildrop_.at(index).deleted || maildrop_.at(index).size > kChunk) return;
  auto ra = std::make_shared<ReadAhead>();
  ra->index = index;
  read_ahead_ = ra;
  std::shared_ptr<store::UserStore> mail = mail_;
  uint32_t uid = maildrop_.at(index).uid;
  blocking<Opened>(
      [mail, uid] { return open_and_read(*mail, uid); },
      [ra](Outcome<Opened>& o) {
        ra->outcome = std::move(o);
        ra->done = true;
        if (ra->then) std::exchange(ra->then, nullptr)();
      });
}

void Pop3Session::fetch_next() {
  std::shared_ptr<Fetch> f = fetch_;
  if (f->stuffer.done() || f->offset >= f->file.size()) return fetch_finish();
  if (host_.output_pending() > kHighWater) {
    f->waiting_drain = true;
    return;
  }
  f->reading = true;
  blocking<std::string>([f] { return f->file.read(f->offset, kChunk); },
                        [this, f](Outcome<std::string>& o) {
                          f->reading = false;
                          if (fetch_ != f) return;
                          if (!o.value) {
                            // Part of the answer is out already: nothing sensible can follow.
                            spdlog::error("pop3 [{}]: reading a message: {}", peer_, o.error);
                            disconnect();
                            return;
                          }
                          if (o.value->empty()) return fetch_finish();     // the file ended early
                          host_.set_idle_timeout(current_idle_timeout());  // progress: re-arm the idle timer
                          f->offset += o.value->size();
                          std::string out;
                          out.reserve(o.value->size() + o.value->size() / 16);
                          f->stuffer.feed(*o.value, out);
                          host_.write(out);
                          fetch_next();
                        });
}

void Pop3Session::fetch_finish() {
  std::string tail;
  fetch_->stuffer.finish(tail);
  host_.write(tail);
  const size_t next = fetch_->index + 1;
  fetch_.reset();
  start_read_ahead(next);
  end_async();
}

}  // namespace loft::pop3

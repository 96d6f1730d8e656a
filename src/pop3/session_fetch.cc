// RETR and TOP: the message streamed from its file in chunks read on a
// worker, dot-stuffed on the loop, and paced by the client's reading
// (on_output_drained), so that no message is ever held in memory whole.
#include <spdlog/spdlog.h>

#include "pop3/arguments.h"
#include "pop3/session.h"

namespace loft::pop3 {

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
  std::shared_ptr<store::UserStore> mail = mail_;
  uint32_t uid = maildrop_.at(index).uid;
  // Opened and its first chunk read in one offload: most messages fit in
  // one chunk, so a RETR costs one trip to a worker, not two.
  struct Opened {
    store::MessageFile file;
    std::string first;
  };
  blocking<Opened>(
      [mail, uid] {
        Opened o{mail->open_message("INBOX", uid), {}};
        o.first = o.file.read(0, kChunk);
        return o;
      },
      [this, index, body_lines](Outcome<Opened>& o) {
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
        fetch_ = std::make_shared<Fetch>(std::move(o.value->file), body_lines);
        if (o.value->first.empty()) return fetch_finish();
        fetch_->offset = o.value->first.size();
        std::string out;
        out.reserve(o.value->first.size() + o.value->first.size() / 16);
        fetch_->stuffer.feed(o.value->first, out);
        host_.write(out);
        fetch_next();
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
  fetch_.reset();
  end_async();
}

}  // namespace loft::pop3

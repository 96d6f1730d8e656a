// RETR and TOP: the message streamed from its file in chunks read on a
// worker, dot-stuffed on the loop, and paced by the client's reading
// (on_output_drained), so that no message is ever held in memory whole.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "pop3/arguments.h"
#include "pop3/session.h"

namespace loft::pop3 {

namespace {

// What was read is all of the message: its descriptor need not stay open
// while the message waits in a read-ahead batch.
void close_when_whole(store::MessageFile& file, const std::string& first) {
  if (first.size() >= file.size()) file = store::MessageFile(-1, file.size());
}

}  // namespace

Pop3Session::Opened Pop3Session::open_and_read(store::UserStore& mail, uint32_t uid) {
  Opened o{mail.open_message("INBOX", uid), {}};
  o.first = o.file.read(0, kChunk);
  return o;
}

std::vector<std::optional<Pop3Session::Opened>> Pop3Session::open_and_read_batch(
    store::UserStore& mail, const std::vector<uint32_t>& uids) {
  std::vector<std::optional<store::MessageFile>> files = mail.open_messages("INBOX", uids);
  std::vector<std::optional<Opened>> out(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (!files[i]) continue;
    std::string first = files[i]->read(0, kChunk);
    close_when_whole(*files[i], first);
    out[i].emplace(Opened{std::move(*files[i]), std::move(first)});
  }
  return out;
}

bool Pop3Session::ReadAhead::contains(size_t index) const {
  return std::find(indices.begin(), indices.end(), index) != indices.end();
}

std::optional<Pop3Session::Opened>* Pop3Session::ReadAhead::slot(size_t index) {
  if (!done || failed) return nullptr;
  auto it = std::find(indices.begin(), indices.end(), index);
  return it == indices.end() ? nullptr : &opened[static_cast<size_t>(it - indices.begin())];
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
  std::shared_ptr<ReadAhead> ra = read_ahead_;
  if (!ra || !ra->contains(index)) {
    read_ahead_count_ = 1;
    return read_and_fetch(index, body_lines);
  }
  read_ahead_count_ = std::min(read_ahead_count_ * 2, kReadAheadCount);
  if (ra->done) return fetch_from_read_ahead(*ra, index, body_lines);
  // Not `ra` itself: the batch would hold itself, and a session closed
  // before the batch is read would never let it (and its files) go.
  ra->then = [this, batch = ra.get(), index, body_lines] { fetch_from_read_ahead(*batch, index, body_lines); };
}

// A message the batch holds is taken out of it (asked for again, it is read
// anew); one that is gone, or a batch that failed, is tried on its own: the
// lookup gives the right answer, and a failure may have passed.
void Pop3Session::fetch_from_read_ahead(ReadAhead& ra, size_t index, std::optional<uint64_t> body_lines) {
  std::optional<Opened>* slot = ra.slot(index);
  if (!slot || !*slot) return read_and_fetch(index, body_lines);
  Outcome<Opened> o;
  o.value = std::move(**slot);
  slot->reset();
  fetch_opened(index, body_lines, o);
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
  // The batch in hand is reading it, or holds it still.
  if (std::shared_ptr<ReadAhead> ra = read_ahead_) {
    std::optional<Opened>* slot = ra->slot(index);
    if (ra->done ? slot && *slot : ra->contains(index)) return;
  }
  auto ra = std::make_shared<ReadAhead>();
  std::vector<uint32_t> uids;
  size_t bytes = 0;
  for (size_t i = index; i < maildrop_.count() && ra->indices.size() < read_ahead_count_; ++i) {
    const Maildrop::Message& m = maildrop_.at(i);
    if (m.deleted) continue;
    const size_t read = static_cast<size_t>(std::min<uint64_t>(m.size, kChunk));
    if (!ra->indices.empty() && bytes + read > kReadAheadBytes) break;
    bytes += read;
    ra->indices.push_back(i);
    uids.push_back(m.uid);
  }
  if (ra->indices.empty()) {
    read_ahead_.reset();
    return;
  }
  read_ahead_ = ra;
  std::shared_ptr<store::UserStore> mail = mail_;
  blocking<std::vector<std::optional<Opened>>>(
      [mail, uids = std::move(uids)] { return open_and_read_batch(*mail, uids); },
      [ra](Outcome<std::vector<std::optional<Opened>>>& o) {
        if (o.value) {
          ra->opened = std::move(*o.value);
        } else {
          ra->failed = true;
        }
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

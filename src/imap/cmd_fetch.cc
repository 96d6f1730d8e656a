// FETCH and UID FETCH (RFC 3501 / 9051 6.4.5, BINARY RFC 3516, CONDSTORE and
// QRESYNC RFC 7162), answered like Dovecot 2.3.
//
// The messages are handled in batches: a worker reads what the batch needs
// (index data, cached MIME trees, files), sets \Seen where the FETCH does,
// and renders the responses (fetch_render.h); the loop writes them, waiting
// for the client to read when much is queued. Literals above 256 KiB are not
// rendered but streamed from the file in chunks, one worker read per chunk,
// so neither FETCH 1:* BODY[] nor one huge message is ever held whole.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "imap/fetch_items.h"
#include "imap/fetch_render.h"
#include "imap/session.h"
#include "mime/imap_strings.h"

namespace loft::imap {
namespace {

constexpr size_t kBatchMessages = 200;
constexpr uint64_t kBatchBytes = 4 << 20;  // rendered bytes held per batch
constexpr size_t kHighWater = 256 * 1024;  // queued output before waiting for the client
constexpr size_t kStreamChunk = 256 * 1024;

bool IsAny(const std::vector<FetchItem>& items, std::initializer_list<FetchAttr> attrs) {
  for (const FetchItem& i : items)
    for (FetchAttr a : attrs)
      if (i.attr == a) return true;
  return false;
}

struct BatchResult {
  size_t processed = 0;
  std::vector<FetchSegment> segments;
  FetchFailure failure = FetchFailure::kNone;
  bool skipped_expunged = false;
  std::vector<store::MessageInfo> seen;  // messages the batch marked \Seen, as they are now
};

}  // namespace

struct ImapSession::FetchRun {
  FetchArgs args;
  std::string mailbox;
  std::vector<uint32_t> seqs;  // what to answer, ascending
  std::vector<uint32_t> uids;  // their UIDs, ascending
  size_t next = 0;             // index into seqs of the next batch
  bool needs_info = false;     // INTERNALDATE, RFC822.SIZE
  bool needs_tree = false;     // structure and sections
  bool needs_file = false;     // sections
  bool sets_seen = false;      // non-PEEK sections in a read-write mailbox
  FetchRenderOptions render;
  // Sizes and internal dates: the store's snapshot (shared, usually cached),
  // taken by the first worker call that needs it, used by the workers only.
  std::shared_ptr<const store::MailboxSnapshot> infos;
  bool infos_loaded = false;
  bool skipped_expunged = false;
  FetchFailure failure = FetchFailure::kNone;
  std::vector<std::pair<uint32_t, uint64_t>> modseq_updates;  // (UID, new MODSEQ) of \Seen changes
  std::deque<FetchSegment> out;                               // rendered, not yet written
};

void ImapSession::cmd_fetch(const Command& cmd) {
  Parsed<FetchArgs> parsed = ParseFetchArgs(cmd.args, cmd.uid, qresync_enabled_);
  if (!parsed) return arg_error(cmd, parsed.error());
  std::string error;
  std::optional<std::vector<uint32_t>> seqs = resolve_set(cmd, parsed->set, cmd.uid, &error);
  if (!seqs) return reply(cmd, error);

  auto run = std::make_shared<FetchRun>();
  run->args = std::move(parsed.value());
  run->mailbox = selected_->name;
  const std::vector<FetchItem>& items = run->args.items;
  if (IsAny(items, {FetchAttr::kModSeq})) enable_condstore();
  const MailboxView& view = selected_->view;
  for (uint32_t seq : *seqs) {
    // CHANGEDSINCE: only messages whose MODSEQ is above it (RFC 7162 3.1.4.1).
    if (run->args.changed_since && view.at(seq).modseq <= *run->args.changed_since) continue;
    run->seqs.push_back(seq);
    run->uids.push_back(view.at(seq).uid);
  }
  run->needs_info = IsAny(items, {FetchAttr::kInternalDate, FetchAttr::kRfc822Size});
  run->needs_file =
      IsAny(items, {FetchAttr::kRfc822, FetchAttr::kRfc822Header, FetchAttr::kRfc822Text,
                    FetchAttr::kBodySection, FetchAttr::kBinarySection, FetchAttr::kBinarySize});
  run->needs_tree =
      run->needs_file || IsAny(items, {FetchAttr::kEnvelope, FetchAttr::kBody, FetchAttr::kBodyStructure});
  run->sets_seen = run->args.sets_seen() && !selected_->read_only;
  run->render.implicit_flags = run->sets_seen && !IsAny(items, {FetchAttr::kFlags});
  fetch_ = run;

  if (!run->args.vanished) return fetch_batch();
  // UID FETCH ... (CHANGEDSINCE n VANISHED): first the UIDs of the set
  // expunged since n (RFC 7162 3.2.6).
  std::shared_ptr<store::UserStore> mail = mail_;
  uint64_t since = *run->args.changed_since;
  std::string name = run->mailbox;
  blocking<std::vector<uint32_t>>(
      [mail, name, since] { return mail->changes_since(name, since).expunged; },
      [this, run](Outcome<std::vector<uint32_t>>& o) {
        if (fetch_ != run) return;
        if (!o.value) {
          fetch_.reset();
          return finish(*current_, store_failure(o.store_error, o.code, o.error, run->mailbox, "fetching"),
                        Sync::kNoExpunge);
        }
        const MailboxView& v = selected_->view;
        uint32_t top = v.count() == 0 ? 0 : v.at(v.count()).uid;
        for (uint32_t uid : *o.value) top = std::max(top, uid);
        RangeList set = run->args.set.Resolve(top);
        std::vector<uint32_t> gone;
        for (uint32_t uid : *o.value)
          if (set.contains(uid)) gone.push_back(uid);
        if (!gone.empty())
          untagged("VANISHED (EARLIER) " + RangeList::FromNumbers(std::move(gone)).ToString());
        fetch_batch();
      }, Lane::kRead);
}

void ImapSession::fetch_batch() {
  std::shared_ptr<FetchRun> run = fetch_;
  if (run->next >= run->seqs.size()) return fetch_end();
  std::vector<FetchMessage> jobs;
  const MailboxView& view = selected_->view;
  for (size_t i = run->next; i < run->seqs.size() && jobs.size() < kBatchMessages; ++i) {
    const MailboxView::Message& v = view.at(run->seqs[i]);
    FetchMessage m;
    m.seq = run->seqs[i];
    m.uid = v.uid;
    m.flags = v.flags;
    m.keywords = v.keywords;
    m.modseq = v.modseq;
    m.gone = v.expunged;
    m.sets_seen = run->sets_seen && !v.expunged && !(v.flags & store::kSeen);
    jobs.push_back(std::move(m));
  }
  std::shared_ptr<store::UserStore> mail = mail_;
  const bool load_infos = run->needs_info && !run->infos_loaded;
  run->infos_loaded = run->infos_loaded || load_infos;
  // Changes another session made are due at the sync step after this
  // FETCH: the batch that may be the last reads them on its own trip, which
  // spares the sync step one (a shared mailbox's reads made two trips each).
  const bool may_be_last = run->next + jobs.size() == run->seqs.size();
  blocking<BatchResult>(
      [mail, run, jobs = std::move(jobs), load_infos]() mutable {
        BatchResult r;
        if (load_infos) run->infos = mail->snapshot(run->mailbox);
        std::unordered_map<uint32_t, mime::Message> trees;
        if (run->needs_tree) {
          std::vector<uint32_t> uids;
          for (const FetchMessage& m : jobs)
            if (!m.gone) uids.push_back(m.uid);
          if (!uids.empty()) {
            for (auto& [uid, data] : mail->parsed_messages(run->mailbox, uids)) {
              std::optional<mime::Message> tree = mime::Message::Deserialize(data);
              if (tree) trees.emplace(uid, std::move(*tree));
            }
          }
        }
        uint64_t held = 0;
        std::vector<uint32_t> seen;
        for (FetchMessage& m : jobs) {
          if (!m.gone && run->needs_info) {
            m.info = run->infos->find(m.uid);
            if (!m.info) m.gone = true;
          }
          if (!m.gone && run->needs_tree) {
            auto it = trees.find(m.uid);
            if (it == trees.end())
              m.gone = true;
            else
              m.tree = &it->second;
          }
          if (!m.gone && run->needs_file) {
            try {
              m.file = std::make_shared<store::MessageFile>(mail->open_message(run->mailbox, m.uid));
            } catch (const store::StoreError& e) {
              if (e.code() != store::ErrorCode::kNotFound) throw;
              m.gone = true;
            }
          }
          if (m.gone) {
            m.sets_seen = false;
            if (run->needs_info || run->needs_tree) r.skipped_expunged = true;
          }
          FetchRendered out = RenderFetchMessage(run->args.items, m, run->render);
          for (FetchSegment& s : out.segments) r.segments.push_back(std::move(s));
          ++r.processed;
          if (m.sets_seen) seen.push_back(m.uid);
          held += out.materialized;
          if (out.failure != FetchFailure::kNone) {
            r.failure = out.failure;
            break;
          }
          if (held >= kBatchBytes) break;
        }
        // Dovecot keeps the \Seen changes of what it answered, even when the
        // FETCH then fails.
        if (!seen.empty()) r.seen = mail->store_flags(run->mailbox, seen, +1, store::kSeen, {});
        return r;
      },
      [this, run](Outcome<BatchResult>& o) {
        if (fetch_ != run) return;
        if (!o.value) {
          fetch_.reset();
          return finish(*current_, store_failure(o.store_error, o.code, o.error, run->mailbox, "fetching"),
                        Sync::kNoExpunge);
        }
        BatchResult& r = *o.value;
        if (selected_ && selected_->name == run->mailbox) {
          for (const store::MessageInfo& info : r.seen) {
            selected_->view.Told(info);
            run->modseq_updates.emplace_back(info.uid, info.modseq);
          }
        }
        run->next += r.processed;
        run->skipped_expunged = run->skipped_expunged || r.skipped_expunged;
        run->failure = r.failure;
        for (FetchSegment& s : r.segments) run->out.push_back(std::move(s));
        fetch_write();
      }, run->sets_seen ? Lane::kStore : Lane::kRead, may_be_last ? pending_read_ahead() : ReadAhead());
}

void ImapSession::fetch_write() {
  std::shared_ptr<FetchRun> run = fetch_;
  while (!run->out.empty()) {
    if (host_.output_pending() > kHighWater) {
      on_drained_ = [this] { fetch_write(); };
      return;
    }
    FetchSegment& s = run->out.front();
    if (!s.file) {
      send(s.text);
      run->out.pop_front();
      continue;
    }
    if (s.length == 0) {
      run->out.pop_front();
      continue;
    }
    // A large literal: the next chunk, read on a worker.
    std::shared_ptr<store::MessageFile> file = s.file;
    uint64_t offset = s.offset;
    size_t len = static_cast<size_t>(std::min<uint64_t>(kStreamChunk, s.length));
    blocking<std::string>(
        [file, offset, len] { return file->read(offset, len); },
        [this, run, len](Outcome<std::string>& o) {
          if (fetch_ != run) return;
          if (!o.value || o.value->size() != len) {
            // The literal's size is out: the connection cannot go on.
            spdlog::error("imap [{}]: FETCH of {} in {}: {}", peer_, user_, run->mailbox,
                          o.value ? "message file shrank" : o.error);
            fetch_.reset();
            untagged("BYE FETCH failed: Internal error occurred. Refer to server log for more information.");
            return disconnect();
          }
          mime::ReplaceNulsForLiteral(*o.value);
          send(*o.value);
          FetchSegment& seg = run->out.front();
          seg.offset += len;
          seg.length -= len;
          if (seg.length == 0) run->out.pop_front();
          fetch_write();
        }, Lane::kRead);
    return;
  }
  if (run->failure != FetchFailure::kNone || run->next >= run->seqs.size()) return fetch_end();
  if (host_.output_pending() > kHighWater) {
    on_drained_ = [this] { fetch_write(); };
    return;
  }
  fetch_batch();
}

void ImapSession::fetch_end() {
  std::shared_ptr<FetchRun> run = fetch_;
  fetch_.reset();
  // With CONDSTORE the \Seen changes' new MODSEQs follow, as Dovecot's sync
  // sends them (the FETCH responses carried the flags already).
  if (condstore_enabled_ && selected_ && selected_->name == run->mailbox) {
    for (const auto& [uid, modseq] : run->modseq_updates) {
      std::optional<uint32_t> seq = selected_->view.seq_of(uid);
      if (!seq) continue;
      std::string line = std::to_string(*seq) + " FETCH (";
      if (qresync_enabled_) line += "UID " + std::to_string(uid) + " ";
      line += "MODSEQ (" + std::to_string(modseq) + "))";
      untagged(line);
    }
  }
  std::string status = "OK Fetch completed.";
  if (run->failure == FetchFailure::kUnknownCte) {
    status = "NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.";
  } else if (run->failure == FetchFailure::kInvalidData) {
    status = "NO [PARSE] Invalid data in MIME part.";
  } else if (run->skipped_expunged) {
    status = "OK [EXPUNGEISSUED] Some messages were already expunged.";
  }
  finish(*current_, status, Sync::kNoExpunge);
}

}  // namespace loft::imap

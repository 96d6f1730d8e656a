// SearchIndex: keeping search.sqlite up to date, in the background after
// commits and in the foreground before a SEARCH.
#include "store/search_index.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "store/search_index_words.h"

#include "store/search_index_db.h"
#include "util/thread_name.h"

namespace loft::store::internal {
namespace {

using Clock = std::chrono::steady_clock;

// A box is rebuilt when its rows (expunged messages included) outnumber
// the mailbox's messages by this factor plus kStaleSlack.
constexpr uint64_t kStaleFactor = 2;
constexpr uint64_t kStaleSlack = 1000;
// Merging a box's per-batch postings after this many messages.
constexpr uint64_t kMergeAfter = 2000;

}  // namespace

// A reader on one box as it was when opened: indexed_through never goes
// down for a box id (a rebuild makes a new box), so its answers stay exact.
class IndexReader : public MailboxSearchIndex {
 public:
  IndexReader(std::shared_ptr<SearchIndex> index, int64_t box, SearchMailboxKey key, uint32_t through)
      : index_(std::move(index)), box_(box), key_(key), through_(through) {}

  uint32_t indexed_through() const override { return through_; }

  std::optional<std::vector<uint32_t>> find(SearchField field, std::string_view folded_needle) override {
    if (!IndexableNeedle(field, folded_needle)) return std::nullopt;
    const std::vector<std::string_view> split = SplitAtSeparators(folded_needle);
    std::vector<WordPiece> pieces;
    if (split.size() == 1) {
      pieces.push_back({split[0], WordMatch::kSubstring});
    } else {
      // "ab, cd ef": a word ending in AB, the word CD, a word starting with EF.
      for (size_t i = 0; i < split.size(); ++i) {
        if (split[i].empty()) continue;
        pieces.push_back({split[i], i == 0                  ? WordMatch::kSuffix
                                    : i + 1 == split.size() ? WordMatch::kPrefix
                                                            : WordMatch::kExact});
      }
      if (pieces.empty()) return std::nullopt;  // separators only: everything is a candidate
      // The rarest constraint first: exact words, then the ends.
      std::stable_sort(pieces.begin(), pieces.end(), [](const WordPiece& a, const WordPiece& b) {
        return (a.mode == WordMatch::kExact) > (b.mode == WordMatch::kExact);
      });
    }
    std::optional<std::vector<uint32_t>> found;
    std::vector<uint32_t> too_big;
    {
      std::lock_guard lock(index_->read_mu_);
      try {
        if (!index_->reader_) index_->reader_ = std::make_unique<SearchIndexDb>(index_->file_);
        found = index_->reader_->find(box_, through_, field, pieces);
        if (found) too_big = index_->reader_->unindexed(box_, through_);
      } catch (const SearchIndexError&) {
        index_->reader_.reset();  // reopened next time; this key is scanned
        return std::nullopt;
      }
    }
    if (found && split.size() > 1) found = check(field, folded_needle, *found);
    if (!found || too_big.empty()) return found;
    // Messages too big to index are read, as the scan would.
    std::optional<std::vector<uint32_t>> big = check(field, folded_needle, too_big);
    if (!big) return std::nullopt;
    std::vector<uint32_t> both;
    std::set_union(found->begin(), found->end(), big->begin(), big->end(), std::back_inserter(both));
    return both;
  }

 private:
  // Reads the candidates and keeps those that match, as the scan would.
  std::optional<std::vector<uint32_t>> check(SearchField field, std::string_view needle,
                                             const std::vector<uint32_t>& candidates) {
    if (candidates.size() > index_->options_.max_checked) return std::nullopt;
    std::vector<uint32_t> out;
    try {
      for (uint32_t uid : candidates) {
        if (index_->stopped()) return std::nullopt;
        std::optional<MessageToIndex> m = index_->feed_.message(key_, uid);
        if (!m) continue;  // expunged: not in any view
        std::optional<mime::Message> tree = mime::Message::Deserialize(m->tree);
        if (!tree) tree = mime::Message::Deserialize(mime::ParseMessage(m->data).Serialize());
        if (!tree) return std::nullopt;
        if (FieldContains(field, *tree, m->data, needle)) out.push_back(uid);
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
    return out;
  }

  std::shared_ptr<SearchIndex> index_;
  int64_t box_;
  SearchMailboxKey key_;
  uint32_t through_;
};

SearchIndex::SearchIndex(std::filesystem::path file, SearchIndexFeed& feed, Options options)
    : file_(std::move(file)), feed_(feed), options_(options) {}

SearchIndex::~SearchIndex() { stop(); }

bool SearchIndex::stopped() {
  std::lock_guard lock(queue_mu_);
  return stopping_;
}

void SearchIndex::stop() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SearchIndex::kick(const std::string& canonical_name, size_t new_messages) {
  if (!options_.background) return;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    if (queued_.insert(canonical_name).second) queue_.push_back(canonical_name);
    new_messages_ += new_messages;
    // Started on first use: a process that never changes mail costs no
    // thread. A short-lived tool that stores one message does start it, but
    // its stop() ends the thread in the settle wait, before any indexing;
    // the next SEARCH (or `loft index`) catches up.
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  queue_cv_.notify_one();
}

void SearchIndex::run() {
  util::name_this_thread("loft-index");
  // Nice 10 for this thread only (Linux priorities are per thread).
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  for (;;) {
    std::string name;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // Let a burst of commits gather (stop() still wakes us at once).
      queue_cv_.wait_for(lock, options_.settle,
                         [&] { return stopping_ || new_messages_ >= options_.settle_messages; });
      if (stopping_) return;
      new_messages_ = 0;
      name = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(name);
    }
    try {
      // In slices, so that stop() never waits long.
      std::optional<Box> box = catch_up(name, Clock::now() + std::chrono::milliseconds(500), true);
      std::lock_guard lock(work_mu_);
      if (!box) {
        collect_garbage();  // the mailbox went: drop what belonged to it
      } else if (!gc_done_) {
        collect_garbage();
      }
    } catch (const std::exception&) {
      // Derived data: a failure here only means SEARCH scans more.
    }
  }
}

SearchIndexDb& SearchIndex::db() {
  if (!db_) db_ = std::make_unique<SearchIndexDb>(file_);
  return *db_;
}

void SearchIndex::collect_garbage() {
  gc_done_ = true;
  std::vector<SearchMailboxKey> live = feed_.mailbox_keys();
  std::sort(live.begin(), live.end());
  for (const SearchBoxRow& b : db().boxes()) {
    if (!std::binary_search(live.begin(), live.end(), b.key)) db().drop_box(b.id);
  }
}

std::optional<SearchIndex::Box> SearchIndex::catch_up(const std::string& canonical_name, Clock::time_point deadline,
                                                      bool maintain, size_t leave_up_to) {
  for (int attempt = 0;; ++attempt) {
    try {
      return catch_up_once(canonical_name, deadline, maintain, leave_up_to);
    } catch (const SearchIndexError& e) {
      if (!e.corrupt() || attempt > 0) throw;
      // A damaged file is thrown away; everything is indexed again.
      std::lock_guard lock(work_mu_);
      db_.reset();
      SearchIndexDb::Remove(file_);
    }
  }
}

std::optional<SearchIndex::Box> SearchIndex::catch_up_once(const std::string& canonical_name,
                                                           Clock::time_point deadline, bool maintain,
                                                           size_t leave_up_to) {
  std::optional<SearchMailboxKey> key = feed_.mailbox_key(canonical_name);
  if (!key) return std::nullopt;
  Box box;
  uint64_t fresh = 0;
  std::optional<SearchBoxRow> row;
  if (!maintain) {
    // A SEARCH reads the box's row on the reader connection: the writer's
    // lock may be held for another indexer's commit, which WAL lets us
    // read past. Only a missing box or a backlog to index needs the writer.
    std::lock_guard lock(read_mu_);
    try {
      if (!reader_) reader_ = std::make_unique<SearchIndexDb>(file_);
      row = reader_->box(*key);
    } catch (const SearchIndexError&) {
      reader_.reset();  // the writer's path below finds out what is wrong
    }
  }
  // The backlog above a given indexed_through, counted once for it (the
  // row read again under the lock usually says the same).
  std::optional<std::pair<uint32_t, uint64_t>> counted;
  auto backlog_above = [&](uint32_t through) {
    if (!counted || counted->first != through) counted.emplace(through, feed_.count_after(*key, through));
    return counted->second;
  };
  if (row && leave_up_to > 0 && backlog_above(row->indexed_through) <= leave_up_to) {
    return Box{row->id, *key, row->indexed_through};
  }
  // One SEARCH at a time indexes (after a rebuild every SEARCH would find
  // the whole mailbox to do); the others wait here and then find the
  // backlog gone.
  std::unique_lock<std::mutex> one_search;
  if (!maintain) one_search = std::unique_lock(search_catch_up_mu_);
  {
    std::lock_guard lock(work_mu_);
    row = db().box(*key);
    if (!row) row = db().create_box(*key);
    if (maintain && row->rows > kStaleSlack && row->rows > kStaleFactor * feed_.message_count(*key) + kStaleSlack) {
      // Mostly expunged messages: start this mailbox again.
      db().drop_box(row->id);
      row = db().create_box(*key);
    }
    box = Box{row->id, *key, row->indexed_through};
    fresh = row->fresh;
  }
  if (leave_up_to > 0 && backlog_above(box.indexed_through) <= leave_up_to) return box;
  while (true) {
    // Reading the files and making their documents is most of the work, and
    // is done without the lock: a SEARCH opening the index waits only for
    // another indexer's commit. Two indexers may make the same batch; the
    // second one's add() finds indexed_through moved and starts from there.
    std::optional<MessagesToIndex> batch =
        feed_.messages_after(*key, box.indexed_through, options_.batch_messages, options_.batch_bytes);
    if (!batch) return std::nullopt;
    if (batch->last_uid == 0) break;
    std::vector<std::pair<uint32_t, SearchDoc>> docs;
    std::vector<uint32_t> unindexed;
    docs.reserve(batch->messages.size());
    for (MessageToIndex& m : batch->messages) {
      if (m.too_big) {
        unindexed.push_back(m.uid);
        continue;
      }
      std::optional<mime::Message> tree = mime::Message::Deserialize(m.tree);
      if (!tree) tree = mime::Message::Deserialize(mime::ParseMessage(m.data).Serialize());
      if (!tree) continue;  // cannot happen: a fresh parse always deserialises
      docs.emplace_back(m.uid, MakeSearchDoc(*tree, m.data));
      m.data = std::string();
    }
    {
      std::lock_guard lock(work_mu_);
      if (!db().add(box.id, box.indexed_through, batch->last_uid, docs, unindexed)) {
        // Another indexer (thread or process) indexed or rebuilt meanwhile:
        // start from its state.
        std::optional<SearchBoxRow> now = db().box_by_id(box.id);
        if (!now) break;
        box.indexed_through = now->indexed_through;
        fresh = now->fresh;
        continue;
      }
      box.indexed_through = batch->last_uid;
      fresh += docs.size();
      if (maintain && fresh >= kMergeAfter) {
        db().merge(box.id);
        fresh = 0;
      }
    }
    if (Clock::now() >= deadline) {
      if (maintain) kick(canonical_name, 0);  // the rest in the next slice
      return box;
    }
  }
  box.complete = true;
  if (maintain && fresh >= kMergeAfter) {
    std::lock_guard lock(work_mu_);
    db().merge(box.id);
  }
  return box;
}

std::unique_ptr<MailboxSearchIndex> SearchIndex::open(const std::string& canonical_name) {
  std::optional<Box> box;
  try {
    box = catch_up(canonical_name, Clock::now() + options_.search_budget, false, options_.scan_backlog);
  } catch (const std::exception&) {
    return nullptr;  // scan
  }
  if (!box) return nullptr;
  if (!box->complete) kick(canonical_name, 0);  // what the budget left over
  return std::make_unique<IndexReader>(shared_from_this(), box->id, box->key, box->indexed_through);
}

void SearchIndex::forget(const SearchMailboxKey& key) {
  std::lock_guard lock(work_mu_);
  if (std::optional<SearchBoxRow> row = db().box(key)) db().drop_box(row->id);
}

void SearchIndex::discard() {
  std::lock_guard lock(work_mu_);
  std::lock_guard read_lock(read_mu_);
  db_.reset();
  reader_.reset();
  SearchIndexDb::Remove(file_);
}

std::optional<uint32_t> SearchIndex::catch_up_all(const std::string& canonical_name) {
  std::optional<Box> box = catch_up(canonical_name, Clock::time_point::max(), true);
  if (!box) return std::nullopt;
  return box->indexed_through;
}

}  // namespace loft::store::internal

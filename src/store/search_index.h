// The search index: derived data that answers IMAP SEARCH's content keys
// (BODY, TEXT, FROM, TO, CC, BCC, SUBJECT; HEADER as a candidate filter)
// without reading every message.
//
// On disk: <data>/mail/<user>/search.sqlite (WAL, synchronous=NORMAL: never
// an fsync on the delivery path, and never index.sqlite's lock). A word
// index per indexed mailbox ("box", keyed by the index's mailbox id and
// UIDVALIDITY, so a deleted and recreated mailbox never finds the old rows):
// per field, the vocabulary of distinct words and, per word, the UIDs of the
// messages having it (search_index_words.h says what a word is). The text
// is mime::SearchText's, already mapped by mime::SearchCasemap(). A needle
// without separators is found exactly by a substring search of the
// vocabulary and the union of the matching words' UIDs. A needle with
// separators gives candidates (its inner pieces are whole words, its first
// piece ends a word, its last starts one), which are read and checked when
// there are few; otherwise the needle is the scan's.
//
// Each box records indexed_through: every message with a UID up to it is
// indexed. UIDs only grow, so catching up means indexing the messages above
// it. Expunged messages keep their rows (SEARCH only asks about the view's
// messages); a box whose rows are mostly stale is dropped and rebuilt.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mime/message.h"
#include "store/store.h"

struct sqlite3;

namespace loft::store::internal {

// The text of one message, one string per searchable field. Parts and
// repeated fields are joined with kSearchSeparator.
struct SearchDoc {
  std::string body;     // every searched part's body
  std::string headers;  // every part's header text (TEXT's header half)
  std::string from, to, cc, bcc, subject;
};

// U+00A0: SearchCasemap() maps it to a space, so it never occurs in folded
// text or in a folded needle, and no match can span two joined pieces.
inline constexpr std::string_view kSearchSeparator = "\xC2\xA0";

SearchDoc MakeSearchDoc(const mime::Message& tree, std::string_view data);

// Whether the index may answer this folded needle for `field`: 3+
// characters (shorter ones match too much to be worth it), no NUL or
// U+00A0; for TEXT no CR or LF (they could span the end of a part's header
// and the start of its body, which are kept apart here).
bool IndexableNeedle(SearchField field, std::string_view folded_needle);

// Whether the message's `field` contains the folded needle, computed as the
// scan does (the check of a candidate).
bool FieldContains(SearchField field, const mime::Message& tree, std::string_view data,
                   std::string_view folded_needle);

// What the index needs from the store (MaildirUserStore implements it).
struct SearchMailboxKey {
  int64_t mailbox_id = 0;
  uint32_t uidvalidity = 0;
  bool operator==(const SearchMailboxKey&) const = default;
  auto operator<=>(const SearchMailboxKey&) const = default;
};

// Messages bigger than this are not read into the index: indexing one
// would take its size several times over in memory, for seconds, and hold
// up the indexer's stop. Every search reads them instead, as a scan would.
inline constexpr uint64_t kMaxIndexedBytes = 16 << 20;

struct MessageToIndex {
  uint32_t uid = 0;
  std::string data;  // the whole message (empty when too_big)
  std::string tree;  // mime::Message::Serialize() form, the same the scan uses
  bool too_big = false;  // above kMaxIndexedBytes: not read
};

struct MessagesToIndex {
  std::vector<MessageToIndex> messages;  // UID order; gone files left out
  uint32_t last_uid = 0;                 // the highest UID looked at (0: none)
};

class SearchIndexFeed {
 public:
  virtual ~SearchIndexFeed() = default;
  virtual std::optional<SearchMailboxKey> mailbox_key(const std::string& canonical_name) = 0;
  virtual std::vector<SearchMailboxKey> mailbox_keys() = 0;
  // Messages with a UID above `after`, bounded in count and bytes; nullopt
  // when the mailbox is gone (or has another UIDVALIDITY).
  virtual std::optional<MessagesToIndex> messages_after(const SearchMailboxKey& key, uint32_t after,
                                                        size_t max_messages, uint64_t max_bytes) = 0;
  virtual uint64_t message_count(const SearchMailboxKey& key) = 0;
  // How many messages have a UID above `after`.
  virtual uint64_t count_after(const SearchMailboxKey& key, uint32_t after) = 0;
  // One message (to check a candidate); nullopt when it is gone.
  virtual std::optional<MessageToIndex> message(const SearchMailboxKey& key, uint32_t uid) = 0;
};

class SearchIndexDb;

// One user's search index: the file, the work of keeping it up to date and
// a background thread that does it after commits.
class SearchIndex : public std::enable_shared_from_this<SearchIndex> {
 public:
  struct Options {
    std::chrono::milliseconds search_budget{1500};  // catch-up inside SEARCH
    // SEARCH indexes nothing itself when at most this many messages are
    // not indexed yet: reading them is cheaper than indexing them on the
    // spot (and holding the index's lock for it); the background thread
    // indexes them after its settle time.
    size_t scan_backlog = 100;
    size_t batch_messages = 256;
    uint64_t batch_bytes = 16ull << 20;
    bool background = true;
    // The background thread waits this long after a kick before indexing,
    // so that a burst of deliveries is indexed in one batch, and runs at a
    // lower CPU priority: delivery and commands come first. A batch costs
    // much the same for 2 messages as for 10 (a commit, the vocabulary, the
    // posting rows of words the messages share): with 200 users each
    // appending about 2 messages a second, the indexers took 0.33 cores
    // with a 1 s settle and 0.18 with 5 s.
    std::chrono::milliseconds settle{5000};
    // ... or until kicks have announced this many new messages: under a
    // steady stream of deliveries the backlog a SEARCH finds then stays
    // below scan_backlog (so it reads those messages instead of indexing
    // them on its own path, and concurrent SEARCHes never index the same
    // batch each). Counted in messages, not commits: flag changes give the
    // indexer nothing to do, and each run costs the commands beside it
    // latency (one client's NOOP p99: 2.5 ms when 20 commits ended the
    // settle, 0.4-1 ms with 50 messages).
    size_t settle_messages = 50;
    // A needle with separators is answered when the index narrows it to at
    // most this many candidates, which are then read and checked.
    size_t max_checked = 1000;
  };
  SearchIndex(std::filesystem::path file, SearchIndexFeed& feed, Options options);
  ~SearchIndex();  // stops the background thread; call stop() before the feed goes
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // After a commit to the mailbox that added `new_messages` (0 for other
  // changes): index it soon, off the caller's thread.
  void kick(const std::string& canonical_name, size_t new_messages);
  void stop();
  bool stopped();

  // Brings the mailbox's index up to date (within the search budget) and
  // returns a reader on it; nullptr when the index is unusable.
  std::unique_ptr<MailboxSearchIndex> open(const std::string& canonical_name);

  // Indexes everything pending for the mailbox, without a time limit (tests,
  // tools). Returns indexed_through, or nullopt when the mailbox is gone.
  std::optional<uint32_t> catch_up_all(const std::string& canonical_name);

  // loft check --repair: drops the mailbox's box (its answers may be wrong:
  // a message's content changed, or it claims UIDs the mailbox has not
  // given out yet), so that it is built again when next needed.
  void forget(const SearchMailboxKey& key);
  // loft check --repair: removes a damaged file; the next use starts anew.
  void discard();

  // For tests and measurements.
  std::filesystem::path file() const { return file_; }
  size_t new_messages_announced() {  // since the background thread last took work
    std::lock_guard lock(queue_mu_);
    return new_messages_;
  }

 private:
  struct Box {
    int64_t id = 0;
    SearchMailboxKey key;
    uint32_t indexed_through = 0;
    bool complete = false;  // nothing left to index
  };
  friend class IndexReader;

  // Indexes the mailbox's messages above indexed_through until the
  // deadline; `maintain` also merges and rebuilds; with leave_up_to > 0 a
  // backlog of at most that many messages is left as it is. Takes work_mu_
  // only around the index's reads and writes, never while reading messages.
  std::optional<Box> catch_up(const std::string& canonical_name, std::chrono::steady_clock::time_point deadline,
                              bool maintain, size_t leave_up_to = 0);
  std::optional<Box> catch_up_once(const std::string& canonical_name, std::chrono::steady_clock::time_point deadline,
                                   bool maintain, size_t leave_up_to);
  // Both expect work_mu_ held.
  SearchIndexDb& db();
  void collect_garbage();
  void run();

  const std::filesystem::path file_;
  SearchIndexFeed& feed_;
  const Options options_;

  std::mutex work_mu_;  // the writer connection (db_) and gc_done_
  std::unique_ptr<SearchIndexDb> db_;

  std::mutex search_catch_up_mu_;  // held by the SEARCH that indexes (catch_up_once)
  std::mutex read_mu_;  // the reader connection
  std::unique_ptr<SearchIndexDb> reader_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  size_t new_messages_ = 0;  // announced since the background thread last took work
  bool stopping_ = false;
  bool gc_done_ = false;  // under work_mu_
  std::thread thread_;
};

}  // namespace loft::store::internal

// MaildirUserStore: one user's mail as Maildir++ files plus the SQLite index.
//
// Locking: every index write takes mu_ through WriteLock (one writer
// connection per user per process). A read never waits for mu_ (see
// ReadAccess): when mu_ is taken it reads through a connection of its own
// from readers_, which SQLite's WAL lets read the last commit while a
// writer commits. cache_mu_ guards the in-memory caches only and is never
// held across index or file work. Other processes are kept in order by
// SQLite's write lock (BEGIN IMMEDIATE) and, for new/, by flock. File work
// (writing, fsync, parsing) happens without mu_ where it can. flock is
// never taken while mu_ is held. Announcements to subscribers and the
// notify socket happen after mu_ is released.
#pragma once

#include <time.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/change_feed.h"
#include "store/dir_watcher.h"
#include "store/index_db.h"
#include "store/index_readers.h"
#include "store/maildir_files.h"
#include "store/notify.h"
#include "store/search_index.h"
#include "store/store.h"

namespace loft::store::internal {

class MaildirSearchFeed;

// A file in cur/ without an index row may belong to a writer between its
// rename and its commit; only after this long is it surely an orphan. The
// same holds for a mailbox directory without a row (create_mailbox makes it
// inside its transaction).
inline constexpr std::chrono::seconds kOrphanAge{10 * 60};
// Maildir convention for abandoned files in tmp/.
inline constexpr std::chrono::seconds kStaleTmpAge{36 * 60 * 60};

class MaildirUserStore : public UserStore {
 public:
  // Without housekeeping (loft check), opening changes nothing: no default
  // mailboxes are made and no orphan or stale file is removed, so that the
  // check sees them (and a repair keeps them); nor does the search index
  // start a background indexer (the serving process indexes what the
  // check announces).
  // With a watcher, the new/ directories are watched while anyone is
  // subscribed (user_store_watch.cc).
  MaildirUserStore(std::string user, const MaildirOptions& opts, std::shared_ptr<const Notifier> notifier,
                   bool housekeeping = true, std::shared_ptr<DirWatcher> watcher = nullptr);
  ~MaildirUserStore() override;

  const std::string& user() const override { return user_; }

  std::vector<MailboxInfo> list_mailboxes() override;
  bool mailbox_exists(std::string_view name) override;
  void create_mailbox(std::string_view name, std::string_view special_use) override;
  void delete_mailbox(std::string_view name) override;
  void rename_mailbox(std::string_view from, std::string_view to) override;
  void set_subscribed(std::string_view name, bool subscribed) override;
  std::vector<std::string> list_subscriptions() override;
  MailboxStatus status(std::string_view mailbox) override;

  std::vector<MessageInfo> list_messages(std::string_view mailbox) override;
  MessageFile open_message(std::string_view mailbox, uint32_t uid) override;
  std::vector<std::optional<MessageFile>> open_messages(std::string_view mailbox,
                                                        std::span<const uint32_t> uids) override;
  std::string parsed_message(std::string_view mailbox, uint32_t uid) override;
  std::vector<std::pair<uint32_t, std::string>> parsed_messages(std::string_view mailbox,
                                                                std::span<const uint32_t> uids) override;
  uint32_t append(std::string_view mailbox, const NewMessage& msg) override;
  std::vector<MessageInfo> store_flags(std::string_view mailbox, std::span<const uint32_t> uids, int mode,
                                       uint32_t flags, std::span<const std::string> keywords) override;
  std::vector<uint32_t> expunge(std::string_view mailbox, std::span<const uint32_t> uids) override;
  std::vector<uint32_t> expunge_deleted(std::string_view mailbox,
                                        std::optional<std::span<const uint32_t>> within) override;
  std::vector<uint32_t> copy(std::string_view from, std::span<const uint32_t> uids,
                             std::string_view to) override;
  MailboxChanges changes_since(std::string_view mailbox, uint64_t modseq) override;
  std::shared_ptr<const MailboxSnapshot> snapshot(std::string_view mailbox) override;
  std::vector<uint32_t> append_many(std::string_view mailbox, std::span<const NewMessage> msgs) override;
  std::vector<uint32_t> move(std::string_view from, std::span<const uint32_t> uids, std::string_view to) override;
  std::vector<MessageInfo> store_flags_unchanged_since(std::string_view mailbox, std::span<const uint32_t> uids,
                                                       int mode, uint32_t flags,
                                                       std::span<const std::string> keywords, uint64_t max_modseq,
                                                       std::vector<uint32_t>* modified) override;
  size_t scan_new(std::string_view mailbox) override;
  std::unique_ptr<MailboxSearchIndex> search_index(std::string_view mailbox) override;
  std::optional<uint32_t> update_search_index(std::string_view mailbox) override;
  std::unique_ptr<Subscription> subscribe(std::function<void(const std::string& mailbox)> cb) override;
  CheckReport check(bool repair) override;

  // A change made by another process (Store::notify_external): subscribers
  // only, no datagram.
  void publish_external(const std::string& mailbox) {
    feed_->publish(mailbox);
    if (search_) search_->kick(mailbox, 1);  // most likely a delivery
  }

  // The search index itself (tests, measurements).
  SearchIndex& search_index_internal() { return *search_; }

 private:
  using Changed = std::vector<std::string>;  // mailboxes to announce after unlocking

  // mu_ for a write. Counts waiting writers, so that readers leave them
  // the writer connection.
  class WriteLock {
   public:
    explicit WriteLock(MaildirUserStore& s) : mu_(s.mu_) {
      s.writers_waiting_.fetch_add(1, std::memory_order_relaxed);
      mu_.lock();
      s.writers_waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
    ~WriteLock() { mu_.unlock(); }
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;

   private:
    std::mutex& mu_;
  };

  // An index connection for one read, never waiting for a writer: the
  // writer's own when it is free and no writer waits for it (its page cache
  // stays warm; a reader's is dropped whenever another connection has
  // committed), else a reader from readers_. kReaderOnly never takes mu_:
  // the search indexer reads at a low CPU priority, and a writer that came
  // for mu_ while it held it would wait until it was scheduled again.
  class ReadAccess {
   public:
    enum Connection { kWriterIfFree, kReaderOnly };
    explicit ReadAccess(MaildirUserStore& s, Connection use = kWriterIfFree) {
      if (use == kWriterIfFree && s.writers_waiting_.load(std::memory_order_relaxed) == 0) {
        lock_ = std::unique_lock(s.mu_, std::try_to_lock);
      }
      if (lock_.owns_lock()) {
        db_ = s.db_.get();
      } else {
        lease_.emplace(s.readers_.acquire());
        db_ = &**lease_;
      }
    }
    IndexDb& operator*() const { return *db_; }
    IndexDb* operator->() const { return db_; }

   private:
    std::unique_lock<std::mutex> lock_;
    std::optional<IndexReaders::Lease> lease_;
    IndexDb* db_ = nullptr;
  };

  // The mailbox's row as `db` sees it; kNotFound when there is none.
  static MailboxRow require_mailbox(IndexDb& db, std::string_view canonical_name);

  // All below expect mu_ held.
  MailboxRow require_mailbox(std::string_view canonical_name) { return require_mailbox(*db_, canonical_name); }
  std::filesystem::path mailbox_path(const MailboxRow& row) const;
  std::string choose_dir(std::string_view canonical_name);  // inside a write transaction
  void create_default_mailboxes();
  void clean_up();
  void finish_pending_removals();
  void clean_mailbox_files(const MailboxRow& row);
  // `added`: how many messages the change added (nonzero only when
  // `changed` names one mailbox); the search index settles on that count.
  void announce(const Changed& changed, size_t added = 0);

  // The new/ watches (user_store_watch.cc), called WITHOUT mu_: one watch
  // per mailbox once anyone subscribed, brought in line with the mailboxes
  // after each change to them; an arrival is announced to subscribers,
  // whose next read takes the mail in.
  void refresh_watches();
  void stop_watching();
  void new_mail_arrived(int64_t mailbox_id);
  void start_search_index(bool background);
  // Removes these messages of a mailbox (rows, tombstones, counters) inside
  // the caller's write transaction; the files to unlink after the commit go
  // to *unlink_after.
  void remove_messages(const MailboxRow& row, const std::vector<MessageRow>& messages,
                       std::vector<std::filesystem::path>* unlink_after);

  // Shared by copy() and move(); called WITHOUT mu_ (user_store_messages.cc).
  std::vector<uint32_t> copy_messages(std::string_view from, std::span<const uint32_t> uids, std::string_view to,
                                      bool remove_sources);
  // Shared by store_flags() and store_flags_unchanged_since(); called
  // WITHOUT mu_. Messages above max_modseq are left alone and listed in
  // *modified.
  std::vector<MessageInfo> change_flags(std::string_view mailbox, std::span<const uint32_t> uids, int mode,
                                        uint32_t flags, std::span<const std::string> keywords, uint64_t max_modseq,
                                        std::vector<uint32_t>* modified);

  // loft check, one part each (user_store_check*.cc); called WITHOUT mu_.
  // Each adds its findings to the report and, with repair, repairs them in
  // write transactions and announces what changed.
  void check_inbox_row(bool repair, CheckReport& report);
  void check_mailbox_dirs(const MailboxRow& row, bool repair, CheckReport& report);
  // Returns how many messages the mailbox has.
  uint64_t check_messages(const MailboxRow& row, bool repair, CheckReport& report);
  struct MessagePlan;  // what check_messages() found to repair (user_store_check.cc)
  void repair_messages(const MailboxRow& row, MessagePlan& plan, std::vector<CheckFinding>& found);
  void check_trees(const MailboxRow& row, bool repair, CheckReport& report);
  void check_loose_files(const MailboxRow& row, bool repair, CheckReport& report);
  void check_unknown_dirs(bool repair, CheckReport& report);
  void check_search_index(bool repair, CheckReport& report);

  // Taking in new/ (user_store_scan.cc); called WITHOUT mu_.
  struct Import;
  // Runs take_in_new when new/'s mtime differs from the one seen last time;
  // never throws for a failure to take in (listing must still work).
  // Each returns how many messages it took in.
  size_t take_in_new_if_changed(const std::string& canonical_name, Changed& changed);
  // Whether new/ may hold mail not taken in yet: its mtime is not the one
  // remembered when it was last emptied. A stat and no index read, so that
  // a reader can ask inside its own read transaction.
  bool new_dir_changed(const MailboxRow& row);
  // take_in_new(), except that a failure is not the caller's: listing must
  // work even when taking in fails (disk full, say).
  size_t take_in_new_quietly(const MailboxRow& row, Changed& changed);
  // Runs `read` in one read transaction on the mailbox's row, after taking
  // in new/ if it changed. The check is a stat inside the read (one index
  // read, not two, when nothing came); taking in writes, so it happens
  // after that read ends and the read runs again. Announces what came in.
  void read_taking_in_new(const std::string& canonical_name,
                          const std::function<void(IndexDb&, const MailboxRow&)>& read);
  // snapshot()'s read: the kept snapshot if current, else the next one.
  std::shared_ptr<const MailboxSnapshot> read_snapshot(IndexDb& db, const MailboxRow& row);
  size_t take_in_new(const MailboxRow& row, Changed& changed);
  // Copies a new/ file into tmp/ and adds it to the batch; false when the
  // file could not be opened (vanished, unreadable, not a file): skipped.
  bool stage_new_file(const MailboxRow& row, int new_dir_fd, const std::string& name, MessageBatch& batch,
                      std::vector<Import>& imports);
  // Publishes the batch into cur/ and commits its index rows; false when the
  // mailbox was deleted meanwhile (nothing committed).
  bool commit_imports(const MailboxRow& row, MessageBatch& batch, std::vector<Import>& imports);

  const std::string user_;
  const std::filesystem::path user_dir_;
  const std::filesystem::path maildir_;
  const MaildirOptions opts_;
  const std::shared_ptr<const Notifier> notifier_;
  const std::shared_ptr<ChangeFeed> feed_ = std::make_shared<ChangeFeed>();

  std::mutex mu_;
  std::atomic<int> writers_waiting_{0};
  std::unique_ptr<IndexDb> db_;
  IndexReaders readers_;

  // Guards the two caches below (taken inside mu_ or alone, never around
  // index or file work).
  std::mutex cache_mu_;
  // new/ mtime at the end of the last scan, by mailbox id; only mtimes old
  // enough that a later drop must change them are remembered.
  std::map<int64_t, struct timespec> new_dir_mtime_;
  // The last snapshot() of each mailbox, by mailbox id (ids are never
  // reused); brought up to date on the next call (user_store_snapshot.cc).
  std::map<int64_t, std::shared_ptr<const MailboxSnapshot>> snapshots_;

  const std::shared_ptr<DirWatcher> watcher_;
  std::mutex watch_mu_;  // guards the two below; never held with mu_
  bool watching_ = false;
  std::map<int64_t, std::unique_ptr<DirWatcher::Watch>> new_dir_watches_;

  // The search index (user_store_search.cc): what it reads through, and the
  // index, last so that it (its background thread) goes first.
  friend class MaildirSearchFeed;
  std::shared_ptr<SearchIndexFeed> search_feed_;
  std::shared_ptr<SearchIndex> search_;
};

}  // namespace loft::store::internal

// The per-user SQLite index: schema and every statement the store runs.
// Single source of truth for mailboxes, UIDs, flags, keywords and MODSEQs.
// Not thread-safe by itself: the owning UserStore serialises access.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite/statement_cache.h"
#include "store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace loft::store::internal {

struct MailboxRow {
  int64_t id = 0;
  std::string name;
  std::string dir;  // "" for INBOX, ".<encoded>" otherwise
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 1;
  uint64_t highest_modseq = 1;
  std::string special_use;
  bool subscribed = false;  // read from the subscriptions table; not written by insert_mailbox
  // Kept by triggers on messages (schema version 4); read-only here.
  uint32_t message_count = 0;
  uint32_t unseen_count = 0;   // without \Seen
  uint32_t deleted_count = 0;  // with \Deleted
  uint64_t total_size = 0;
};

struct MessageRow {
  int64_t id = 0;
  std::string file;
  MessageInfo info;
};

// A message's cached parse result (absent for rows from before schema
// version 2) with what is needed to compute it again.
struct TreeRow {
  int64_t message_id = 0;
  uint32_t uid = 0;
  std::string file;
  uint64_t size = 0;
  std::optional<std::string> tree;
};

// An expunge record (QRESYNC VANISHED).
struct TombstoneRow {
  uint32_t uid = 0;
  uint64_t modseq = 0;
};

// A prepared statement, reset when the holder goes out of scope.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind_blob(int i, std::string_view v);
  bool step();  // true while a row is available
  void run();   // steps to completion
  int step_rc();  // one step and a reset, returning the step's code; never throws
  int64_t int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3_stmt* s_;
};

class IndexDb {
 public:
  // A writer opens (creating) the index: WAL, synchronous FULL (OFF without
  // fsync), busy timeout, schema (brought up to the current version when
  // older). A reader opens the index a writer has opened, for reads only
  // (query_only): in WAL mode it reads the last commit without waiting for
  // a writer, or for the writer's lock in this process.
  enum class Role { kWriter, kReader };
  IndexDb(const std::filesystem::path& path, bool fsync, Role role = Role::kWriter);
  ~IndexDb();
  IndexDb(const IndexDb&) = delete;
  IndexDb& operator=(const IndexDb&) = delete;

  // Whether the next commits wait for the disk (synchronous=FULL) or only
  // for the OS (NORMAL: kept through a crash of the process, not always of
  // the machine; WAL stays consistent either way). Outside a transaction.
  // Nothing changes when the index was opened without fsync.
  void set_durable(bool durable);
  void begin_write();  // BEGIN IMMEDIATE
  void begin_read();   // BEGIN (snapshot for multi-statement reads)
  void commit();
  void rollback() noexcept;

  // Next UIDVALIDITY: seconds since the epoch, but always above every
  // value handed out before for this user. Inside a write transaction.
  uint32_t next_uidvalidity();
  // Makes every later next_uidvalidity() above `last` (an index rebuilt
  // while the old one's values are known).
  void raise_last_uidvalidity(uint32_t last);

  std::optional<MailboxRow> mailbox_by_name(std::string_view name);
  std::optional<MailboxRow> mailbox_by_id(int64_t id);
  std::vector<MailboxRow> mailboxes();
  bool dir_taken(std::string_view dir);
  int64_t insert_mailbox(const MailboxRow& row);
  void delete_mailbox(int64_t id);
  void set_mailbox_name(int64_t id, std::string_view name);
  // Subscriptions are by (canonical) name, whether or not such a mailbox
  // exists. set_subscribed returns whether anything changed.
  bool set_subscribed(std::string_view name, bool subscribed);
  std::vector<std::string> subscriptions();  // INBOX first, then by name
  void set_counters(int64_t mailbox_id, uint32_t uidnext, uint64_t highest_modseq);

  int64_t insert_message(int64_t mailbox_id, const MessageInfo& info, std::string_view file);
  void add_keywords(int64_t message_id, std::span<const std::string> keywords);
  void remove_keywords(int64_t message_id, std::span<const std::string> keywords);
  void clear_keywords(int64_t message_id);
  void set_flags(int64_t message_id, uint32_t flags, uint64_t modseq);
  void delete_message(int64_t message_id);
  // Gives a message (keywords, cached tree and all) to another mailbox under a new UID.
  void move_message(int64_t message_id, int64_t to_mailbox, uint32_t uid);

  // Messages in UID order with keywords; only those with modseq > min_modseq.
  std::vector<MessageRow> messages(int64_t mailbox_id, uint64_t min_modseq = 0);
  // The same without file names or row ids (snapshots): what a session sees.
  std::vector<MessageInfo> message_infos(int64_t mailbox_id, uint64_t min_modseq = 0);
  std::optional<MessageRow> message(int64_t mailbox_id, uint32_t uid);
  // The \Deleted messages, UID order, without keywords.
  std::vector<MessageRow> deleted_messages(int64_t mailbox_id);
  std::vector<std::string> files(int64_t mailbox_id);
  // From the row's counts (kept by triggers, schema version 4): read the
  // row in the same transaction.
  MailboxStatus status(const MailboxRow& mailbox);
  // Sets the row's counts from its messages (loft check --repair).
  void recount(int64_t mailbox_id);

  // Cached parse results: mime::Message::Serialize() of the message file.
  // put_tree does nothing when the message row no longer exists; copy_tree
  // nothing when the source has no tree.
  void put_tree(int64_t message_id, std::string_view tree);
  void copy_tree(int64_t from_message, int64_t to_message);
  std::optional<TreeRow> message_tree(int64_t mailbox_id, uint32_t uid);
  // How many messages of the mailbox have a UID above `after`.
  uint64_t count_after(int64_t mailbox_id, uint32_t after);
  // Up to `limit` messages with a UID above `after`, UID order, with their
  // trees (the search indexer's catch-up).
  std::vector<TreeRow> trees_after(int64_t mailbox_id, uint32_t after, size_t limit);

  void insert_tombstone(int64_t mailbox_id, uint32_t uid, uint64_t modseq);
  std::vector<uint32_t> tombstones_since(int64_t mailbox_id, uint64_t modseq);

  // For UserStore::check() and its repairs (user_store_check*.cc).
  std::vector<TombstoneRow> tombstones(int64_t mailbox_id);  // UID order
  void delete_tombstone(int64_t mailbox_id, uint32_t uid);
  // A size corrected to the file's: the MODSEQ moves so that snapshots and
  // sessions read the row again.
  void set_size(int64_t message_id, uint64_t size, uint64_t modseq);
  void set_file(int64_t message_id, std::string_view file);
  void drop_tree(int64_t message_id);

  // Directories of deleted mailboxes still to be removed from disk.
  void add_pending_removal(std::string_view dir);
  void drop_pending_removal(std::string_view dir);
  std::vector<std::string> pending_removals();

  // new/ files already taken in but maybe not yet unlinked (see scan_new).
  void add_import_marker(int64_t mailbox_id, std::string_view name);
  std::vector<std::string> import_markers(int64_t mailbox_id);
  void remove_import_markers(int64_t mailbox_id, std::span<const std::string> names);

 private:
  Stmt prepare(const char* sql);
  void exec(const char* sql);
  int step_cached(const char* sql);  // a cached statement stepped once (step_rc)
  void run_cached(const char* sql);  // the same, throwing on any error
  void create_schema();
  int schema_version();

  sqlite3* db_ = nullptr;
  sqlite::StatementCache<const char*> cache_;  // keyed by the SQL literal's address
  const bool fsync_;
  bool durable_;  // the synchronous level now set: FULL when true
};

// Rolls back unless commit() was called.
class Transaction {
 public:
  // kWrite commits are on the disk when commit() returns. kWriteState is for
  // changes of message state only (flags, keywords): like Dovecot's
  // mail_fsync=optimized, they survive a crash of the server but a crash
  // of the machine may lose the last of them; they reach the disk at the
  // next kWrite commit or checkpoint. Never for new or removed messages.
  enum Kind { kRead, kWrite, kWriteState };
  Transaction(IndexDb& db, Kind kind) : db_(db) {
    if (kind != kRead) {
      db_.set_durable(kind == kWrite);
      db_.begin_write();
    } else {
      db_.begin_read();
    }
  }
  ~Transaction() {
    if (!done_) db_.rollback();
  }
  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  IndexDb& db_;
  bool done_ = false;
};

}  // namespace loft::store::internal

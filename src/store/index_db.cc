#include "store/index_db.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <iterator>
#include <unordered_map>

#include "sqlite/wal.h"

namespace loft::store::internal {
namespace {

constexpr int kBusyTimeoutMs = 10000;

// Messages reference their mailbox and keywords their message with ON
// DELETE CASCADE, so deleting a mailbox row drops everything it held.
//
// A new index is made with the version-1 schema and then every migration,
// exactly like an old index is brought up to date, so the two never differ.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE mailboxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  dir TEXT NOT NULL UNIQUE,
  uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL,
  highest_modseq INTEGER NOT NULL,
  special_use TEXT NOT NULL DEFAULT '',
  subscribed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  file TEXT NOT NULL,
  size INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  internal_tz INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);
CREATE TABLE keywords (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  keyword TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (message_id, keyword)
);
CREATE TABLE expunged (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_by_modseq ON expunged (mailbox_id, modseq);
CREATE TABLE pending_removals (dir TEXT PRIMARY KEY);
CREATE TABLE new_imports (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, name)
);
)sql";

// kMigrations[i] turns version i+1 into version i+2.
constexpr const char* kMigrations[] = {
    // 2: cached parse results (mime::Message::Serialize()) by message row, so
    // that they follow the message through an INBOX rename and go with it.
    // Rows of version 1 have none; they are computed when first asked for.
    R"sql(
CREATE TABLE message_trees (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  tree BLOB NOT NULL
);
)sql",
    // 3: subscriptions by name, independent of the mailboxes (RFC 3501
    // 6.3.6: deleting a mailbox must not remove its subscription, and a
    // subscribed name may have no mailbox). The flag column goes.
    R"sql(
CREATE TABLE subscriptions (name TEXT PRIMARY KEY);
INSERT INTO subscriptions (name) SELECT name FROM mailboxes WHERE subscribed<>0;
ALTER TABLE mailboxes DROP COLUMN subscribed;
)sql",
    // 4: STATUS counts kept on the mailbox row, so that STATUS costs one row
    // and not a scan of the mailbox's messages (11 ms at 10,000 messages).
    // Triggers keep them, so no path that changes messages can miss one; a
    // move between mailboxes is an UPDATE OF mailbox_id. Flag bits: \Seen
    // 1, \Deleted 8 (store.h).
    R"sql(
ALTER TABLE mailboxes ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN unseen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN deleted_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN total_size INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET
  message_count = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id),
  unseen_count = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 1) = 0),
  deleted_count = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 8) <> 0),
  total_size = (SELECT COALESCE(SUM(m.size), 0) FROM messages m WHERE m.mailbox_id = mailboxes.id);
CREATE TRIGGER messages_counted_in AFTER INSERT ON messages BEGIN
  UPDATE mailboxes SET message_count = message_count + 1,
    unseen_count = unseen_count + ((NEW.flags & 1) = 0),
    deleted_count = deleted_count + ((NEW.flags & 8) <> 0),
    total_size = total_size + NEW.size
  WHERE id = NEW.mailbox_id;
END;
CREATE TRIGGER messages_counted_out AFTER DELETE ON messages BEGIN
  UPDATE mailboxes SET message_count = message_count - 1,
    unseen_count = unseen_count - ((OLD.flags & 1) = 0),
    deleted_count = deleted_count - ((OLD.flags & 8) <> 0),
    total_size = total_size - OLD.size
  WHERE id = OLD.mailbox_id;
END;
CREATE TRIGGER messages_recounted AFTER UPDATE OF flags, size ON messages
WHEN OLD.mailbox_id = NEW.mailbox_id AND ((OLD.flags & 9) <> (NEW.flags & 9) OR OLD.size <> NEW.size) BEGIN
  UPDATE mailboxes SET unseen_count = unseen_count + ((NEW.flags & 1) = 0) - ((OLD.flags & 1) = 0),
    deleted_count = deleted_count + ((NEW.flags & 8) <> 0) - ((OLD.flags & 8) <> 0),
    total_size = total_size + NEW.size - OLD.size
  WHERE id = NEW.mailbox_id;
END;
CREATE TRIGGER messages_moved AFTER UPDATE OF mailbox_id ON messages
WHEN OLD.mailbox_id <> NEW.mailbox_id BEGIN
  UPDATE mailboxes SET message_count = message_count - 1,
    unseen_count = unseen_count - ((OLD.flags & 1) = 0),
    deleted_count = deleted_count - ((OLD.flags & 8) <> 0),
    total_size = total_size - OLD.size
  WHERE id = OLD.mailbox_id;
  UPDATE mailboxes SET message_count = message_count + 1,
    unseen_count = unseen_count + ((NEW.flags & 1) = 0),
    deleted_count = deleted_count + ((NEW.flags & 8) <> 0),
    total_size = total_size + NEW.size
  WHERE id = NEW.mailbox_id;
END;
)sql",
};
constexpr int kSchemaVersion = 1 + static_cast<int>(std::size(kMigrations));

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  // A full file system shows as SQLITE_FULL, or as an I/O error whose
  // system errno says so (a failed write of the WAL).
  const bool full = db && ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL ||
                           sqlite3_system_errno(db) == ENOSPC || sqlite3_system_errno(db) == EDQUOT);
  throw StoreError(full ? ErrorCode::kNoSpace : ErrorCode::kTemporary,
                   "index: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK) fail(db, what);
}

}  // namespace

Stmt::~Stmt() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  check(sqlite3_db_handle(s_), sqlite3_bind_int64(s_, i, v), "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  check(sqlite3_db_handle(s_), sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view v) {
  check(sqlite3_db_handle(s_), sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT), "bind");
  return *this;
}

int Stmt::step_rc() {
  int rc = sqlite3_step(s_);
  sqlite3_reset(s_);  // ends the statement now (a COMMIT must not stay pending)
  return rc;
}

bool Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(s_), sqlite3_sql(s_));
}

void Stmt::run() {
  while (step()) {
  }
}

int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }

std::string Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

std::string Stmt::blob(int col) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  int n = sqlite3_column_bytes(s_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

IndexDb::IndexDb(const std::filesystem::path& path, bool fsync, Role role) : fsync_(fsync), durable_(fsync) {
  // A reader opens an index its writer has made: no CREATE. It still opens
  // read-write, since a WAL reader writes its marks in the -shm file.
  const int open_flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (role == Role::kWriter ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db_, open_flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(ErrorCode::kTemporary, "index: open " + path.string() + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 0);
    if (role == Role::kReader) {
      // The writer made the index WAL (a lasting property of the file) and
      // brought its schema up to date before any reader was opened.
      exec("PRAGMA query_only=1");
      return;
    }
    exec(fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
    // Retried while busy: a fresh index's switch needs a moment of exclusive
    // access that the busy handler does not always cover (sqlite/wal.h).
    check(db_, sqlite::switch_to_wal(db_, std::chrono::milliseconds(kBusyTimeoutMs)).rc, "journal_mode");
    exec("PRAGMA foreign_keys=ON");
    create_schema();
  } catch (...) {
    cache_.clear();
    sqlite3_close(db_);
    throw;
  }
}

IndexDb::~IndexDb() {
  cache_.clear();
  sqlite3_close(db_);
}

void IndexDb::exec(const char* sql) { check(db_, sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), sql); }

Stmt IndexDb::prepare(const char* sql) {
  sqlite3_stmt* s = cache_.find(sql);
  if (!s) {
    int rc = SQLITE_OK;
    s = cache_.prepare(db_, sql, sql, &rc);
    if (!s) fail(db_, sql);
  }
  return Stmt(s);
}

int IndexDb::schema_version() {
  Stmt s = prepare("SELECT MAX(version) FROM schema_version");
  return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

void IndexDb::create_schema() {
  auto schema_exists = [this] {
    return prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").step();
  };
  // The common case (an index at the current version) needs no write lock.
  if (schema_exists() && schema_version() == kSchemaVersion) return;
  begin_write();
  try {
    // Checked again under the lock: another process may have been first.
    if (!schema_exists()) {
      exec(kSchemaV1);
      prepare("INSERT INTO schema_version (version) VALUES (1)").run();
    }
    int version = schema_version();
    if (version < 1 || version > kSchemaVersion) {
      throw StoreError(ErrorCode::kTemporary, "index: unsupported schema version " + std::to_string(version));
    }
    for (; version < kSchemaVersion; ++version) exec(kMigrations[version - 1]);
    prepare("UPDATE schema_version SET version=?").bind(1, int64_t{kSchemaVersion}).run();
    commit();
  } catch (...) {
    rollback();
    throw;
  }
}

// Every transaction begins and ends with one of these: kept prepared, as
// sqlite3_exec() would parse them again each time (6% of a worker's time
// in a profile of 200 clients).
int IndexDb::step_cached(const char* sql) {
  Stmt s = prepare(sql);
  return s.step_rc();
}

void IndexDb::run_cached(const char* sql) {
  int rc = step_cached(sql);
  check(db_, rc == SQLITE_DONE ? SQLITE_OK : rc, sql);
}

void IndexDb::begin_write() {
  int rc = step_cached("BEGIN IMMEDIATE");
  if (rc == SQLITE_BUSY) throw StoreError(ErrorCode::kTemporary, "index: locked by another writer");
  check(db_, rc == SQLITE_DONE ? SQLITE_OK : rc, "BEGIN IMMEDIATE");
}

void IndexDb::begin_read() { run_cached("BEGIN"); }

void IndexDb::set_durable(bool durable) {
  if (!fsync_ || durable == durable_) return;
  run_cached(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  durable_ = durable;
}

void IndexDb::commit() { run_cached("COMMIT"); }

void IndexDb::rollback() noexcept {
  if (sqlite3_get_autocommit(db_)) return;
  try {
    step_cached("ROLLBACK");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);  // no memory to prepare it: parse it here
  }
}

uint32_t IndexDb::next_uidvalidity() {
  Stmt get = prepare("SELECT value FROM meta WHERE key='last_uidvalidity'");
  int64_t last = get.step() ? get.int64(0) : 0;
  int64_t next = std::max<int64_t>(static_cast<int64_t>(std::time(nullptr)), last + 1);
  if (next > UINT32_MAX) next = UINT32_MAX;  // year 2106; keeps the column in range
  prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_uidvalidity', ?)").bind(1, next).run();
  return static_cast<uint32_t>(next);
}

void IndexDb::raise_last_uidvalidity(uint32_t last) {
  prepare(
      "INSERT INTO meta (key, value) VALUES ('last_uidvalidity', ?1) "
      "ON CONFLICT(key) DO UPDATE SET value=MAX(value, ?1)")
      .bind(1, static_cast<int64_t>(last))
      .run();
}

namespace {
constexpr const char* kMailboxColumns =
    "id, name, dir, uidvalidity, uidnext, highest_modseq, special_use, "
    "EXISTS (SELECT 1 FROM subscriptions s WHERE s.name=mailboxes.name), "
    "message_count, unseen_count, deleted_count, total_size";

MailboxRow read_mailbox(const Stmt& s) {
  MailboxRow r;
  r.id = s.int64(0);
  r.name = s.text(1);
  r.dir = s.text(2);
  r.uidvalidity = static_cast<uint32_t>(s.int64(3));
  r.uidnext = static_cast<uint32_t>(s.int64(4));
  r.highest_modseq = static_cast<uint64_t>(s.int64(5));
  r.special_use = s.text(6);
  r.subscribed = s.int64(7) != 0;
  r.message_count = static_cast<uint32_t>(s.int64(8));
  r.unseen_count = static_cast<uint32_t>(s.int64(9));
  r.deleted_count = static_cast<uint32_t>(s.int64(10));
  r.total_size = static_cast<uint64_t>(s.int64(11));
  return r;
}
}  // namespace

std::optional<MailboxRow> IndexDb::mailbox_by_name(std::string_view name) {
  static const std::string sql = std::string("SELECT ") + kMailboxColumns + " FROM mailboxes WHERE name=?";
  Stmt s = prepare(sql.c_str());
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_mailbox(s);
}

std::optional<MailboxRow> IndexDb::mailbox_by_id(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kMailboxColumns + " FROM mailboxes WHERE id=?";
  Stmt s = prepare(sql.c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_mailbox(s);
}

std::vector<MailboxRow> IndexDb::mailboxes() {
  static const std::string sql =
      std::string("SELECT ") + kMailboxColumns + " FROM mailboxes ORDER BY name <> 'INBOX', name";
  Stmt s = prepare(sql.c_str());
  std::vector<MailboxRow> out;
  while (s.step()) out.push_back(read_mailbox(s));
  return out;
}

bool IndexDb::dir_taken(std::string_view dir) {
  Stmt s =
      prepare("SELECT 1 FROM mailboxes WHERE dir=?1 UNION ALL SELECT 1 FROM pending_removals WHERE dir=?1");
  s.bind(1, dir);
  return s.step();
}

int64_t IndexDb::insert_mailbox(const MailboxRow& r) {
  prepare(
      "INSERT INTO mailboxes (name, dir, uidvalidity, uidnext, highest_modseq, special_use) "
      "VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, r.name)
      .bind(2, r.dir)
      .bind(3, static_cast<int64_t>(r.uidvalidity))
      .bind(4, static_cast<int64_t>(r.uidnext))
      .bind(5, static_cast<int64_t>(r.highest_modseq))
      .bind(6, r.special_use)
      .run();
  return sqlite3_last_insert_rowid(db_);
}

void IndexDb::delete_mailbox(int64_t id) { prepare("DELETE FROM mailboxes WHERE id=?").bind(1, id).run(); }

void IndexDb::set_mailbox_name(int64_t id, std::string_view name) {
  prepare("UPDATE mailboxes SET name=? WHERE id=?").bind(1, name).bind(2, id).run();
}

bool IndexDb::set_subscribed(std::string_view name, bool subscribed) {
  if (subscribed) {
    prepare("INSERT OR IGNORE INTO subscriptions (name) VALUES (?)").bind(1, name).run();
  } else {
    prepare("DELETE FROM subscriptions WHERE name=?").bind(1, name).run();
  }
  return sqlite3_changes(db_) > 0;
}

std::vector<std::string> IndexDb::subscriptions() {
  Stmt s = prepare("SELECT name FROM subscriptions ORDER BY name <> 'INBOX', name");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void IndexDb::set_counters(int64_t mailbox_id, uint32_t uidnext, uint64_t highest_modseq) {
  prepare("UPDATE mailboxes SET uidnext=?, highest_modseq=? WHERE id=?")
      .bind(1, static_cast<int64_t>(uidnext))
      .bind(2, static_cast<int64_t>(highest_modseq))
      .bind(3, mailbox_id)
      .run();
}

int64_t IndexDb::insert_message(int64_t mailbox_id, const MessageInfo& m, std::string_view file) {
  prepare(
      "INSERT INTO messages (mailbox_id, uid, file, size, internal_date, internal_tz, flags, modseq) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, mailbox_id)
      .bind(2, static_cast<int64_t>(m.uid))
      .bind(3, file)
      .bind(4, static_cast<int64_t>(m.size))
      .bind(5, m.internal_date)
      .bind(6, int64_t{m.internal_tz})
      .bind(7, static_cast<int64_t>(m.flags))
      .bind(8, static_cast<int64_t>(m.modseq))
      .run();
  return sqlite3_last_insert_rowid(db_);
}

void IndexDb::add_keywords(int64_t message_id, std::span<const std::string> keywords) {
  for (const auto& k : keywords) {
    prepare("INSERT OR IGNORE INTO keywords (message_id, keyword) VALUES (?, ?)")
        .bind(1, message_id)
        .bind(2, k)
        .run();
  }
}

void IndexDb::remove_keywords(int64_t message_id, std::span<const std::string> keywords) {
  for (const auto& k : keywords) {
    prepare("DELETE FROM keywords WHERE message_id=? AND keyword=?").bind(1, message_id).bind(2, k).run();
  }
}

void IndexDb::clear_keywords(int64_t message_id) {
  prepare("DELETE FROM keywords WHERE message_id=?").bind(1, message_id).run();
}

void IndexDb::set_flags(int64_t message_id, uint32_t flags, uint64_t modseq) {
  prepare("UPDATE messages SET flags=?, modseq=? WHERE id=?")
      .bind(1, static_cast<int64_t>(flags))
      .bind(2, static_cast<int64_t>(modseq))
      .bind(3, message_id)
      .run();
}

void IndexDb::delete_message(int64_t message_id) {
  prepare("DELETE FROM messages WHERE id=?").bind(1, message_id).run();
}

void IndexDb::move_message(int64_t message_id, int64_t to_mailbox, uint32_t uid) {
  prepare("UPDATE messages SET mailbox_id=?, uid=? WHERE id=?")
      .bind(1, to_mailbox)
      .bind(2, static_cast<int64_t>(uid))
      .bind(3, message_id)
      .run();
}

namespace {
MessageRow read_message(const Stmt& s) {
  MessageRow r;
  r.id = s.int64(0);
  r.info.uid = static_cast<uint32_t>(s.int64(1));
  r.file = s.text(2);
  r.info.size = static_cast<uint64_t>(s.int64(3));
  r.info.internal_date = s.int64(4);
  r.info.internal_tz = static_cast<int32_t>(s.int64(5));
  r.info.flags = static_cast<uint32_t>(s.int64(6));
  r.info.modseq = static_cast<uint64_t>(s.int64(7));
  return r;
}
}  // namespace

std::vector<MessageRow> IndexDb::messages(int64_t mailbox_id, uint64_t min_modseq) {
  std::vector<MessageRow> out;
  std::unordered_map<int64_t, size_t> by_id;
  {
    Stmt s = prepare(
        "SELECT id, uid, file, size, internal_date, internal_tz, flags, modseq FROM messages "
        "WHERE mailbox_id=? AND modseq>? ORDER BY uid");
    s.bind(1, mailbox_id).bind(2, static_cast<int64_t>(min_modseq));
    while (s.step()) {
      by_id.emplace(s.int64(0), out.size());
      out.push_back(read_message(s));
    }
  }
  Stmt k = prepare(
      "SELECT k.message_id, k.keyword FROM keywords k JOIN messages m ON m.id=k.message_id "
      "WHERE m.mailbox_id=? AND m.modseq>? ORDER BY k.message_id, k.keyword");
  k.bind(1, mailbox_id).bind(2, static_cast<int64_t>(min_modseq));
  while (k.step()) {
    auto it = by_id.find(k.int64(0));
    if (it != by_id.end()) out[it->second].info.keywords.push_back(k.text(1));
  }
  return out;
}

std::vector<MessageInfo> IndexDb::message_infos(int64_t mailbox_id, uint64_t min_modseq) {
  std::vector<MessageInfo> out;
  {
    // A whole mailbox is read in the (mailbox_id, uid) index's order; the
    // MODSEQ index plus a sort would take twice as long.
    Stmt s = min_modseq == 0 ? prepare(
                                   "SELECT uid, size, internal_date, internal_tz, flags, modseq FROM messages "
                                   "WHERE mailbox_id=? ORDER BY uid")
                             : prepare(
                                   "SELECT uid, size, internal_date, internal_tz, flags, modseq FROM messages "
                                   "WHERE mailbox_id=? AND modseq>? ORDER BY uid");
    s.bind(1, mailbox_id);
    if (min_modseq != 0) s.bind(2, static_cast<int64_t>(min_modseq));
    while (s.step()) {
      MessageInfo& m = out.emplace_back();
      m.uid = static_cast<uint32_t>(s.int64(0));
      m.size = static_cast<uint64_t>(s.int64(1));
      m.internal_date = s.int64(2);
      m.internal_tz = static_cast<int32_t>(s.int64(3));
      m.flags = static_cast<uint32_t>(s.int64(4));
      m.modseq = static_cast<uint64_t>(s.int64(5));
    }
  }
  // Keywords by UID (out is in UID order), without a map of every message.
  Stmt k = prepare(
      "SELECT m.uid, k.keyword FROM keywords k JOIN messages m ON m.id=k.message_id "
      "WHERE m.mailbox_id=? AND m.modseq>? ORDER BY m.uid, k.keyword");
  k.bind(1, mailbox_id).bind(2, static_cast<int64_t>(min_modseq));
  auto it = out.begin();
  while (k.step()) {
    const uint32_t uid = static_cast<uint32_t>(k.int64(0));
    while (it != out.end() && it->uid < uid) ++it;
    if (it != out.end() && it->uid == uid) it->keywords.push_back(k.text(1));
  }
  return out;
}

std::vector<MessageRow> IndexDb::deleted_messages(int64_t mailbox_id) {
  Stmt s = prepare(
      "SELECT id, uid, file, size, internal_date, internal_tz, flags, modseq FROM messages "
      "WHERE mailbox_id=? AND (flags & 8) <> 0 ORDER BY uid");
  s.bind(1, mailbox_id);
  std::vector<MessageRow> out;
  while (s.step()) out.push_back(read_message(s));
  return out;
}

std::optional<MessageRow> IndexDb::message(int64_t mailbox_id, uint32_t uid) {
  std::optional<MessageRow> out;
  {
    Stmt s = prepare(
        "SELECT id, uid, file, size, internal_date, internal_tz, flags, modseq FROM messages "
        "WHERE mailbox_id=? AND uid=?");
    s.bind(1, mailbox_id).bind(2, static_cast<int64_t>(uid));
    if (!s.step()) return std::nullopt;
    out = read_message(s);
  }
  Stmt k = prepare("SELECT keyword FROM keywords WHERE message_id=? ORDER BY keyword");
  k.bind(1, out->id);
  while (k.step()) out->info.keywords.push_back(k.text(0));
  return out;
}

std::vector<std::string> IndexDb::files(int64_t mailbox_id) {
  Stmt s = prepare("SELECT file FROM messages WHERE mailbox_id=?");
  s.bind(1, mailbox_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

MailboxStatus IndexDb::status(const MailboxRow& mailbox) {
  MailboxStatus st;
  st.uidvalidity = mailbox.uidvalidity;
  st.uidnext = mailbox.uidnext;
  st.highest_modseq = mailbox.highest_modseq;
  st.messages = mailbox.message_count;
  st.unseen = mailbox.unseen_count;
  st.deleted = mailbox.deleted_count;
  st.size = mailbox.total_size;
  return st;
}

void IndexDb::recount(int64_t mailbox_id) {
  prepare(
      "UPDATE mailboxes SET "
      "message_count = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id), "
      "unseen_count = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 1) = 0), "
      "deleted_count = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 8) <> 0), "
      "total_size = (SELECT COALESCE(SUM(m.size), 0) FROM messages m WHERE m.mailbox_id = mailboxes.id) "
      "WHERE id=?")
      .bind(1, mailbox_id)
      .run();
}

void IndexDb::insert_tombstone(int64_t mailbox_id, uint32_t uid, uint64_t modseq) {
  prepare("INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)")
      .bind(1, mailbox_id)
      .bind(2, static_cast<int64_t>(uid))
      .bind(3, static_cast<int64_t>(modseq))
      .run();
}

std::vector<uint32_t> IndexDb::tombstones_since(int64_t mailbox_id, uint64_t modseq) {
  Stmt s = prepare("SELECT uid FROM expunged WHERE mailbox_id=? AND modseq>? ORDER BY uid");
  s.bind(1, mailbox_id).bind(2, static_cast<int64_t>(modseq));
  std::vector<uint32_t> out;
  while (s.step()) out.push_back(static_cast<uint32_t>(s.int64(0)));
  return out;
}

std::vector<TombstoneRow> IndexDb::tombstones(int64_t mailbox_id) {
  Stmt s = prepare("SELECT uid, modseq FROM expunged WHERE mailbox_id=? ORDER BY uid");
  s.bind(1, mailbox_id);
  std::vector<TombstoneRow> out;
  while (s.step()) {
    out.push_back(TombstoneRow{static_cast<uint32_t>(s.int64(0)), static_cast<uint64_t>(s.int64(1))});
  }
  return out;
}

void IndexDb::delete_tombstone(int64_t mailbox_id, uint32_t uid) {
  prepare("DELETE FROM expunged WHERE mailbox_id=? AND uid=?")
      .bind(1, mailbox_id)
      .bind(2, static_cast<int64_t>(uid))
      .run();
}

void IndexDb::set_size(int64_t message_id, uint64_t size, uint64_t modseq) {
  prepare("UPDATE messages SET size=?, modseq=? WHERE id=?")
      .bind(1, static_cast<int64_t>(size))
      .bind(2, static_cast<int64_t>(modseq))
      .bind(3, message_id)
      .run();
}

void IndexDb::set_file(int64_t message_id, std::string_view file) {
  prepare("UPDATE messages SET file=? WHERE id=?").bind(1, file).bind(2, message_id).run();
}

void IndexDb::drop_tree(int64_t message_id) {
  prepare("DELETE FROM message_trees WHERE message_id=?").bind(1, message_id).run();
}

void IndexDb::add_pending_removal(std::string_view dir) {
  prepare("INSERT OR IGNORE INTO pending_removals (dir) VALUES (?)").bind(1, dir).run();
}

void IndexDb::drop_pending_removal(std::string_view dir) {
  prepare("DELETE FROM pending_removals WHERE dir=?").bind(1, dir).run();
}

std::vector<std::string> IndexDb::pending_removals() {
  Stmt s = prepare("SELECT dir FROM pending_removals");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void IndexDb::add_import_marker(int64_t mailbox_id, std::string_view name) {
  prepare("INSERT OR IGNORE INTO new_imports (mailbox_id, name) VALUES (?, ?)")
      .bind(1, mailbox_id)
      .bind(2, name)
      .run();
}

std::vector<std::string> IndexDb::import_markers(int64_t mailbox_id) {
  Stmt s = prepare("SELECT name FROM new_imports WHERE mailbox_id=?");
  s.bind(1, mailbox_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void IndexDb::remove_import_markers(int64_t mailbox_id, std::span<const std::string> names) {
  for (const std::string& name : names) {
    prepare("DELETE FROM new_imports WHERE mailbox_id=? AND name=?").bind(1, mailbox_id).bind(2, name).run();
  }
}

void IndexDb::put_tree(int64_t message_id, std::string_view tree) {
  // Nothing when the message is gone (expunged while its tree was computed).
  prepare(
      "INSERT OR REPLACE INTO message_trees (message_id, tree) "
      "SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM messages WHERE id=?1)")
      .bind(1, message_id)
      .bind_blob(2, tree)
      .run();
}

void IndexDb::copy_tree(int64_t from_message, int64_t to_message) {
  prepare(
      "INSERT OR REPLACE INTO message_trees (message_id, tree) "
      "SELECT ?, tree FROM message_trees WHERE message_id=?")
      .bind(1, to_message)
      .bind(2, from_message)
      .run();
}

std::optional<TreeRow> IndexDb::message_tree(int64_t mailbox_id, uint32_t uid) {
  Stmt s = prepare(
      "SELECT m.id, m.file, m.size, t.tree FROM messages m "
      "LEFT JOIN message_trees t ON t.message_id=m.id WHERE m.mailbox_id=? AND m.uid=?");
  s.bind(1, mailbox_id).bind(2, static_cast<int64_t>(uid));
  if (!s.step()) return std::nullopt;
  TreeRow r;
  r.message_id = s.int64(0);
  r.uid = uid;
  r.file = s.text(1);
  r.size = static_cast<uint64_t>(s.int64(2));
  if (!s.is_null(3)) r.tree = s.blob(3);
  return r;
}

uint64_t IndexDb::count_after(int64_t mailbox_id, uint32_t after) {
  Stmt s = prepare("SELECT COUNT(*) FROM messages WHERE mailbox_id=? AND uid>?");
  s.bind(1, mailbox_id).bind(2, static_cast<int64_t>(after));
  return s.step() ? static_cast<uint64_t>(s.int64(0)) : 0;
}

std::vector<TreeRow> IndexDb::trees_after(int64_t mailbox_id, uint32_t after, size_t limit) {
  Stmt s = prepare(
      "SELECT m.id, m.uid, m.file, m.size, t.tree FROM messages m "
      "LEFT JOIN message_trees t ON t.message_id=m.id WHERE m.mailbox_id=? AND m.uid>? ORDER BY m.uid LIMIT ?");
  s.bind(1, mailbox_id).bind(2, static_cast<int64_t>(after)).bind(3, static_cast<int64_t>(limit));
  std::vector<TreeRow> out;
  while (s.step()) {
    TreeRow r;
    r.message_id = s.int64(0);
    r.uid = static_cast<uint32_t>(s.int64(1));
    r.file = s.text(2);
    r.size = static_cast<uint64_t>(s.int64(3));
    if (!s.is_null(4)) r.tree = s.blob(4);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace loft::store::internal

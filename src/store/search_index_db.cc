#include "store/search_index_db.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;

bool IsCorruption(int rc) {
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT;
}

std::string Table(int64_t box) { return "fts_" + std::to_string(box); }

// The FTS5 column filter for a field.
const char* Columns(SearchField field) {
  switch (field) {
    case SearchField::kBody:
      return "{body}";
    case SearchField::kText:
      return "{body headers}";
    case SearchField::kPartHeaders:
      return "{headers}";
    case SearchField::kFrom:
      return "{hfrom}";
    case SearchField::kTo:
      return "{hto}";
    case SearchField::kCc:
      return "{hcc}";
    case SearchField::kBcc:
      return "{hbcc}";
    case SearchField::kSubject:
      return "{hsubject}";
  }
  return "{body}";
}

// A prepared statement finalised on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s_, nullptr);
    if (rc != SQLITE_OK) throw SearchIndexError("search index: prepare: " + std::string(sqlite3_errmsg(db)),
                                                IsCorruption(rc));
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(rc);
    return false;
  }
  void run() {
    while (step()) {
    }
    sqlite3_reset(s_);
  }
  void reset() { sqlite3_reset(s_); }
  int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }

 private:
  void check(int rc) {
    if (rc == SQLITE_OK) return;
    throw SearchIndexError("search index: " + std::string(sqlite3_errmsg(db_)), IsCorruption(rc));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

SearchBoxRow RowOf(const Statement& s) {
  SearchBoxRow r;
  r.id = s.int64(0);
  r.key.mailbox_id = s.int64(1);
  r.key.uidvalidity = static_cast<uint32_t>(s.int64(2));
  r.indexed_through = static_cast<uint32_t>(s.int64(3));
  r.rows = static_cast<uint64_t>(s.int64(4));
  return r;
}

constexpr const char* kBoxColumns = "SELECT id, mailbox_id, uidvalidity, indexed_through, row_count FROM boxes ";

}  // namespace

SearchIndexDb::SearchIndexDb(const fs::path& file) {
  try {
    open(file);
    return;
  } catch (const SearchIndexError& e) {
    // Derived data: a damaged file, or one of another format, is started
    // again; anything else (a lock held too long) is the caller's failure.
    if (!e.corrupt()) {
      if (db_) sqlite3_close_v2(db_);
      db_ = nullptr;
      throw;
    }
  }
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
  Remove(file);
  open(file);
}

SearchIndexDb::~SearchIndexDb() {
  if (db_) sqlite3_close_v2(db_);
}

void SearchIndexDb::Remove(const fs::path& file) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((file.string() + suffix).c_str());
}

void SearchIndexDb::open(const fs::path& file) {
  int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) fail("open", rc);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db_, 1);
  exec("PRAGMA journal_mode=WAL");
  // Derived data: a crash may lose the last commits, which are then indexed
  // again (indexed_through goes back with them); never an fsync per commit.
  exec("PRAGMA synchronous=NORMAL");
  int version;
  {
    Statement s(db_, "PRAGMA user_version");
    version = s.step() ? static_cast<int>(s.int64(0)) : 0;
  }
  if (version == kFormat) {
    Statement s(db_, "SELECT count(*) FROM boxes");  // also proves the file readable
    s.step();
    return;
  }
  if (version != 0) throw SearchIndexError("search index: format " + std::to_string(version), true);
  exec("BEGIN IMMEDIATE");
  try {
    exec("CREATE TABLE IF NOT EXISTS boxes ("
         " id INTEGER PRIMARY KEY AUTOINCREMENT,"
         " mailbox_id INTEGER NOT NULL, uidvalidity INTEGER NOT NULL,"
         " indexed_through INTEGER NOT NULL DEFAULT 0, row_count INTEGER NOT NULL DEFAULT 0,"
         " UNIQUE (mailbox_id, uidvalidity))");
    exec("PRAGMA user_version=" + std::to_string(kFormat));
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void SearchIndexDb::exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(sql, rc);
}

void SearchIndexDb::fail(const std::string& what, int rc) {
  throw SearchIndexError("search index: " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"),
                         IsCorruption(rc));
}

std::optional<SearchBoxRow> SearchIndexDb::box(const SearchMailboxKey& key) {
  Statement s(db_, std::string(kBoxColumns) + "WHERE mailbox_id=? AND uidvalidity=?");
  s.bind(1, key.mailbox_id).bind(2, static_cast<int64_t>(key.uidvalidity));
  if (!s.step()) return std::nullopt;
  return RowOf(s);
}

std::optional<SearchBoxRow> SearchIndexDb::box_by_id(int64_t id) {
  Statement s(db_, std::string(kBoxColumns) + "WHERE id=?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return RowOf(s);
}

std::vector<SearchBoxRow> SearchIndexDb::boxes() {
  Statement s(db_, std::string(kBoxColumns) + "ORDER BY id");
  std::vector<SearchBoxRow> out;
  while (s.step()) out.push_back(RowOf(s));
  return out;
}

SearchBoxRow SearchIndexDb::create_box(const SearchMailboxKey& key) {
  exec("BEGIN IMMEDIATE");
  try {
    std::optional<SearchBoxRow> existing = box(key);  // another process may have made it
    if (!existing) {
      Statement ins(db_, "INSERT INTO boxes (mailbox_id, uidvalidity) VALUES (?, ?)");
      ins.bind(1, key.mailbox_id).bind(2, static_cast<int64_t>(key.uidvalidity)).run();
      const int64_t id = sqlite3_last_insert_rowid(db_);
      // Contentless (the text is not stored: the mail is), detail=full for
      // exact phrase (substring) matches, no per-row sizes (no ranking).
      exec("CREATE VIRTUAL TABLE " + Table(id) +
           " USING fts5(body, headers, hfrom, hto, hcc, hbcc, hsubject,"
           " tokenize='trigram case_sensitive 1', content='', detail=full, columnsize=0)");
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  std::optional<SearchBoxRow> made = box(key);
  if (!made) throw SearchIndexError("search index: box vanished", false);
  return *made;
}

void SearchIndexDb::drop_box(int64_t id) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement del(db_, "DELETE FROM boxes WHERE id=?");
    del.bind(1, id).run();
    exec("DROP TABLE IF EXISTS " + Table(id));
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

bool SearchIndexDb::add(int64_t box, uint32_t expected, uint32_t through,
                        const std::vector<std::pair<uint32_t, SearchDoc>>& docs) {
  exec("BEGIN IMMEDIATE");
  try {
    std::optional<SearchBoxRow> row = box_by_id(box);
    if (!row || row->indexed_through != expected) {
      exec("ROLLBACK");
      return false;
    }
    {
      Statement ins(db_, "INSERT INTO " + Table(box) +
                             " (rowid, body, headers, hfrom, hto, hcc, hbcc, hsubject) VALUES (?,?,?,?,?,?,?,?)");
      for (const auto& [uid, d] : docs) {
        ins.bind(1, static_cast<int64_t>(uid))
            .bind(2, d.body)
            .bind(3, d.headers)
            .bind(4, d.from)
            .bind(5, d.to)
            .bind(6, d.cc)
            .bind(7, d.bcc)
            .bind(8, d.subject);
        ins.run();
      }
    }
    Statement upd(db_, "UPDATE boxes SET indexed_through=?, row_count=row_count+? WHERE id=?");
    upd.bind(1, static_cast<int64_t>(through)).bind(2, static_cast<int64_t>(docs.size())).bind(3, box).run();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return true;
}

void SearchIndexDb::optimize(int64_t box) {
  exec("INSERT INTO " + Table(box) + " (" + Table(box) + ") VALUES ('optimize')");
}

std::vector<uint32_t> SearchIndexDb::find(int64_t box, SearchField field, std::string_view folded_needle) {
  std::string query = Columns(field);
  query += " : \"";
  for (char c : folded_needle) {
    if (c == '"') query += '"';  // FTS5 strings double their quotes
    query += c;
  }
  query += '"';
  Statement s(db_, "SELECT rowid FROM " + Table(box) + " WHERE " + Table(box) + " MATCH ?");
  s.bind(1, query);
  std::vector<uint32_t> out;
  while (s.step()) out.push_back(static_cast<uint32_t>(s.int64(0)));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace loft::store::internal

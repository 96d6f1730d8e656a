#include "store/index_health.h"

#include <sqlite3.h>

#include <map>
#include <memory>

#include "store/store.h"

namespace loft::store::internal {
namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr int kMaxDamageLines = 10;

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, Closer>;

struct StmtCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

// Opened read-write but never created: a missing index is reported, not made.
// (Read-only connections cannot always read a WAL database.)
Db open_existing(const std::filesystem::path& file, std::string* error) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    *error = raw ? sqlite3_errmsg(raw) : "out of memory";
    return nullptr;
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

// Runs a query and hands every row to `row`; false (and *error) on failure.
template <typename Fn>
bool each_row(sqlite3* db, const char* sql, std::string* error, Fn row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    *error = sqlite3_errmsg(db);
    sqlite3_finalize(raw);
    return false;
  }
  Stmt s(raw);
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) row(raw);
  if (rc != SQLITE_DONE) {
    *error = sqlite3_errmsg(db);
    return false;
  }
  return true;
}

std::string text(sqlite3_stmt* s, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
}

// (table, rowid) of every row whose parent is missing.
bool dangling_rows(sqlite3* db, std::vector<std::pair<std::string, int64_t>>& out, std::string* error) {
  return each_row(db, "PRAGMA foreign_key_check", error,
                  [&](sqlite3_stmt* s) { out.emplace_back(text(s, 0), sqlite3_column_int64(s, 1)); });
}

std::vector<DanglingRows> by_table(const std::vector<std::pair<std::string, int64_t>>& rows) {
  std::map<std::string, uint64_t> counts;
  for (const auto& [table, rowid] : rows) ++counts[table];
  std::vector<DanglingRows> out;
  for (const auto& [table, n] : counts) out.push_back(DanglingRows{table, n});
  return out;
}

void exec(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw StoreError(ErrorCode::kTemporary, "index: " + sql + ": " + sqlite3_errmsg(db));
  }
}

}  // namespace

IndexHealth inspect_index(const std::filesystem::path& file) {
  IndexHealth health;
  std::error_code ec;
  health.exists = std::filesystem::exists(file, ec);
  if (!health.exists) return health;
  std::string error;
  Db db = open_existing(file, &error);
  if (!db) {
    health.damage.push_back("cannot open: " + error);
    return health;
  }
  // A store being opened for the first time makes the file, then its
  // tables: in between it is empty, not damaged.
  int64_t tables = 0;
  if (!each_row(db.get(), "SELECT COUNT(*) FROM sqlite_master", &error,
                [&](sqlite3_stmt* s) { tables = sqlite3_column_int64(s, 0); })) {
    health.damage.push_back(error);
    return health;
  }
  if (tables == 0) {
    health.empty = true;
    return health;
  }
  std::vector<std::string> lines;
  const std::string sql = "PRAGMA integrity_check(" + std::to_string(kMaxDamageLines) + ")";
  if (!each_row(db.get(), sql.c_str(), &error, [&](sqlite3_stmt* s) { lines.push_back(text(s, 0)); })) {
    health.damage.push_back(error);
    return health;
  }
  if (!(lines.size() == 1 && lines[0] == "ok")) {
    // A row may hold several lines, headed by "*** in database main ***".
    for (const std::string& row : lines) {
      size_t start = 0;
      while (start <= row.size()) {
        size_t end = row.find('\n', start);
        if (end == std::string::npos) end = row.size();
        std::string line = row.substr(start, end - start);
        if (!line.empty() && line.rfind("***", 0) != 0) health.damage.push_back(std::move(line));
        start = end + 1;
      }
    }
    if (health.damage.empty()) health.damage.push_back("integrity check failed");
    return health;
  }
  // The tables the store needs must be there: a file that is a sound SQLite
  // database but not an index (or an emptied one) is no use either.
  if (!each_row(db.get(), "SELECT COUNT(*) FROM mailboxes, schema_version", &error, [](sqlite3_stmt*) {})) {
    health.damage.push_back(error);
    return health;
  }
  std::vector<std::pair<std::string, int64_t>> rows;
  if (!dangling_rows(db.get(), rows, &error)) {
    health.damage.push_back(error);
    return health;
  }
  health.dangling = by_table(rows);
  return health;
}

std::vector<DanglingRows> remove_dangling_rows(const std::filesystem::path& file) {
  std::string error;
  Db db = open_existing(file, &error);
  if (!db) throw StoreError(ErrorCode::kTemporary, "index: open " + file.string() + ": " + error);
  // Cascades take a deleted message's keywords and tree along.
  exec(db.get(), "PRAGMA foreign_keys=ON");
  exec(db.get(), "BEGIN IMMEDIATE");
  std::vector<std::pair<std::string, int64_t>> removed;
  try {
    // A deleted row may leave others dangling in turn (keywords of a
    // message of a missing mailbox, with cascades off when they were made).
    for (int pass = 0; pass < 4; ++pass) {
      std::vector<std::pair<std::string, int64_t>> rows;
      if (!dangling_rows(db.get(), rows, &error)) throw StoreError(ErrorCode::kTemporary, "index: " + error);
      if (rows.empty()) break;
      for (const auto& [table, rowid] : rows) {
        // The name comes from SQLite's own schema; quoted all the same.
        std::string quoted;
        for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        exec(db.get(), "DELETE FROM \"" + quoted + "\" WHERE rowid=" + std::to_string(rowid));
      }
      removed.insert(removed.end(), rows.begin(), rows.end());
    }
    exec(db.get(), "COMMIT");
  } catch (...) {
    sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return by_table(removed);
}

}  // namespace loft::store::internal

// Prepared statements kept for reuse on one connection, shared by the
// store's index (keyed by the SQL literal's address: its statements are a
// fixed set of literals, and hashing their text on every use would cost
// more than the lookup saves) and the search index (keyed by the SQL text:
// its statements name per-mailbox tables, so they come and go, and it
// bounds how many it keeps).
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <unordered_map>

namespace loft::sqlite {

template <typename Key>
class StatementCache {
 public:
  StatementCache() = default;
  ~StatementCache() { clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The kept statement for `key`, or nullptr.
  sqlite3_stmt* find(const Key& key) const {
    auto it = kept_.find(key);
    return it == kept_.end() ? nullptr : it->second;
  }

  // Prepares `sql` (persistent) and keeps it for `key`, which must not be
  // kept yet. On failure returns nullptr with SQLite's code in *rc and
  // keeps nothing. Callers reset a kept statement after each use.
  sqlite3_stmt* prepare(sqlite3* db, const Key& key, std::string_view sql, int* rc) {
    sqlite3_stmt* s = nullptr;
    *rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (*rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return nullptr;
    }
    kept_.emplace(key, s);
    return s;
  }

  size_t size() const { return kept_.size(); }

  // Finalises every kept statement: only where none is in use, and before
  // the connection closes.
  void clear() {
    for (auto& [key, s] : kept_) sqlite3_finalize(s);
    kept_.clear();
  }

 private:
  std::unordered_map<Key, sqlite3_stmt*> kept_;
};

}  // namespace loft::sqlite

// Direct access to a user's index.sqlite for tests that look behind the
// store's back (what is cached) or damage it on purpose.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loft::store::testing {

class IndexSql {
 public:
  struct Param {
    Param(std::string v, bool b = false) : value(std::move(v)), blob(b) {}  // NOLINT: implicit from text
    std::string value;
    bool blob;
  };

  explicit IndexSql(const std::filesystem::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open " + path.string());
    sqlite3_busy_timeout(db_, 10000);
  }
  ~IndexSql() { sqlite3_close(db_); }
  IndexSql(const IndexSql&) = delete;
  IndexSql& operator=(const IndexSql&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + msg);
    }
  }

  // First column of every row; blobs and text as bytes, NULL as nullopt.
  std::vector<std::optional<std::string>> column(const std::string& sql,
                                                 const std::vector<Param>& params = {}) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string& v = params[i].value;
      if (params[i].blob) {
        sqlite3_bind_blob(s, static_cast<int>(i + 1), v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_text(s, static_cast<int>(i + 1), v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      }
    }
    std::vector<std::optional<std::string>> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
        out.emplace_back(std::nullopt);
      } else {
        auto* p = static_cast<const char*>(sqlite3_column_blob(s, 0));
        out.emplace_back(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, 0))));
      }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    return out;
  }

  int64_t count(const std::string& sql) {
    auto rows = column(sql);
    return rows.empty() || !rows[0] ? -1 : std::stoll(*rows[0]);
  }

  // The cached tree of a message, nullopt when there is none.
  std::optional<std::string> tree(std::string_view mailbox, uint32_t uid) {
    auto rows = column(
        "SELECT t.tree FROM message_trees t JOIN messages m ON m.id=t.message_id "
        "JOIN mailboxes b ON b.id=m.mailbox_id WHERE b.name=?1 AND m.uid=" + std::to_string(uid),
        {std::string(mailbox)});
    if (rows.empty()) return std::nullopt;
    return rows[0];
  }

  // Replaces (or, with nullopt, removes) the cached tree of a message.
  void set_tree(std::string_view mailbox, uint32_t uid, std::optional<std::string> tree) {
    const std::string id = "(SELECT m.id FROM messages m JOIN mailboxes b ON b.id=m.mailbox_id "
                           "WHERE b.name=?1 AND m.uid=" + std::to_string(uid) + ")";
    column("DELETE FROM message_trees WHERE message_id=" + id, {std::string(mailbox)});
    if (tree) {
      column("INSERT INTO message_trees (message_id, tree) VALUES (" + id + ", ?2)",
             {std::string(mailbox), Param(*tree, true)});
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace loft::store::testing

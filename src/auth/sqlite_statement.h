// Minimal RAII wrapper over a prepared SQLite statement; errors throw
// std::runtime_error with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace loft::auth::internal {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind_text(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_int64(int index, int64_t value);
  Statement& bind_null(int index);

  // true: a row is available; false: done.
  bool step();

  bool column_is_null(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  int64_t column_int64(int index) const;

 private:
  [[noreturn]] void fail(int rc) const;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs SQL without results; throws on error.
void exec(sqlite3* db, const char* sql);

}  // namespace loft::auth::internal

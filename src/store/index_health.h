// index.sqlite looked at through a connection of its own, before the store
// opens it (a damaged file may not open at all): SQLite's integrity check
// and its foreign-key check (rows whose mailbox or message row is gone,
// left by edits made with foreign keys off, as the sqlite3 shell does).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace loft::store::internal {

struct DanglingRows {
  std::string table;
  uint64_t rows = 0;
};

struct IndexHealth {
  bool exists = false;
  bool empty = false;  // a database without tables: being made right now, or emptied
  std::vector<std::string> damage;     // why the file is unusable (integrity_check's first lines); empty: sound
  std::vector<DanglingRows> dangling;  // by table
};

// Read-only; never throws (an index that cannot be read is damage).
IndexHealth inspect_index(const std::filesystem::path& file);

// Deletes the rows foreign_key_check names, in one write transaction (so a
// running server sees all or nothing); returns what was deleted by table.
// Rows removed this way only ever held metadata: files are not touched.
// Throws StoreError(kTemporary) when the index cannot be written.
std::vector<DanglingRows> remove_dangling_rows(const std::filesystem::path& file);

}  // namespace loft::store::internal

// Switching a SQLite database to WAL (PRAGMA journal_mode=WAL), shared by
// the store's index and search index and auth's user database.
#pragma once

#include <chrono>
#include <string>

struct sqlite3;

namespace loft::sqlite {

// What the switch came to.
struct WalSwitch {
  int rc = 0;        // SQLite's result code of the last attempt
  std::string mode;  // when rc is SQLITE_OK: the journal mode now, lower case
  // The database is in WAL mode. One that cannot be (in memory, say) keeps
  // its old mode, and the PRAGMA still answers SQLITE_OK.
  bool in_wal() const;
};

// Runs PRAGMA journal_mode=WAL, retrying while the database is busy or
// locked until `timeout` (the connection's busy timeout) has passed.
//
// Why the retry: switching a fresh database to WAL needs a moment of
// exclusive access, which SQLite's busy handler does not always cover:
// several processes opening a new file at once (several `loft user add` on
// a fresh data directory) got "database is locked" at once.
WalSwitch switch_to_wal(sqlite3* db, std::chrono::milliseconds timeout);

}  // namespace loft::sqlite

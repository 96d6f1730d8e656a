#include "sqlite/wal.h"

#include <sqlite3.h>

#include <thread>

#include "util/ascii.h"

namespace loft::sqlite {

bool WalSwitch::in_wal() const { return rc == SQLITE_OK && mode == "wal"; }

WalSwitch switch_to_wal(sqlite3* db, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    WalSwitch out;
    out.rc = sqlite3_exec(
        db, "PRAGMA journal_mode=WAL",
        [](void* mode, int n, char** values, char**) {
          if (n > 0 && values[0]) *static_cast<std::string*>(mode) = util::ascii_lowercase(values[0]);
          return 0;
        },
        &out.mode, nullptr);
    // Extended result codes (SQLITE_BUSY_RECOVERY, ...) when the connection
    // asked for them.
    const int primary = out.rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline) {
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace loft::sqlite

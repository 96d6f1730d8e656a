#include "store/index_salvage.h"

#include <sqlite3.h>

#include <algorithm>
#include <functional>

namespace loft::store::internal {
namespace {

int64_t int_of(sqlite3_stmt* s, int col) { return sqlite3_column_int64(s, col); }

std::string text_of(sqlite3_stmt* s, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, col))) : std::string();
}

// Every row until the end or the first error; false on an error.
bool read_rows(sqlite3* db, const char* sql, const std::function<void(sqlite3_stmt*)>& row) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
    sqlite3_finalize(s);
    return false;
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) row(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE;
}

}  // namespace

Salvage salvage_index(const std::filesystem::path& file) {
  Salvage out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return out;
  }
  read_rows(db, "SELECT dir, name, special_use, uidvalidity FROM mailboxes", [&](sqlite3_stmt* s) {
    out.mailboxes[text_of(s, 0)] = SalvagedMailbox{text_of(s, 1), text_of(s, 2)};
    out.last_uidvalidity = std::max(out.last_uidvalidity, static_cast<uint32_t>(int_of(s, 3)));
  });
  read_rows(db, "SELECT value FROM meta WHERE key='last_uidvalidity'", [&](sqlite3_stmt* s) {
    out.last_uidvalidity = std::max(out.last_uidvalidity, static_cast<uint32_t>(int_of(s, 0)));
    out.last_uidvalidity_known = true;
  });
  read_rows(db,
            "SELECT b.dir, m.file, m.flags, m.internal_date, m.internal_tz "
            "FROM messages m JOIN mailboxes b ON b.id=m.mailbox_id",
            [&](sqlite3_stmt* s) {
              SalvagedMessage& m = out.messages[{text_of(s, 0), text_of(s, 1)}];
              m.flags = static_cast<uint32_t>(int_of(s, 2));
              m.internal_date = int_of(s, 3);
              m.internal_tz = static_cast<int32_t>(int_of(s, 4));
            });
  read_rows(db,
            "SELECT b.dir, m.file, k.keyword FROM keywords k JOIN messages m ON m.id=k.message_id "
            "JOIN mailboxes b ON b.id=m.mailbox_id",
            [&](sqlite3_stmt* s) {
              auto it = out.messages.find({text_of(s, 0), text_of(s, 1)});
              if (it != out.messages.end()) it->second.keywords.push_back(text_of(s, 2));
            });
  std::vector<std::string> subscriptions;
  if (read_rows(db, "SELECT name FROM subscriptions",
                [&](sqlite3_stmt* s) { subscriptions.push_back(text_of(s, 0)); })) {
    out.subscriptions = std::move(subscriptions);
  }
  read_rows(db, "SELECT dir FROM pending_removals",
            [&](sqlite3_stmt* s) { out.pending_removals.insert(text_of(s, 0)); });
  read_rows(db, "SELECT b.dir, n.name FROM new_imports n JOIN mailboxes b ON b.id=n.mailbox_id",
            [&](sqlite3_stmt* s) { out.import_markers.emplace(text_of(s, 0), text_of(s, 1)); });
  sqlite3_close_v2(db);
  return out;
}

}  // namespace loft::store::internal

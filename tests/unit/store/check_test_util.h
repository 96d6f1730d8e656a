// Shared by the loft check tests (check_*_test.cc): a store to damage, and
// ways to look behind its back.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "index_sql.h"
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {

inline void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void set_mtime(const fs::path& p, time_t t) {
  struct timespec times[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << p;
}

// Old enough to be an orphan (10 minutes) / a stale tmp/ file (36 hours).
inline time_t eleven_minutes_ago() { return time(nullptr) - 11 * 60; }
inline time_t two_days_ago() { return time(nullptr) - 48 * 3600; }

inline std::vector<std::string> lines_of(const CheckReport& r) {
  std::vector<std::string> out;
  for (const CheckFinding& f : r.findings) out.push_back(f.line());
  return out;
}

class CheckTest : public StoreTest {
 protected:
  CheckReport check(bool repair) { return store_->check_user("alice", repair); }
  IndexSql& sql() {
    if (!sql_) sql_ = std::make_unique<IndexSql>(user_dir() / "index.sqlite");
    return *sql_;
  }
  // The file name the index holds for a message.
  std::string file_of(std::string_view mailbox, uint32_t uid) {
    auto rows = sql().column("SELECT m.file FROM messages m JOIN mailboxes b ON b.id=m.mailbox_id "
                             "WHERE b.name=?1 AND m.uid=" + std::to_string(uid),
                             {std::string(mailbox)});
    return rows.empty() || !rows[0] ? std::string() : *rows[0];
  }
  // Everything a check without --repair must leave as it is: files and rows.
  std::string state() {
    std::string out;
    std::vector<std::string> files = files_below(user_dir());
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      if (f.rfind("index.sqlite", 0) != 0 && f.rfind("search.sqlite", 0) != 0) out += f + "\n";
    }
    for (const char* q : {"SELECT group_concat(name||' '||uidnext||' '||highest_modseq, ';') FROM mailboxes",
                          "SELECT group_concat(mailbox_id||' '||uid||' '||file||' '||size||' '||modseq, ';') "
                          "FROM messages",
                          "SELECT group_concat(mailbox_id||' '||uid||' '||modseq, ';') FROM expunged",
                          "SELECT COUNT(*) FROM message_trees"}) {
      auto rows = sql().column(q);
      out += (rows.empty() || !rows[0] ? std::string("-") : *rows[0]) + "\n";
    }
    return out;
  }
  void TearDown() override { sql_.reset(); }

  std::unique_ptr<IndexSql> sql_;
};

}  // namespace loft::store::testing

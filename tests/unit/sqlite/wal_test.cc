// sqlite::switch_to_wal: a fresh file goes to WAL, a lock held by another
// connection is waited out up to the timeout (and no longer), and other
// errors come back at once.
#include "sqlite/wal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace loft::sqlite {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class SwitchToWal : public ::testing::Test {
 protected:
  SwitchToWal() {
    std::string tmpl = (fs::temp_directory_path() / "loft-sqlite-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~SwitchToWal() override {
    for (sqlite3* db : open_) sqlite3_close_v2(db);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // A connection without a busy timeout: every lock conflict is SQLITE_BUSY
  // at once, as when SQLite's busy handler does not cover the switch.
  sqlite3* open(const fs::path& file) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    open_.push_back(db);
    return db;
  }
  static std::string journal_mode(sqlite3* db) {
    std::string mode;
    sqlite3_exec(
        db, "PRAGMA journal_mode",
        [](void* out, int n, char** values, char**) {
          if (n > 0 && values[0]) *static_cast<std::string*>(out) = values[0];
          return 0;
        },
        &mode, nullptr);
    return mode;
  }
  fs::path file() const { return dir_ / "test.db"; }

  fs::path dir_;
  std::vector<sqlite3*> open_;
};

TEST_F(SwitchToWal, SwitchesAFreshFile) {
  sqlite3* db = open(file());
  WalSwitch result = switch_to_wal(db, 1s);
  EXPECT_EQ(result.rc, SQLITE_OK);
  EXPECT_EQ(result.mode, "wal");
  EXPECT_TRUE(result.in_wal());
  // A lasting property of the file: another connection finds it so.
  EXPECT_EQ(journal_mode(open(file())), "wal");
}

TEST_F(SwitchToWal, AnInMemoryDatabaseKeepsItsModeAndSaysSo) {
  WalSwitch result = switch_to_wal(open(":memory:"), 1s);
  EXPECT_EQ(result.rc, SQLITE_OK);
  EXPECT_EQ(result.mode, "memory");
  EXPECT_FALSE(result.in_wal());
}

TEST_F(SwitchToWal, WaitsUntilAnotherConnectionLetsGo) {
  sqlite3* holder = open(file());
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE; CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3* db = open(file());
  std::thread release([holder] {
    std::this_thread::sleep_for(200ms);
    sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr);
  });
  const Clock::time_point start = Clock::now();
  WalSwitch result = switch_to_wal(db, 10s);
  const Clock::duration took = Clock::now() - start;
  release.join();
  EXPECT_TRUE(result.in_wal()) << "rc " << result.rc << ": " << sqlite3_errmsg(db);
  EXPECT_GE(took, 150ms);  // it was refused while the lock was held
  EXPECT_LT(took, 5s);     // and went through soon after its release
}

TEST_F(SwitchToWal, GivesUpWhenTheTimeoutHasPassed) {
  sqlite3* holder = open(file());
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN EXCLUSIVE; CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3* db = open(file());
  const Clock::time_point start = Clock::now();
  WalSwitch result = switch_to_wal(db, 300ms);
  const Clock::duration took = Clock::now() - start;
  EXPECT_EQ(result.rc, SQLITE_BUSY);
  EXPECT_FALSE(result.in_wal());
  EXPECT_STREQ(sqlite3_errmsg(db), "database is locked");  // what the callers report
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

TEST_F(SwitchToWal, OtherErrorsComeBackAtOnce) {
  std::ofstream(file(), std::ios::binary) << std::string(8192, 'x');  // not a database at all
  sqlite3* db = open(file());
  const Clock::time_point start = Clock::now();
  WalSwitch result = switch_to_wal(db, 10s);
  EXPECT_EQ(result.rc, SQLITE_NOTADB);
  EXPECT_FALSE(result.in_wal());
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace loft::sqlite

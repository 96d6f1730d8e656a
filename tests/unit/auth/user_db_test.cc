#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "auth/auth.h"
#include "../support/forked_together.h"
#include "auth_test_util.h"

namespace loft::auth {
namespace {

class UserDbTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = UserDb::open(file()); }
  std::filesystem::path file() const { return dir_.path() / "users.db"; }
  testing::TempDir dir_;
  std::unique_ptr<UserDb> db_;
};

TEST(UserDbValidName, FollowsTheDocumentedRule) {
  EXPECT_TRUE(UserDb::valid_name("alice"));
  EXPECT_TRUE(UserDb::valid_name("A"));
  EXPECT_TRUE(UserDb::valid_name("first.last+tag_x-y@example.com"));
  EXPECT_TRUE(UserDb::valid_name(std::string(64, 'a')));
  EXPECT_TRUE(UserDb::valid_name("-dash"));
  EXPECT_FALSE(UserDb::valid_name(""));
  EXPECT_FALSE(UserDb::valid_name(std::string(65, 'a')));
  EXPECT_FALSE(UserDb::valid_name(".hidden"));
  for (const char* bad :
       {"a b", "a:b", "a/b", "a\\b", "a,b", "a=b", "a\tb", "\xc3\xa4rger", "a\nb", "..\x01"}) {
    EXPECT_FALSE(UserDb::valid_name(bad)) << bad;
  }
  EXPECT_FALSE(UserDb::valid_name(std::string("a\0b", 3)));
}

TEST_F(UserDbTest, AddListFindCheck) {
  db_->add("alice", "wonderland");
  db_->add("bob", "builder");
  EXPECT_EQ(db_->list(), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(db_->exists("alice"));
  EXPECT_FALSE(db_->exists("carol"));
  EXPECT_TRUE(db_->check("alice", "wonderland"));
  EXPECT_FALSE(db_->check("alice", "builder"));
  EXPECT_FALSE(db_->check("alice", ""));
  EXPECT_TRUE(db_->check("bob", "builder"));
  EXPECT_FALSE(db_->check("carol", "wonderland"));
  EXPECT_FALSE(db_->check("bad name", "wonderland"));

  auto rec = db_->find("alice");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->name, "alice");
  EXPECT_EQ(rec->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(rec->password_hash, "wonderland"));
  ASSERT_TRUE(rec->scram);
  EXPECT_EQ(rec->scram->iterations, 4096u);
  EXPECT_EQ(rec->scram->salt.size(), 16u);
  EXPECT_EQ(rec->scram->stored_key.size(), 32u);
  EXPECT_FALSE(rec->apop_secret);
  EXPECT_FALSE(db_->find("carol"));
  EXPECT_FALSE(db_->find("bad name"));
}

TEST_F(UserDbTest, NamesAreFoldedToLowerCase) {
  db_->add("Alice@Example.COM", "pw1");
  EXPECT_EQ(db_->list(), (std::vector<std::string>{"alice@example.com"}));
  EXPECT_TRUE(db_->exists("ALICE@example.com"));
  EXPECT_TRUE(db_->check("alice@EXAMPLE.com", "pw1"));
  auto rec = db_->find("ALICE@EXAMPLE.COM");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->name, "alice@example.com");
  EXPECT_THROW(db_->add("alice@example.com", "other"), std::runtime_error);
  EXPECT_TRUE(db_->check("alice@example.com", "pw1"));  // the failed add changed nothing
}

TEST_F(UserDbTest, RejectsInvalidNamesAndPasswords) {
  EXPECT_THROW(db_->add("", "pw"), std::invalid_argument);
  EXPECT_THROW(db_->add(".dot", "pw"), std::invalid_argument);
  EXPECT_THROW(db_->add("with space", "pw"), std::invalid_argument);
  EXPECT_THROW(db_->add(std::string(65, 'x'), "pw"), std::invalid_argument);
  EXPECT_THROW(db_->add("ok", ""), std::invalid_argument);
  EXPECT_THROW(db_->add("ok", std::string("a\0b", 3)), std::invalid_argument);
  EXPECT_TRUE(db_->list().empty());
}

TEST_F(UserDbTest, SetPasswordReplacesHashAndScram) {
  db_->add("alice", "old-password");
  auto before = db_->find("alice");
  db_->set_password("ALICE", "new-password");
  EXPECT_FALSE(db_->check("alice", "old-password"));
  EXPECT_TRUE(db_->check("alice", "new-password"));
  auto after = db_->find("alice");
  ASSERT_TRUE(before && after && before->scram && after->scram);
  EXPECT_NE(before->scram->stored_key, after->scram->stored_key);
  EXPECT_THROW(db_->set_password("nobody", "x"), std::runtime_error);
  EXPECT_THROW(db_->set_password("bad name", "x"), std::runtime_error);
  EXPECT_THROW(db_->set_password("alice", ""), std::invalid_argument);
  EXPECT_FALSE(db_->exists("nobody"));
}

TEST_F(UserDbTest, RemoveDeletesTheUser) {
  db_->add("alice", "pw");
  db_->add("bob", "pw");
  db_->remove("Alice");
  EXPECT_FALSE(db_->exists("alice"));
  EXPECT_FALSE(db_->check("alice", "pw"));
  EXPECT_EQ(db_->list(), (std::vector<std::string>{"bob"}));
  EXPECT_THROW(db_->remove("alice"), std::runtime_error);
  EXPECT_THROW(db_->remove("bad name"), std::runtime_error);
  db_->add("alice", "again");  // the name is free again
  EXPECT_TRUE(db_->check("alice", "again"));
}

TEST_F(UserDbTest, ApopSecretIsStoredClearedAndDroppedOnPasswordChange) {
  db_->add("alice", "pw");
  db_->set_apop_secret("alice", "tanstaaf");
  EXPECT_EQ(db_->find("alice")->apop_secret, "tanstaaf");
  db_->set_apop_secret("alice", std::nullopt);
  EXPECT_FALSE(db_->find("alice")->apop_secret);
  db_->set_apop_secret("alice", "tanstaaf");
  db_->set_password("alice", "pw2");
  EXPECT_FALSE(db_->find("alice")->apop_secret);  // the old secret must not outlive the password
  EXPECT_THROW(db_->set_apop_secret("nobody", "x"), std::runtime_error);
}

TEST_F(UserDbTest, PersistsInAPrivateWalDatabase) {
  db_->add("alice", "pw");
  db_.reset();
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  db_ = UserDb::open(file());
  EXPECT_TRUE(db_->check("alice", "pw"));

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file().c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  // The documented columns exist.
  ASSERT_EQ(sqlite3_prepare_v2(raw,
                               "SELECT name, password_hash, scram_salt, scram_iterations, scram_stored_key, "
                               "scram_server_key, apop_secret, created FROM users",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "alice");
  EXPECT_GT(sqlite3_column_int64(stmt, 7), 1600000000);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST_F(UserDbTest, TwoHandlesSeeEachOthersChanges) {
  auto other = UserDb::open(file());  // e.g. the CLI while the server runs
  other->add("alice", "pw");
  EXPECT_TRUE(db_->check("alice", "pw"));
  db_->remove("alice");
  EXPECT_FALSE(other->exists("alice"));
}

// Several `loft user add` at once on a fresh data directory (processes, as
// the CLI is): each opens the new file and switches it to WAL, which needs
// a moment of exclusive access that SQLite's busy handler does not cover.
TEST(UserDbOpen, ManyProcessesOpenAFreshDatabaseAtOnce) {
  testing::TempDir dir;
  constexpr int kRounds = 12, kOpeners = 8;
  for (int round = 0; round < kRounds; ++round) {
    const std::filesystem::path file = dir.path() / ("users" + std::to_string(round) + ".db");
    const int failed = loft::testing::run_forked_together(
        kOpeners, [&](int t) { UserDb::open(file)->add("user" + std::to_string(t), "pw"); });
    ASSERT_EQ(failed, 0) << "round " << round;
    EXPECT_EQ(UserDb::open(file)->list().size(), static_cast<size_t>(kOpeners));
  }
}

TEST(UserDbOpen, ThrowsForAnUnusablePath) {
  EXPECT_THROW(UserDb::open("/nonexistent-dir-for-loft/users.db"), std::runtime_error);
}

TEST_F(UserDbTest, IsSafeToUseFromSeveralThreads) {
  db_->add("alice", "pw");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!db_->exists("alice") || !db_->find("alice")) ++wrong;
        db_->list();
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 4; ++i) db_->add("user" + std::to_string(i), "pw");
    if (!db_->check("alice", "pw")) ++wrong;
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(db_->list().size(), 5u);
}

// Loose on purpose (3x): it must not be flaky, only catch an unknown user that
// skips the argon2 work altogether (that would be ~1000x faster).
TEST_F(UserDbTest, CheckOfUnknownUserTakesAboutAsLongAsAKnownOne) {
  db_->add("alice", "pw");
  // Interleaved, so that a busy spell of the machine (other tests run
  // beside this one) slows all three alike rather than one of them.
  const std::string_view users[] = {"alice", "nobody", "not a valid name"};
  std::vector<double> times[3];
  for (int i = 0; i < 7; ++i) {
    for (int u = 0; u < 3; ++u) {
      auto start = std::chrono::steady_clock::now();
      EXPECT_FALSE(db_->check(users[u], "wrong"));
      times[u].push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  }
  auto median = [](std::vector<double>& t) {
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  };
  double known = median(times[0]);
  double unknown = median(times[1]);
  double invalid = median(times[2]);
  EXPECT_GT(unknown, known / 3) << known << " ms vs " << unknown << " ms";
  EXPECT_LT(unknown, known * 3) << known << " ms vs " << unknown << " ms";
  EXPECT_GT(invalid, known / 3) << known << " ms vs " << invalid << " ms";
}

}  // namespace
}  // namespace loft::auth

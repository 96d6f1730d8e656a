// sqlite::StatementCache: a statement is prepared once and handed out again,
// a failed prepare keeps nothing, and clear() finalises every statement (a
// connection with a statement left unfinalised refuses to close).
#include "sqlite/statement_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace loft::sqlite {
namespace {

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  void TearDown() override { sqlite3_close_v2(db_); }
  sqlite3* db_ = nullptr;
};

TEST_F(StatementCacheTest, PreparesOnceAndHandsTheSameStatementOut) {
  StatementCache<std::string> cache;
  const std::string sql = "SELECT 1 + ?";
  EXPECT_EQ(cache.find(sql), nullptr);
  int rc = -1;
  sqlite3_stmt* s = cache.prepare(db_, sql, sql, &rc);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(rc, SQLITE_OK);
  EXPECT_EQ(cache.find(sql), s);
  EXPECT_EQ(cache.find(std::string("SELECT 1 + ?")), s);  // by text, not by address
  EXPECT_EQ(cache.size(), 1u);
  sqlite3_bind_int(s, 1, 41);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 42);
  sqlite3_reset(s);
}

TEST_F(StatementCacheTest, KeyedByAddressTellsEqualTextsApart) {
  StatementCache<const char*> cache;
  static const char a[] = "SELECT 1", b[] = "SELECT 1";
  int rc = -1;
  sqlite3_stmt* sa = cache.prepare(db_, a, a, &rc);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(cache.find(a), sa);
  EXPECT_EQ(cache.find(b), nullptr);
}

TEST_F(StatementCacheTest, AFailedPrepareKeepsNothing) {
  StatementCache<std::string> cache;
  int rc = SQLITE_OK;
  EXPECT_EQ(cache.prepare(db_, "bad", "SELECT FROM nowhere", &rc), nullptr);
  EXPECT_EQ(rc, SQLITE_ERROR);
  EXPECT_EQ(cache.find("bad"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(StatementCacheTest, ClearFinalisesEveryStatement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  {
    StatementCache<std::string> cache;
    int rc = -1;
    for (const char* sql : {"SELECT 1", "SELECT 2", "SELECT 3"}) ASSERT_NE(cache.prepare(db, sql, sql, &rc), nullptr);
    EXPECT_EQ(sqlite3_close(db), SQLITE_BUSY);  // statements still live
    cache.clear();
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.find("SELECT 1"), nullptr);
  }
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

TEST_F(StatementCacheTest, TheDestructorFinalisesToo) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  {
    StatementCache<std::string> cache;
    int rc = -1;
    ASSERT_NE(cache.prepare(db, "one", "SELECT 1", &rc), nullptr);
  }
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

}  // namespace
}  // namespace loft::sqlite

#include "util/byte_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace loft::util {
namespace {

TEST(ByteBudgetTest, LeasesShareTheLimitAndGiveBackOnRelease) {
  ByteBudget budget(100);
  ByteBudget::Lease a(&budget), b(&budget);
  EXPECT_TRUE(a.grow_to(60));
  EXPECT_FALSE(b.grow_to(41));  // 60 + 41 > 100
  EXPECT_EQ(b.held(), 0u);
  EXPECT_TRUE(b.grow_to(40));
  EXPECT_EQ(budget.in_use(), 100u);
  EXPECT_FALSE(a.grow_to(61));
  EXPECT_EQ(a.held(), 60u);  // a failed growth keeps what was held
  a.release();
  EXPECT_EQ(budget.in_use(), 40u);
  EXPECT_TRUE(b.grow_to(100));
  EXPECT_TRUE(b.grow_to(10));  // never shrinks
  EXPECT_EQ(b.held(), 100u);
}

TEST(ByteBudgetTest, DestructionAndMoveKeepTheCountExact) {
  ByteBudget budget(1000);
  {
    ByteBudget::Lease a(&budget);
    ASSERT_TRUE(a.grow_to(300));
    ByteBudget::Lease b(std::move(a));
    EXPECT_EQ(a.held(), 0u);
    EXPECT_EQ(budget.in_use(), 300u);
    ByteBudget::Lease c(&budget);
    ASSERT_TRUE(c.grow_to(200));
    c = std::move(b);  // c's own 200 go back
    EXPECT_EQ(budget.in_use(), 300u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(ByteBudgetTest, ARequestLargerThanTheLimitIsRefusedWithoutOverflow) {
  ByteBudget budget(100);
  ByteBudget::Lease a(&budget);
  EXPECT_FALSE(a.grow_to(UINT64_MAX));
  EXPECT_FALSE(a.grow_to(101));
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(ByteBudgetTest, ALeaseWithoutABudgetIsUnlimited) {
  ByteBudget::Lease a;
  EXPECT_TRUE(a.grow_to(UINT64_MAX));
  a.release();
  EXPECT_EQ(a.held(), 0u);
}

TEST(ByteBudgetTest, ThreadsNeverTakeMoreThanTheLimitTogether) {
  ByteBudget budget(1000);
  std::atomic<uint64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        ByteBudget::Lease l(&budget);
        if (l.grow_to(150)) {
          uint64_t now = granted.fetch_add(150) + 150;
          EXPECT_LE(now, 1000u);
          granted.fetch_sub(150);
        }
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace loft::util

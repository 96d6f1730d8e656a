#include <gtest/gtest.h>

#include <thread>

#include "auth/auth.h"

namespace loft::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ThrottleTest : public ::testing::Test {
 protected:
  Throttle::Clock::time_point t0_ = Throttle::Clock::now();
  Throttle throttle_;  // defaults: 3 free failures, 250 ms doubling, 15 s cap, 900 s memory
};

TEST_F(ThrottleTest, FirstFailuresAreFreeThenTheDelayDoublesUpToTheCap) {
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_), milliseconds(0));
  std::vector<milliseconds> delays;
  for (int i = 0; i < 12; ++i) {
    throttle_.failure("192.0.2.1", "alice", t0_);
    delays.push_back(throttle_.delay("192.0.2.1", "alice", t0_));
  }
  std::vector<milliseconds> expected = {milliseconds(0),     milliseconds(0),     milliseconds(0),
                                        milliseconds(250),   milliseconds(500),   milliseconds(1000),
                                        milliseconds(2000),  milliseconds(4000),  milliseconds(8000),
                                        milliseconds(15000), milliseconds(15000), milliseconds(15000)};
  EXPECT_EQ(delays, expected);
}

TEST_F(ThrottleTest, DelayAppliesPerAddressAndPerUserName) {
  for (int i = 0; i < 5; ++i) throttle_.failure("192.0.2.1", "alice", t0_);
  EXPECT_EQ(throttle_.delay("192.0.2.1", "bob", t0_), milliseconds(500));       // same address
  EXPECT_EQ(throttle_.delay("198.51.100.7", "alice", t0_), milliseconds(500));  // same user elsewhere
  EXPECT_EQ(throttle_.delay("198.51.100.7", "ALICE", t0_), milliseconds(500));  // names fold case
  EXPECT_EQ(throttle_.delay("198.51.100.7", "bob", t0_), milliseconds(0));
  EXPECT_EQ(throttle_.delay("", "", t0_), milliseconds(0));
  // The larger of the two counts wins.
  for (int i = 0; i < 2; ++i) throttle_.failure("198.51.100.7", "alice", t0_);
  EXPECT_EQ(throttle_.delay("198.51.100.7", "bob", t0_), milliseconds(0));
  EXPECT_EQ(throttle_.delay("198.51.100.7", "alice", t0_), milliseconds(2000));
}

TEST_F(ThrottleTest, SuccessResetsAddressAndUser) {
  for (int i = 0; i < 6; ++i) throttle_.failure("192.0.2.1", "alice", t0_);
  ASSERT_GT(throttle_.delay("192.0.2.1", "alice", t0_), milliseconds(0));
  throttle_.success("192.0.2.1", "Alice");
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_), milliseconds(0));
  // And counting starts again from zero.
  for (int i = 0; i < 3; ++i) throttle_.failure("192.0.2.1", "alice", t0_);
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_), milliseconds(0));
  throttle_.failure("192.0.2.1", "alice", t0_);
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_), milliseconds(250));
}

TEST_F(ThrottleTest, FailuresAreForgottenAfterAWhile) {
  for (int i = 0; i < 6; ++i) throttle_.failure("192.0.2.1", "alice", t0_);
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_ + seconds(899)), milliseconds(1000));
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_ + seconds(901)), milliseconds(0));
  // A failure after the quiet period starts a new count.
  throttle_.failure("192.0.2.1", "alice", t0_ + seconds(901));
  EXPECT_EQ(throttle_.delay("192.0.2.1", "alice", t0_ + seconds(901)), milliseconds(0));
}

TEST(ThrottleOptions, AreHonoured) {
  Throttle t(Throttle::Options{.free_failures = 0,
                               .base_delay = milliseconds(100),
                               .max_delay = milliseconds(300),
                               .forget_after = seconds(10)});
  auto now = Throttle::Clock::now();
  t.failure("ip", "u", now);
  EXPECT_EQ(t.delay("ip", "u", now), milliseconds(100));
  t.failure("ip", "u", now);
  EXPECT_EQ(t.delay("ip", "u", now), milliseconds(200));
  t.failure("ip", "u", now);
  EXPECT_EQ(t.delay("ip", "u", now), milliseconds(300));
  EXPECT_EQ(t.delay("ip", "u", now + seconds(11)), milliseconds(0));
}

TEST(ThrottleMemory, ManyDistinctAddressesStayBoundedAndRecentOnesCount) {
  Throttle t;
  auto now = Throttle::Clock::now();
  for (int i = 0; i < 250'000; ++i) {
    t.failure("10.0." + std::to_string(i), "user" + std::to_string(i), now + milliseconds(i));
  }
  // The most recent offender is still remembered after pruning.
  auto last = now + milliseconds(250'000);
  for (int i = 0; i < 4; ++i) t.failure("attacker", "victim", last);
  EXPECT_EQ(t.delay("attacker", "victim", last), milliseconds(250));
}

TEST(ThrottleThreads, ConcurrentUseIsSafe) {
  Throttle t;
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      for (int i = 0; i < 2000; ++i) {
        t.failure("ip" + std::to_string(k), "shared");
        t.delay("ip" + std::to_string(k), "shared");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.delay("ip0", "other"), milliseconds(15000));
  EXPECT_EQ(t.delay("nowhere", "shared"), milliseconds(15000));
}

}  // namespace
}  // namespace loft::auth

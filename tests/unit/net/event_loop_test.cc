// EventLoop::post from other threads: every posted function runs, promptly,
// whether the loop was asleep in epoll_wait or busy with a batch.
#include "net/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace loft::net {
namespace {

using namespace std::chrono_literals;

class RunningLoop {
 public:
  RunningLoop() : thread_([this] { loop_.run(); }) {}
  ~RunningLoop() {
    loop_.stop();
    thread_.join();
  }
  EventLoop& loop() { return loop_; }

 private:
  EventLoop loop_;
  std::thread thread_;
};

// One post at a time, each waited for and then some: the loop is asleep in
// epoll_wait (no timers: it would wait a second) when each arrives, so each
// must wake it. A post that failed to wake it would cost a second; 100 of
// them take a few hundred milliseconds.
TEST(EventLoopPost, EachPostToASleepingLoopWakesIt) {
  RunningLoop r;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= 100; ++i) {
    std::this_thread::sleep_for(2ms);  // the loop goes back to sleep
    r.loop().post([&] {
      std::lock_guard lock(mu);
      ++done;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return done == i; })) << "post " << i << " never ran";
    ASSERT_LT(std::chrono::steady_clock::now() - start, 5s) << "after post " << i;
  }
}

// Many threads posting at once, while the loop drains: nothing is lost or
// run twice, and the last post is run without waiting for a timeout.
TEST(EventLoopPost, ConcurrentPostsAllRunOnce) {
  RunningLoop r;
  constexpr int kThreads = 4, kEach = 20000;
  std::atomic<int> ran{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        r.loop().post([&] { ran.fetch_add(1, std::memory_order_relaxed); });
        if (i % 1000 == 0) std::this_thread::sleep_for(1ms);  // let the loop fall asleep now and then
      }
    });
  }
  for (std::thread& t : posters) t.join();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ran.load() < kThreads * kEach && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(ran.load(), kThreads * kEach);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ran.load(), kThreads * kEach);
}

// A function the loop runs may post again (a connection closing itself):
// that post is run too, without another thread's help.
TEST(EventLoopPost, APostFromTheLoopItselfRuns) {
  RunningLoop r;
  std::atomic<int> depth{0};
  std::function<void()> again = [&] {
    if (depth.fetch_add(1) < 100) r.loop().post(again);
  };
  r.loop().post(again);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (depth.load() <= 100 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(depth.load(), 101);
}

}  // namespace
}  // namespace loft::net

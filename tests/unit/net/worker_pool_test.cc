// WorkerPool's two priorities: kFirst jobs (reads a client waits on) run
// before queued kNormal ones, unless a kNormal job has waited max_bypass.
#include "net/worker_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

namespace loft::net {
namespace {

using namespace std::chrono_literals;
using Priority = WorkerPool::Priority;

// Holds the pool's only worker until released, so that what is submitted
// meanwhile queues up, then records the order the queued jobs ran in.
class Recorder {
 public:
  void block(WorkerPool& pool) {
    pool.submit([this] {
      std::unique_lock lock(mu_);
      started_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return started_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::function<void()> job(std::string name) {
    return [this, name] {
      std::lock_guard lock(mu_);
      order_.push_back(name);
      cv_.notify_all();
    };
  }
  std::vector<std::string> wait_for(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return order_.size() >= n; });
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false, released_ = false;
  std::vector<std::string> order_;
};

TEST(WorkerPool, FirstJobsRunBeforeQueuedNormalOnes) {
  WorkerPool pool(1, 10s);
  Recorder r;
  r.block(pool);
  pool.submit(r.job("write1"));
  pool.submit(r.job("read1"), Priority::kFirst);
  pool.submit(r.job("write2"));
  pool.submit(r.job("read2"), Priority::kFirst);
  EXPECT_EQ(pool.busy(), 5u);  // four queued, one running
  r.release();
  EXPECT_EQ(r.wait_for(4), (std::vector<std::string>{"read1", "read2", "write1", "write2"}));
}

TEST(WorkerPool, ANormalJobThatWaitedMaxBypassGoesNext) {
  WorkerPool pool(1, 20ms);
  Recorder r;
  r.block(pool);
  pool.submit(r.job("write1"));
  std::this_thread::sleep_for(60ms);  // write1 has waited past max_bypass
  pool.submit(r.job("read1"), Priority::kFirst);
  pool.submit(r.job("read2"), Priority::kFirst);
  pool.submit(r.job("write2"));  // has not: the reads go first
  r.release();
  EXPECT_EQ(r.wait_for(4), (std::vector<std::string>{"write1", "read1", "read2", "write2"}));
}

TEST(WorkerPool, DestructionRunsEveryQueuedJobOfBothKinds) {
  Recorder r;
  {
    WorkerPool pool(1);
    r.block(pool);
    pool.submit(r.job("write"));
    pool.submit(r.job("read"), Priority::kFirst);
    r.release();
  }
  EXPECT_EQ(r.wait_for(2).size(), 2u);
}

// The pool's threads carry its name (top -H, perf and gdb show it), cut to
// the 15 characters Linux keeps.
TEST(WorkerPool, ThreadsCarryThePoolsName) {
  auto name_seen_in = [](WorkerPool& pool) {
    std::string seen;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    pool.submit([&] {
      char buf[64] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      std::lock_guard lock(mu);
      seen = buf;
      done = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    return seen;
  };
  WorkerPool named(1, WorkerPool::kDefaultMaxBypass, "loft-test");
  EXPECT_EQ(name_seen_in(named), "loft-test");
  WorkerPool long_name(1, WorkerPool::kDefaultMaxBypass, "loft-a-very-long-name");
  EXPECT_EQ(name_seen_in(long_name), "loft-a-very-lon");
  WorkerPool unnamed(1);
  EXPECT_EQ(name_seen_in(unnamed), "loft-worker");
}

}  // namespace
}  // namespace loft::net

// A fixed pool of threads for work that may block on disk or burn CPU
// (store calls, password hashing), so the event loop never waits on either.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace loft::net {

class WorkerPool {
 public:
  // kFirst: short reads a client is waiting on (IMAP FETCH, SEARCH, STATUS,
  // LIST, the sync step). They run before queued kNormal jobs (writes: each
  // waits for the user's write lock and the disk), except that a kNormal job
  // that has waited `max_bypass` goes next whatever else is queued, so that
  // a stream of reads cannot hold writes up for longer than that.
  enum class Priority { kNormal, kFirst };
  static constexpr std::chrono::milliseconds kDefaultMaxBypass{50};

  // `name` names the threads (15 characters at most are kept).
  explicit WorkerPool(size_t threads, std::chrono::milliseconds max_bypass = kDefaultMaxBypass,
                      const char* name = "loft-worker");
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> job, Priority priority = Priority::kNormal);
  // Jobs queued or running.
  size_t busy() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Queued {
    std::function<void()> job;
    Clock::time_point since;
  };
  void run();
  std::function<void()> next_job();  // under mu_, with a job queued
  const std::chrono::milliseconds max_bypass_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> first_;
  std::deque<Queued> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace loft::net

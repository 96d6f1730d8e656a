#include "net/worker_pool.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "util/thread_name.h"

namespace loft::net {

WorkerPool::WorkerPool(size_t threads, std::chrono::milliseconds max_bypass, const char* name)
    : max_bypass_(max_bypass) {
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this, name] {
      util::name_this_thread(name);
      run();
    });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::submit(std::function<void()> job, Priority priority) {
  {
    std::lock_guard lock(mu_);
    if (priority == Priority::kFirst) {
      first_.push_back(std::move(job));
    } else {
      queue_.push_back(Queued{std::move(job), Clock::now()});
    }
  }
  cv_.notify_one();
}

size_t WorkerPool::busy() const {
  std::lock_guard lock(mu_);
  return first_.size() + queue_.size() + running_;
}

std::function<void()> WorkerPool::next_job() {
  const bool normal = !queue_.empty() && (first_.empty() || Clock::now() - queue_.front().since >= max_bypass_);
  std::function<void()> job;
  if (normal) {
    job = std::move(queue_.front().job);
    queue_.pop_front();
  } else {
    job = std::move(first_.front());
    first_.pop_front();
  }
  return job;
}

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || !first_.empty(); });
    if (queue_.empty() && first_.empty()) return;  // stopping and nothing left
    std::function<void()> job = next_job();
    ++running_;
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("worker job failed: {}", e.what());
    } catch (...) {
      spdlog::error("worker job failed with an unknown exception");
    }
    lock.lock();
    --running_;
  }
}

}  // namespace loft::net

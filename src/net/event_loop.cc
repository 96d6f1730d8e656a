#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

namespace loft::net {

EventLoop::EventLoop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + strerror(errno));
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakefd_ < 0) throw std::runtime_error(std::string("eventfd: ") + strerror(errno));
  add(wakefd_, EPOLLIN, [this](uint32_t) {
    uint64_t n;
    while (read(wakefd_, &n, sizeof n) > 0) {
    }
  });
}

EventLoop::~EventLoop() {
  if (wakefd_ >= 0) close(wakefd_);
  if (epfd_ >= 0) close(epfd_);
}

void EventLoop::add(int fd, uint32_t events, IoHandler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::runtime_error(std::string("epoll_ctl add: ") + strerror(errno));
  handlers_[fd] = std::make_shared<IoHandler>(std::move(handler));
}

void EventLoop::modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::remove(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

EventLoop::TimerId EventLoop::add_timer(Clock::duration delay, std::function<void()> fn) {
  TimerId id = next_timer_++;
  auto when = Clock::now() + delay;
  timers_.emplace(when, std::make_pair(id, std::move(fn)));
  timer_index_[id] = when;
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  auto range = timers_.equal_range(it->second);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second.first == id) {
      timers_.erase(t);
      break;
    }
  }
  timer_index_.erase(it);
}

void EventLoop::post(std::function<void()> fn) {
  bool first;
  {
    std::lock_guard lock(post_mu_);
    posted_.push_back(std::move(fn));
    first = posted_.size() == 1;
  }
  // Only the post that finds the queue empty wakes the loop: the others
  // join a batch the loop is already due to drain (it checks the queue
  // before it waits). At 200 clients every worker's answer was a write
  // here and a wake-up of epoll there.
  if (!first) return;
  uint64_t one = 1;
  [[maybe_unused]] auto r = write(wakefd_, &one, sizeof one);
}

void EventLoop::stop() {
  {
    std::lock_guard lock(post_mu_);
    stop_requested_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto r = write(wakefd_, &one, sizeof one);
}

bool EventLoop::in_loop_thread() const { return std::this_thread::get_id() == loop_thread_; }

void EventLoop::drain_posts() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(post_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

void EventLoop::run_deferred() {
  // What a deferred function defers in turn runs in the same pass.
  while (!deferred_.empty()) {
    std::vector<std::function<void()>> batch;
    batch.swap(deferred_);
    for (auto& fn : batch) fn();
  }
}

void EventLoop::fire_timers() {
  auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.mapped().first);
    node.mapped().second();
  }
}

int EventLoop::next_timeout_ms() const {
  if (timers_.empty()) return 1000;
  auto delta = timers_.begin()->first - Clock::now();
  if (delta <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delta).count() + 1;
  return ms > 1000 ? 1000 : static_cast<int>(ms);
}

void EventLoop::run() {
  loop_thread_ = std::this_thread::get_id();
  running_ = true;
  epoll_event events[256];
  while (true) {
    {
      std::lock_guard lock(post_mu_);
      if (stop_requested_) {
        stop_requested_ = false;
        break;
      }
    }
    bool have_posts;
    {
      std::lock_guard lock(post_mu_);
      have_posts = !posted_.empty();
    }
    int n = epoll_wait(epfd_, events, 256, have_posts ? 0 : next_timeout_ms());
    if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + strerror(errno));
    for (int i = 0; i < n; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      // Hold a reference: the handler may remove itself (closing its fd).
      std::shared_ptr<IoHandler> handler = it->second;
      (*handler)(events[i].events);
    }
    drain_posts();
    fire_timers();
    run_deferred();
  }
  running_ = false;
}

}  // namespace loft::net

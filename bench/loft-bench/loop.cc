#include "loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace loft::bench {

Loop& Loop::Get() {
  static Loop loop;
  return loop;
}

Loop::Loop() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epfd_ < 0) {
    std::perror("epoll_create1");
    std::exit(2);
  }
}

void Loop::Watch(int fd, WaitSlot* slot) {
  if (fd >= static_cast<int>(by_fd_.size())) by_fd_.resize(fd + 1024, nullptr);
  by_fd_[fd] = slot;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
}

void Loop::Unwatch(int fd) {
  if (fd >= 0 && fd < static_cast<int>(by_fd_.size())) by_fd_[fd] = nullptr;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

Task<void> SleepUntil(TimePoint t) {
  auto slot = std::make_shared<WaitSlot>();
  SlotWait w{slot.get(), t};
  co_await w;
}

void Loop::Arm(WaitSlot* slot) {
  if (slot->deadline == kForever) return;
  // One pending heap entry per slot: a later deadline reuses an earlier entry
  // (which re-arms when it fires early), so the heap does not fill with stale
  // entries when every read carries a deadline.
  if (slot->timer_armed && slot->armed_at <= slot->deadline) return;
  slot->timer_armed = true;
  slot->armed_at = slot->deadline;
  timers_.push(Timer{slot->deadline, slot->weak_from_this()});
}

void Loop::Interrupt(WaitSlot* slot) {
  if (slot && slot->waiter) {
    slot->interrupted = true;
    auto h = slot->waiter;
    slot->waiter = nullptr;
    ready_.push_back(h);
  }
}

void Loop::FireTimers() {
  auto now = Clock::now();
  while (!timers_.empty() && timers_.top().at <= now) {
    Timer t = timers_.top();
    timers_.pop();
    auto slot = t.slot.lock();
    if (!slot || !slot->timer_armed || slot->armed_at != t.at) continue;  // superseded
    slot->timer_armed = false;
    if (!slot->waiter) continue;
    if (slot->deadline <= now) {
      slot->timed_out = true;
      auto h = slot->waiter;
      slot->waiter = nullptr;
      ready_.push_back(h);
    } else {
      Arm(slot.get());
    }
  }
}

void Loop::RunUntil(const std::function<bool()>& done) {
  epoll_event events[512];
  while (true) {
    while (!ready_.empty()) {
      auto h = ready_.front();
      ready_.pop_front();
      h.resume();
    }
    if (done()) return;
    int timeout_ms = -1;
    if (!timers_.empty()) {
      auto d = timers_.top().at - Clock::now();
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
      timeout_ms = ms < 0 ? 0 : (ms > 1000 ? 1000 : static_cast<int>(ms));
    } else {
      timeout_ms = 1000;
    }
    int n = epoll_wait(epfd_, events, 512, timeout_ms);
    if (n < 0 && errno != EINTR) {
      std::perror("epoll_wait");
      std::exit(2);
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd >= static_cast<int>(by_fd_.size())) continue;
      WaitSlot* slot = by_fd_[fd];
      if (slot && slot->waiter) {
        auto h = slot->waiter;
        slot->waiter = nullptr;
        h.resume();
      }
    }
    FireTimers();
  }
}

void ConnectGate::Leave() {
  if (queue_.empty()) {
    --in_flight_;
    return;
  }
  auto h = queue_.front();
  queue_.pop_front();
  Loop::Get().Schedule(h);  // the place passes to it
}

TimePoint ConnectGate::NextSlot() {
  auto now = Clock::now();
  if (next_ < now) next_ = now;
  TimePoint slot = next_;
  next_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_));
  return slot;
}

}  // namespace loft::bench

// The single-threaded epoll event loop: edge-triggered readiness for
// sockets, a timer heap for deadlines and sleeps, and a ready queue for
// coroutines woken by other coroutines (Event).
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "task.h"

namespace loft::bench {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
constexpr TimePoint kForever = TimePoint::max();

inline double SecondsBetween(TimePoint a, TimePoint b) { return std::chrono::duration<double>(b - a).count(); }
inline TimePoint After(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// One waiting coroutine: a socket's reader/writer or a sleeper. The loop
// resumes `waiter` on readiness, at `deadline` (timed_out) or on interrupt.
struct WaitSlot : std::enable_shared_from_this<WaitSlot> {
  std::coroutine_handle<> waiter;
  TimePoint deadline = kForever;
  bool timed_out = false;
  bool interrupted = false;
  bool timer_armed = false;
  TimePoint armed_at{};
};

class Loop {
 public:
  static Loop& Get();

  void Watch(int fd, WaitSlot* slot);  // edge-triggered in+out
  void Unwatch(int fd);
  void Arm(WaitSlot* slot);  // a timer at slot->deadline (if finite); slot must be held by a shared_ptr
  void Schedule(std::coroutine_handle<> h) { ready_.push_back(h); }
  void Interrupt(WaitSlot* slot);

  // Runs until `done()` is true (checked after every batch of events).
  void RunUntil(const std::function<bool()>& done);

 private:
  Loop();
  struct Timer {
    TimePoint at;
    std::weak_ptr<WaitSlot> slot;
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  void FireTimers();
  int epfd_;
  std::vector<WaitSlot*> by_fd_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::deque<std::coroutine_handle<>> ready_;
};

// co_await SlotWait{slot, deadline}: suspends until the slot is resumed.
// Trivially destructible on purpose: g++ 12 may destroy temporaries of a
// co_await expression twice.
struct SlotWait {
  WaitSlot* slot;
  TimePoint deadline;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    slot->waiter = h;
    slot->timed_out = false;
    slot->interrupted = false;
    slot->deadline = deadline;
    Loop::Get().Arm(slot);
  }
  void await_resume() noexcept {}
};

// co_await SleepUntil(t)
Task<void> SleepUntil(TimePoint t);

// A one-shot broadcast: coroutines co_await Wait() until Set().
class Event {
 public:
  struct Awaiter {
    Event* e;
    bool await_ready() const noexcept { return e->set_; }
    void await_suspend(std::coroutine_handle<> h) { e->waiters_.push_back(h); }
    void await_resume() noexcept {}
  };
  Awaiter Wait() { return Awaiter{this}; }
  void Set() {
    set_ = true;
    for (auto h : waiters_) Loop::Get().Schedule(h);
    waiters_.clear();
  }
  bool is_set() const { return set_; }

 private:
  bool set_ = false;
  std::vector<std::coroutine_handle<>> waiters_;
};

// Limits how many connections are being set up at once and how fast new
// ones start (SYN backlog and the server's accept queue stay small).
class ConnectGate {
 public:
  ConnectGate(int max_in_flight, double per_second) : max_(max_in_flight), interval_(per_second > 0 ? 1.0 / per_second : 0) {}
  struct Awaiter {
    ConnectGate* g;
    bool await_ready() noexcept {
      if (g->in_flight_ < g->max_ && g->queue_.empty()) {
        ++g->in_flight_;
        return true;
      }
      return false;
    }
    // A queued coroutine is woken by Leave(), which hands its place over.
    void await_suspend(std::coroutine_handle<> h) { g->queue_.push_back(h); }
    void await_resume() noexcept {}
  };
  Awaiter Enter() { return Awaiter{this}; }
  void Leave();
  // Pacing: the time at which the next connection may start.
  TimePoint NextSlot();

 private:
  int max_;
  double interval_;
  int in_flight_ = 0;
  std::deque<std::coroutine_handle<>> queue_;
  TimePoint next_{};
};

}  // namespace loft::bench

// A single-threaded epoll event loop with timers and a thread-safe post().
//
// Everything that touches a connection runs on the loop thread. Other
// threads (workers, store change feeds) reach it only through post().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace loft::net {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  // Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLERR, ...).
  using IoHandler = std::function<void(uint32_t events)>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd for `events` (level-triggered). The handler stays registered
  // until remove(); modify() changes the interest set.
  void add(int fd, uint32_t events, IoHandler handler);
  void modify(int fd, uint32_t events);
  void remove(int fd);

  // One-shot timers. Cancelling an already fired timer is harmless.
  using TimerId = uint64_t;
  TimerId add_timer(Clock::duration delay, std::function<void()> fn);
  void cancel_timer(TimerId id);

  // Thread-safe: runs fn on the loop thread soon.
  void post(std::function<void()> fn);

  // Loop thread only: runs fn once this round of events, posts and timers
  // is handled, before the loop waits again. Connections flush their output
  // here, so that what one round wrote to a socket (untagged updates and
  // the tagged reply, answers to pipelined commands) goes out in one send.
  void defer(std::function<void()> fn);

  // Runs until stop(). stop() is thread-safe.
  void run();
  void stop();
  bool in_loop_thread() const;

 private:
  void drain_posts();
  void fire_timers();
  void run_deferred();
  int next_timeout_ms() const;

  int epfd_ = -1;
  int wakefd_ = -1;  // eventfd for post() and stop()
  bool running_ = false;
  std::unordered_map<int, std::shared_ptr<IoHandler>> handlers_;
  std::multimap<Clock::time_point, std::pair<TimerId, std::function<void()>>> timers_;
  std::unordered_map<TimerId, Clock::time_point> timer_index_;
  TimerId next_timer_ = 1;
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::function<void()>> deferred_;  // loop thread only
  bool stop_requested_ = false;
  std::thread::id loop_thread_{};
};

}  // namespace loft::net

// A fake net::SessionHost for protocol session tests: it plays the event
// loop on the test thread (offloaded work runs on a real thread, then its
// done callback on the test thread; change-feed posts from other threads are
// queued like loop tasks; timers of a minute or more wait for the test),
// records the output and simulates the client reading it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/session.h"

namespace loft::testing {

class FakeHost : public net::SessionHost {
 public:
  static constexpr size_t kLowWater = 64 * 1024;

  // Who the client is, as the listener would tell the session.
  struct Peer {
    std::string address = "127.0.0.1";
    bool loopback = true;
    bool tls_available = false;
    bool tls = false;
  };
  // Makes `session` (from a protocol's make_session) this host's session,
  // for a client `peer`, opens it and runs the loop (the greeting).
  template <typename MakeSession>
  std::unique_ptr<net::Session> open(const Peer& p, MakeSession make_session) {
    peer = p.address;
    loopback = p.loopback;
    tls_avail = p.tls_available;
    tls_on = p.tls;
    std::unique_ptr<net::Session> s = make_session(*this);
    session = s.get();
    session->on_open();
    run();
    return s;
  }

  net::Session* session = nullptr;
  std::string out;  // everything written (tests take it with take())
  size_t pending = 0;
  size_t max_pending = 0;
  bool auto_drain = true;  // the client reads everything between loop turns
  bool tls_avail = false;
  bool tls_on = false;
  std::string peer = "127.0.0.1";
  bool loopback = true;
  bool paused = false;
  bool close_requested = false;
  bool closed = false;
  int drained_calls = 0;
  int handshakes = 0;
  std::string in;
  std::chrono::milliseconds idle{0};
  std::vector<std::chrono::milliseconds> delays;  // of after()
  std::vector<std::function<void()>> long_timers;  // after() of a minute or more, not yet fired
  // Fires the long timers pending now (those they schedule wait for the next call).
  void fire_long_timers() {
    std::vector<std::function<void()>> due;
    due.swap(long_timers);
    for (auto& fn : due)
      if (!closed) fn();
    deliver();
  }
  size_t offloads = 0;
  size_t auth_offloads = 0;  // those of offloads that were offload_auth()
  // Every offload's lane in order: 's' offload(), 'r' offload_read(),
  // 'a' offload_auth().
  std::string lanes;

  void write(std::string_view data) override {
    out.append(data);
    pending += data.size();
    if (pending > max_pending) max_pending = pending;
    if (pending >= kLowWater) above_low_water_ = true;
  }
  size_t output_pending() const override { return pending; }
  bool tls_available() const override { return tls_avail; }
  void start_tls(std::function<void()> done) override {
    in.clear();  // input received before the handshake is discarded
    tasks_.push_back([this, done] {
      tls_on = true;
      ++handshakes;
      if (!closed) done();
    });
  }
  bool is_tls() const override { return tls_on; }
  const std::string& peer_address() const override { return peer; }
  bool is_loopback() const override { return loopback; }
  void pause_input(bool p) override {
    paused = p;
    if (!p) tasks_.push_back([this] { deliver(); });
  }
  void close() override { close_requested = true; }
  void set_idle_timeout(std::chrono::milliseconds timeout) override { idle = timeout; }
  void offload(std::function<void()> work, std::function<void()> done) override {
    run_offload('s', std::move(work), std::move(done));
  }
  void offload_read(std::function<void()> work, std::function<void()> done) override {
    run_offload('r', std::move(work), std::move(done));
  }
  void offload_auth(std::function<void()> work, std::function<void()> done) override {
    ++auth_offloads;
    run_offload('a', std::move(work), std::move(done));
  }
  void run_offload(char lane, std::function<void()> work, std::function<void()> done) {
    ++offloads;
    lanes += lane;
    tasks_.push_back([this, work, done] {
      std::thread t(work);
      t.join();
      if (!closed) done();
    });
  }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    delays.push_back(delay);
    if (delay >= std::chrono::minutes(1)) {
      // Keepalives and the like: run only when a test fires them.
      long_timers.push_back(std::move(fn));
      return;
    }
    tasks_.push_back([this, fn] {
      if (!closed) fn();
    });
  }
  std::function<void(std::function<void()>)> poster() override {
    return [this](std::function<void()> fn) {
      std::lock_guard lock(posted_mu_);
      posted_.push_back(std::move(fn));
    };
  }

  // The client sends bytes; the loop runs until nothing is left to do.
  void feed(std::string_view data) {
    in.append(data);
    deliver();
    run();
  }
  void deliver() {
    if (!paused && !closed && !close_requested && !in.empty() && session) session->on_input(in);
  }
  // Runs queued callbacks until none are left. With auto_drain the client
  // reads all output between callbacks.
  void run() {
    for (;;) {
      if (auto_drain) drain();
      if (close_requested && !closed && pending_flushed()) {
        closed = true;
        session->on_close();
      }
      {
        std::lock_guard lock(posted_mu_);
        for (auto& fn : posted_) tasks_.push_back([this, fn] {
          if (!closed) fn();
        });
        posted_.clear();
      }
      if (tasks_.empty()) break;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
    }
  }
  // The client reads everything queued.
  void drain() {
    pending = 0;
    if (above_low_water_) {
      above_low_water_ = false;
      ++drained_calls;
      if (!closed && !close_requested) session->on_output_drained();
    }
  }
  // The connection drops (the peer went away).
  void drop() {
    if (closed) return;
    closed = true;
    session->on_close();
    run();
  }
  std::string take() {
    std::string r;
    r.swap(out);
    return r;
  }
  bool idle_tasks() const { return tasks_.empty(); }

 private:
  bool pending_flushed() const { return auto_drain || pending == 0; }
  bool above_low_water_ = false;
  std::deque<std::function<void()>> tasks_;
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace loft::testing

// A SessionHost for driving an LMTP session without sockets: records output,
// runs offloaded work on real threads and emulates the event loop (done
// callbacks on the test thread, input re-delivered after pause_input(false),
// done dropped after close), as net::Connection does.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/session.h"

namespace loft::lmtp::testing {

class FakeHost : public net::SessionHost {
 public:
  ~FakeHost() override {
    for (auto& t : threads_) t.join();
  }

  void attach(net::Session* session) { session_ = session; }

  // ---- SessionHost ----
  // Output goes into `out` (what the client will have read). With a
  // socket_capacity set, writes beyond what the socket takes queue up as
  // pending, as in net::Connection, until client_reads().
  void write(std::string_view data) override {
    out.append(data);
    if (!socket_capacity) return;
    size_t take = std::min(socket_free_, data.size());
    socket_free_ -= take;
    unsent_ += data.size() - take;
    if (unsent_ >= kLowWater) above_low_water_ = true;
  }
  size_t output_pending() const override { return output_pending_value + unsent_; }
  bool tls_available() const override { return false; }
  void start_tls(std::function<void()>) override { ADD_FAILURE() << "LMTP never starts TLS"; }
  bool is_tls() const override { return false; }
  const std::string& peer_address() const override { return peer; }
  bool is_loopback() const override { return true; }
  void pause_input(bool p) override {
    paused = p;
    if (p) ++pauses;
  }
  void close() override { closed = true; }
  void set_idle_timeout(std::chrono::milliseconds t) override { idle_timeout = t; }
  void offload(std::function<void()> work, std::function<void()> done) override {
    ++offloads;
    {
      std::lock_guard<std::mutex> lk(mu_);
      ++in_flight_;
    }
    threads_.emplace_back([this, work = std::move(work), done = std::move(done)]() mutable {
      try {
        work();
      } catch (...) {
        ADD_FAILURE() << "offloaded work threw";
      }
      std::lock_guard<std::mutex> lk(mu_);
      completions_.push_back(std::move(done));
      --in_flight_;
      cv_.notify_all();
    });
  }
  void after(std::chrono::milliseconds, std::function<void()> fn) override {
    timers.push_back(std::move(fn));
  }
  std::function<void(std::function<void()>)> poster() override {
    return [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> lk(mu_);
      completions_.push_back(std::move(fn));
      cv_.notify_all();
    };
  }

  // ---- Event loop emulation ----
  void feed(std::string_view data) {
    in.append(data);
    pump();
  }

  // Delivers input and completions until nothing more can happen without
  // new input. Waits for every offloaded job.
  void pump() {
    for (;;) {
      bool progressed = false;
      if (!closed && !paused && !in.empty()) {
        size_t before = in.size();
        session_->on_input(in);
        progressed = in.size() != before;
      }
      if (!run_completions) {
        if (progressed) continue;
        return;
      }
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lk(mu_);
        if (in_flight_ == 0 && completions_.empty()) {
          if (progressed) continue;
          return;
        }
        cv_.wait(lk, [&] { return !completions_.empty(); });
        fn = std::move(completions_.front());
        completions_.pop_front();
      }
      if (!closed) fn();  // the real host drops `done` once the connection is gone
    }
  }

  // The client empties the socket: queued output moves in, and the session
  // hears of it once the queue fell below the low-water mark.
  void client_reads() {
    socket_free_ = *socket_capacity;
    size_t take = std::min(socket_free_, unsent_);
    socket_free_ -= take;
    unsent_ -= take;
    if (above_low_water_ && unsent_ < kLowWater) {
      above_low_water_ = false;
      session_->on_output_drained();
    }
  }
  void set_socket_capacity(size_t bytes) {
    socket_capacity = bytes;
    socket_free_ = bytes;
  }

  std::string take_output() {
    std::string s;
    s.swap(out);
    return s;
  }

  std::string out;
  std::string in;  // the host's input buffer
  std::string peer = "127.0.0.1";
  bool paused = false;
  bool closed = false;
  int pauses = 0;
  int offloads = 0;
  size_t output_pending_value = 0;
  std::optional<size_t> socket_capacity;
  bool run_completions = true;  // false: leave offloaded jobs' `done` queued
  std::chrono::milliseconds idle_timeout{-1};
  std::vector<std::function<void()>> timers;

 private:
  static constexpr size_t kLowWater = 64 * 1024;  // as net::Connection
  size_t socket_free_ = 0;
  size_t unsent_ = 0;
  bool above_low_water_ = false;
  net::Session* session_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  std::deque<std::function<void()>> completions_;
  std::vector<std::thread> threads_;
};

}  // namespace loft::lmtp::testing

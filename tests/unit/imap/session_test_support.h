// Test harness for IMAP sessions: a fake SessionHost that plays the event
// loop (offloaded work runs on a real thread, then its done callback on the
// test thread; change-feed posts are queued like loop tasks), and a fixture
// with a real Maildir store and user database in a temp directory.
// (FakeHost is the POP3 tests' one.)
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth.h"
#include "imap/imap.h"
#include "net/session.h"
#include "store/store.h"

namespace loft::imap::testing {

class FakeHost : public net::SessionHost {
 public:
  static constexpr size_t kLowWater = 64 * 1024;

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
    ++offloads;
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


// One client connection: host and session.
struct Client {
  FakeHost host;
  std::unique_ptr<net::Session> session;

  // Sends a command line and returns all output it produced. Loop work that
  // is already queued (change-feed posts) runs first, as it would on a real
  // loop before the client's bytes arrive.
  std::string cmd(std::string_view line) {
    host.run();
    host.take();
    host.feed(std::string(line) + "\r\n");
    return host.take();
  }
  std::string send_raw(std::string_view data) {
    host.run();
    host.take();
    host.feed(data);
    return host.take();
  }
  // Runs pending loop work (change-feed posts) and returns the output.
  std::string poll() {
    host.run();
    return host.take();
  }
  bool closed() const { return host.closed; }
};

class ImapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/loft-imap-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::MaildirOptions so;
    so.root = dir_ / "mail";
    so.fsync = false;
    store_ = store::open_maildir_store(so);
    users_ = auth::UserDb::open(dir_ / "users.db");
    users_->add("alice", "alice-pass");
    users_->add("bob", "bob-pass");
    auth::Throttle::Options to;
    to.free_failures = 3;
    to.base_delay = std::chrono::milliseconds(250);
    throttle_ = std::make_unique<auth::Throttle>(to);
    ctx_ = std::make_unique<Context>(Context{*store_, *users_, *throttle_, Options{}});
  }

  void TearDown() override {
    ctx_.reset();
    store_.reset();
    users_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  struct Peer {
    std::string address = "127.0.0.1";
    bool loopback = true;
    bool tls_available = false;
    bool tls = false;
  };

  std::unique_ptr<Client> connect() { return connect(Peer()); }
  std::unique_ptr<Client> connect(Peer p) {
    auto c = std::make_unique<Client>();
    c->host.peer = p.address;
    c->host.loopback = p.loopback;
    c->host.tls_avail = p.tls_available;
    c->host.tls_on = p.tls;
    c->session = make_session(*ctx_, c->host);
    c->host.session = c->session.get();
    c->session->on_open();
    c->host.run();
    return c;
  }

  // Connects and logs in; asserts success.
  std::unique_ptr<Client> login(const std::string& user = "alice", const std::string& pass = "alice-pass") {
    auto c = connect();
    c->host.take();
    std::string r = c->cmd("l LOGIN " + user + " " + pass);
    EXPECT_EQ(r.substr(0, 19), "l OK [CAPABILITY IM") << r;
    return c;
  }

  std::unique_ptr<Client> select(const std::string& mailbox = "INBOX", const std::string& user = "alice") {
    auto c = login(user, user + "-pass");
    std::string r = c->cmd("s SELECT " + mailbox);
    EXPECT_NE(r.find("s OK [READ-WRITE] Select completed."), std::string::npos) << r;
    return c;
  }

  uint32_t deliver(const std::string& text = "Subject: hi\r\n\r\nbody\r\n", const std::string& user = "alice",
                   uint32_t flags = 0, const std::string& mailbox = "INBOX") {
    store::NewMessage m;
    m.pieces.push_back(text);
    m.flags = flags;
    return store_->user(user)->append(mailbox, m);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::UserDb> users_;
  std::unique_ptr<auth::Throttle> throttle_;
  std::unique_ptr<Context> ctx_;
};

}  // namespace loft::imap::testing

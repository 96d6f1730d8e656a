// Test harness for IMAP sessions: a fake SessionHost that plays the event
// loop (offloaded work runs on a real thread, then its done callback on the
// test thread; change-feed posts are queued like loop tasks), and a fixture
// with a real Maildir store and user database in a temp directory.
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
#include "../support/fake_host.h"

namespace loft::imap::testing {

using FakeHost = loft::testing::FakeHost;

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

  using Peer = FakeHost::Peer;

  std::unique_ptr<Client> connect() { return connect(Peer()); }
  std::unique_ptr<Client> connect(Peer p) {
    auto c = std::make_unique<Client>();
    c->session = c->host.open(p, [this](FakeHost& h) { return make_session(*ctx_, h); });
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

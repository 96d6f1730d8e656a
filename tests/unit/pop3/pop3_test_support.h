// Test harness for POP3 sessions: a fake SessionHost that plays the event
// loop (offloaded work runs on a real thread, then its done callback on the
// test thread), records output and simulates the client's reading, and a
// fixture with a real Maildir store and user database in a temp directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth.h"
#include "net/session.h"
#include "pop3/pop3.h"
#include "store/store.h"
#include "../support/fake_host.h"

namespace loft::pop3::testing {

using FakeHost = loft::testing::FakeHost;

// A store that forwards to a real one but fails on request, for the error
// paths (the flags are read on worker threads).
struct Faults {
  std::atomic<bool> user{false}, list{false}, store_flags{false}, expunge{false}, open{false};
  std::atomic<bool> open_many{false};  // open_messages() only (the read-ahead's batch)
  std::atomic<size_t> opened{0};       // messages asked for by open_message(s)
};

class FaultyUserStore : public store::UserStore {
 public:
  FaultyUserStore(std::shared_ptr<store::UserStore> real, Faults& f) : real_(std::move(real)), f_(f) {}
  const std::string& user() const override { return real_->user(); }
  std::vector<store::MailboxInfo> list_mailboxes() override { return real_->list_mailboxes(); }
  bool mailbox_exists(std::string_view n) override { return real_->mailbox_exists(n); }
  void create_mailbox(std::string_view n, std::string_view su) override { real_->create_mailbox(n, su); }
  void delete_mailbox(std::string_view n) override { real_->delete_mailbox(n); }
  void rename_mailbox(std::string_view a, std::string_view b) override { real_->rename_mailbox(a, b); }
  void set_subscribed(std::string_view n, bool s) override { real_->set_subscribed(n, s); }
  store::MailboxStatus status(std::string_view m) override { return real_->status(m); }
  std::vector<store::MessageInfo> list_messages(std::string_view m) override {
    if (f_.list) throw store::StoreError(store::ErrorCode::kTemporary, "injected list failure");
    return real_->list_messages(m);
  }
  store::MessageFile open_message(std::string_view m, uint32_t uid) override {
    if (f_.open) throw store::StoreError(store::ErrorCode::kTemporary, "injected open failure");
    ++f_.opened;
    return real_->open_message(m, uid);
  }
  std::vector<std::optional<store::MessageFile>> open_messages(std::string_view m,
                                                               std::span<const uint32_t> uids) override {
    if (f_.open || f_.open_many) throw store::StoreError(store::ErrorCode::kTemporary, "injected open failure");
    f_.opened += uids.size();
    return real_->open_messages(m, uids);
  }
  uint32_t append(std::string_view m, const store::NewMessage& msg) override { return real_->append(m, msg); }
  std::vector<store::MessageInfo> store_flags(std::string_view m, std::span<const uint32_t> uids, int mode,
                                              uint32_t flags, std::span<const std::string> kw) override {
    if (f_.store_flags) throw store::StoreError(store::ErrorCode::kTemporary, "injected flag failure");
    return real_->store_flags(m, uids, mode, flags, kw);
  }
  std::vector<uint32_t> expunge(std::string_view m, std::span<const uint32_t> uids) override {
    if (f_.expunge) throw store::StoreError(store::ErrorCode::kTemporary, "injected expunge failure");
    return real_->expunge(m, uids);
  }
  std::vector<uint32_t> copy(std::string_view a, std::span<const uint32_t> uids,
                             std::string_view b) override {
    return real_->copy(a, uids, b);
  }
  store::MailboxChanges changes_since(std::string_view m, uint64_t modseq) override {
    return real_->changes_since(m, modseq);
  }
  size_t scan_new(std::string_view m) override { return real_->scan_new(m); }
  std::unique_ptr<store::Subscription> subscribe(std::function<void(const std::string&)> cb) override {
    return real_->subscribe(std::move(cb));
  }

 private:
  std::shared_ptr<store::UserStore> real_;
  Faults& f_;
};

class FaultyStore : public store::Store {
 public:
  FaultyStore(store::Store& real, Faults& f) : real_(real), f_(f) {}
  std::shared_ptr<store::UserStore> user(const std::string& name) override {
    if (f_.user) throw std::runtime_error("injected user failure");
    return std::make_shared<FaultyUserStore>(real_.user(name), f_);
  }
  void remove_user(const std::string& name) override { real_.remove_user(name); }
  void notify_external(const std::string& u, const std::string& m) override { real_.notify_external(u, m); }

 private:
  store::Store& real_;
  Faults& f_;
};

// One client connection: host and session.
struct Client {
  FakeHost host;
  std::unique_ptr<net::Session> session;

  // Sends a command line and returns all output it produced.
  std::string cmd(std::string_view line) {
    host.take();
    host.feed(std::string(line) + "\r\n");
    return host.take();
  }
  std::string send_raw(std::string_view data) {
    host.take();
    host.feed(data);
    return host.take();
  }
  bool closed() const { return host.closed; }
};

class Pop3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/loft-pop3-test-XXXXXX";
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
    faulty_store_ = std::make_unique<FaultyStore>(*store_, faults_);
    ctx_ = std::make_unique<Context>(Context{*faulty_store_, *users_, *throttle_, locks_, Options{}});
  }

  void TearDown() override {
    ctx_.reset();
    faulty_store_.reset();
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

  // Connects and logs in with USER/PASS; asserts success.
  std::unique_ptr<Client> login(const std::string& user = "alice", const std::string& pass = "alice-pass") {
    auto c = connect();
    EXPECT_EQ(c->cmd("USER " + user), "+OK\r\n");
    EXPECT_EQ(c->cmd("PASS " + pass), "+OK Logged in.\r\n");
    return c;
  }

  uint32_t deliver(const std::string& text, const std::string& user = "alice", uint32_t flags = 0) {
    store::NewMessage m;
    m.pieces.push_back(text);
    m.flags = flags;
    return store_->user(user)->append("INBOX", m);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  Faults faults_;
  std::unique_ptr<FaultyStore> faulty_store_;  // what the sessions use
  std::unique_ptr<auth::UserDb> users_;
  std::unique_ptr<auth::Throttle> throttle_;
  MaildropLocks locks_;
  std::unique_ptr<Context> ctx_;
};

}  // namespace loft::pop3::testing

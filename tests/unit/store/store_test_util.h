// Helpers shared by the store tests: a temporary data directory, a store
// on it, and ways to build and read back messages.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace loft::store::testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "loft-store-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Reference CRLF normalisation, written independently of the store's.
inline std::string to_crlf(std::string_view in) {
  std::string out;
  char prev = 0;
  for (char c : in) {
    if (c == '\n' && prev != '\r') out += '\r';
    out += c;
    prev = c;
  }
  return out;
}

inline NewMessage message_of(std::string_view text, uint32_t flags = 0,
                             std::vector<std::string> keywords = {}) {
  NewMessage m;
  m.pieces = {text};
  m.flags = flags;
  m.keywords = std::move(keywords);
  return m;
}

inline std::string read_all(const MessageFile& f) { return f.read(0, static_cast<size_t>(f.size())); }

inline std::string read_message(UserStore& u, std::string_view mailbox, uint32_t uid) {
  return read_all(u.open_message(mailbox, uid));
}

inline std::vector<uint32_t> uids_of(const std::vector<MessageInfo>& list) {
  std::vector<uint32_t> out;
  for (const auto& m : list) out.push_back(m.uid);
  return out;
}

// Every regular file below dir, relative paths.
inline std::vector<std::string> files_below(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(fs::relative(it->path(), dir).string());
  }
  return out;
}

// A UserStore that forwards only the pure virtuals to a real one, so that
// the base class's default implementations (what other backends inherit)
// run on top of it.
class ForwardingUserStore : public UserStore {
 public:
  explicit ForwardingUserStore(std::shared_ptr<UserStore> u) : u_(std::move(u)) {}
  const std::string& user() const override { return u_->user(); }
  std::vector<MailboxInfo> list_mailboxes() override { return u_->list_mailboxes(); }
  bool mailbox_exists(std::string_view n) override { return u_->mailbox_exists(n); }
  void create_mailbox(std::string_view n, std::string_view s) override { u_->create_mailbox(n, s); }
  void delete_mailbox(std::string_view n) override { u_->delete_mailbox(n); }
  void rename_mailbox(std::string_view f, std::string_view t) override { u_->rename_mailbox(f, t); }
  void set_subscribed(std::string_view n, bool s) override { u_->set_subscribed(n, s); }
  MailboxStatus status(std::string_view m) override { return u_->status(m); }
  std::vector<MessageInfo> list_messages(std::string_view m) override { return u_->list_messages(m); }
  MessageFile open_message(std::string_view m, uint32_t uid) override { return u_->open_message(m, uid); }
  uint32_t append(std::string_view m, const NewMessage& msg) override { return u_->append(m, msg); }
  std::vector<MessageInfo> store_flags(std::string_view m, std::span<const uint32_t> uids, int mode, uint32_t f,
                                       std::span<const std::string> k) override {
    return u_->store_flags(m, uids, mode, f, k);
  }
  std::vector<uint32_t> expunge(std::string_view m, std::span<const uint32_t> uids) override {
    return u_->expunge(m, uids);
  }
  std::vector<uint32_t> copy(std::string_view f, std::span<const uint32_t> uids, std::string_view t) override {
    return u_->copy(f, uids, t);
  }
  MailboxChanges changes_since(std::string_view m, uint64_t s) override { return u_->changes_since(m, s); }
  size_t scan_new(std::string_view m) override { return u_->scan_new(m); }
  std::unique_ptr<Subscription> subscribe(std::function<void(const std::string&)> cb) override {
    return u_->subscribe(std::move(cb));
  }

 protected:
  std::shared_ptr<UserStore> u_;
};

// A store on a fresh temporary data directory (fsync off: fast, and these
// tests measure nothing that needs durability against power loss).
class StoreTest : public ::testing::Test {
 protected:
  MaildirOptions options(bool fsync = false) const {
    MaildirOptions o;
    o.root = dir_.path() / "mail";
    o.fsync = fsync;
    return o;
  }
  void SetUp() override {
    store_ = open_maildir_store(options());
    user_ = store_->user("alice");
  }
  void reopen() {
    user_.reset();
    store_ = open_maildir_store(options());
    user_ = store_->user("alice");
  }
  fs::path user_dir() const { return dir_.path() / "mail" / "alice"; }
  fs::path maildir() const { return user_dir() / "Maildir"; }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<UserStore> user_;
};

#define EXPECT_STORE_ERROR(stmt, expected_code)                                           \
  do {                                                                                    \
    try {                                                                                 \
      stmt;                                                                               \
      ADD_FAILURE() << "expected StoreError from " #stmt;                                 \
    } catch (const ::loft::store::StoreError& e) {                                        \
      EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(expected_code)) << e.what(); \
    }                                                                                     \
  } while (0)

}  // namespace loft::store::testing

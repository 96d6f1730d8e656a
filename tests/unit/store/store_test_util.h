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

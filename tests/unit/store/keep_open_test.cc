// MaildirOptions::keep_open: the store keeps recently used users' stores open
// after their last holder lets go (so a server delivering to many users does
// not reopen an index per message), at most keep_open of them, each for at
// most keep_open_seconds, and never one whose directory was replaced.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

class KeepOpenTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open(size_t keep_open, int seconds = 300) {
    MaildirOptions o;
    o.root = dir_.path() / "mail";
    o.fsync = false;
    o.keep_open = keep_open;
    o.keep_open_seconds = seconds;
    return open_maildir_store(o);
  }
  // The user's store, opened and let go at once: what stays is up to the cache.
  std::weak_ptr<UserStore> touch(Store& store, const std::string& user) { return store.user(user); }

  TempDir dir_;
};

TEST_F(KeepOpenTest, WithoutKeepOpenTheStoreClosesWithItsLastHolder) {
  auto store = open(0);
  std::weak_ptr<UserStore> alice = touch(*store, "alice");
  EXPECT_TRUE(alice.expired());
}

TEST_F(KeepOpenTest, ALetGoStoreIsKeptAndHandedOutAgain) {
  auto store = open(4);
  std::weak_ptr<UserStore> alice = touch(*store, "alice");
  ASSERT_FALSE(alice.expired());
  auto again = store->user("alice");
  EXPECT_EQ(again.get(), alice.lock().get());
}

TEST_F(KeepOpenTest, OnlyTheMostRecentlyUsedAreKept) {
  auto store = open(2);
  std::weak_ptr<UserStore> a = touch(*store, "a");
  std::weak_ptr<UserStore> b = touch(*store, "b");
  (void)store->user("a");  // a is now more recent than b
  std::weak_ptr<UserStore> c = touch(*store, "c");
  EXPECT_FALSE(a.expired());
  EXPECT_TRUE(b.expired());
  EXPECT_FALSE(c.expired());
}

TEST_F(KeepOpenTest, AStoreStillHeldElsewhereStaysOpenWhenDroppedFromTheCache) {
  auto store = open(1);
  std::shared_ptr<UserStore> held = store->user("a");
  std::weak_ptr<UserStore> b = touch(*store, "b");  // pushes a out of the cache
  EXPECT_FALSE(b.expired());
  EXPECT_EQ(store->user("a").get(), held.get());  // still the one object per user
}

TEST_F(KeepOpenTest, KeptStoresExpire) {
  auto store = open(4, /*seconds=*/0);
  std::weak_ptr<UserStore> a = touch(*store, "a");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::weak_ptr<UserStore> b = touch(*store, "b");  // any use releases the expired ones
  EXPECT_TRUE(a.expired());
}

TEST_F(KeepOpenTest, RemoveUserDropsTheKeptStore) {
  auto store = open(4);
  store->user("alice")->append("INBOX", message_of("Subject: one\r\n\r\nbody\r\n"));
  std::weak_ptr<UserStore> old = touch(*store, "alice");
  store->remove_user("alice");
  EXPECT_TRUE(old.expired());
  EXPECT_EQ(store->user("alice")->status("INBOX").messages, 0u);
}

// `loft user del` and `loft user add` run in another process: the server's
// cached store must not keep serving the removed directory's files.
TEST_F(KeepOpenTest, ADirectoryReplacedBehindTheStoreIsOpenedAfresh) {
  auto store = open(4);
  store->user("alice")->append("INBOX", message_of("Subject: one\r\n\r\nbody\r\n"));
  std::weak_ptr<UserStore> old = touch(*store, "alice");
  ASSERT_FALSE(old.expired());

  auto other_process = open(0);
  other_process->remove_user("alice");

  auto fresh = store->user("alice");
  EXPECT_NE(fresh.get(), old.lock().get());
  EXPECT_TRUE(old.expired());
  EXPECT_EQ(fresh->status("INBOX").messages, 0u);
}

}  // namespace
}  // namespace loft::store::testing

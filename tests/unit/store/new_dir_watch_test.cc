// Mail dropped into new/ by another program (tmp/ then rename, as procmail
// and Postfix do) is announced to subscribers at once (DirWatcher), not
// only at their next poll.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>

#include "store/dir_watcher.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using namespace std::chrono_literals;

// Names announced by a subscription, waited for.
class Announcements {
 public:
  void add(const std::string& mailbox) {
    std::lock_guard lock(mu_);
    seen_.insert(mailbox);
    cv_.notify_all();
  }
  bool wait_for(const std::string& mailbox, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return seen_.count(mailbox) > 0; });
  }
  void clear() {
    std::lock_guard lock(mu_);
    seen_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> seen_;
};

// As an external delivery agent does: written in tmp/, renamed into new/.
void drop(const fs::path& maildir_folder, const std::string& name, const std::string& text) {
  const fs::path tmp = maildir_folder / "tmp" / name;
  std::ofstream(tmp) << text;
  fs::rename(tmp, maildir_folder / "new" / name);
}

TEST_F(StoreTest, MailDroppedIntoNewIsAnnouncedToSubscribersAtOnce) {
  Announcements heard;
  auto sub = user_->subscribe([&](const std::string& m) { heard.add(m); });

  drop(maildir(), "1700000000.drop1.host", "Subject: dropped\n\nhello\n");
  ASSERT_TRUE(heard.wait_for("INBOX")) << "no announcement for a file renamed into INBOX's new/";
  // The subscriber's next read takes it in.
  EXPECT_EQ(user_->status("INBOX").messages, 1u);

  // A mailbox made after subscribing is watched too, and renaming it keeps
  // the watch (and announces the new name).
  user_->create_mailbox("Lists", "");
  user_->rename_mailbox("Lists", "Lists2");
  heard.clear();
  drop(maildir() / ".Lists", "1700000001.drop2.host", "Subject: list mail\n\nhi\n");
  ASSERT_TRUE(heard.wait_for("Lists2"));
  EXPECT_EQ(user_->status("Lists2").messages, 1u);
}

TEST_F(StoreTest, NothingIsAnnouncedAfterTheSubscriptionAndStoreAreGone) {
  Announcements heard;
  {
    auto sub = user_->subscribe([&](const std::string& m) { heard.add(m); });
  }
  user_.reset();
  store_.reset();  // the store, its watches and its watcher thread
  drop(maildir(), "1700000002.drop3.host", "Subject: late\n\nx\n");
  EXPECT_FALSE(heard.wait_for("INBOX", 300ms));
}

TEST(DirWatcher, CallsEveryWatchOfADirectoryUntilItIsDestroyed) {
  TempDir dir;
  fs::create_directories(dir.path() / "new");
  fs::create_directories(dir.path() / "tmp");
  internal::DirWatcher watcher;
  std::mutex mu;
  std::condition_variable cv;
  int a = 0, b = 0;
  auto wa = watcher.watch(dir.path() / "new", [&] {
    std::lock_guard lock(mu);
    ++a;
    cv.notify_all();
  });
  auto wb = watcher.watch(dir.path() / "new", [&] {
    std::lock_guard lock(mu);
    ++b;
    cv.notify_all();
  });
  ASSERT_NE(wa, nullptr);
  ASSERT_NE(wb, nullptr);
  drop(dir.path(), "one", "x");
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return a > 0 && b > 0; }));
  }
  wa.reset();  // b stays
  const int a_before = a;
  drop(dir.path(), "two", "y");
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return b > 1; }));
    EXPECT_EQ(a, a_before);
  }
  // A directory that cannot be watched: no watch, and no harm.
  EXPECT_EQ(watcher.watch(dir.path() / "missing", [] {}), nullptr);
  // The watched directory going away ends its watch quietly.
  wb.reset();
  auto wc = watcher.watch(dir.path() / "new", [] {});
  fs::remove_all(dir.path() / "new");
  std::this_thread::sleep_for(50ms);
  wc.reset();
}

}  // namespace
}  // namespace loft::store::testing

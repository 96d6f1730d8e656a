// Mail dropped into new/ by another program (tmp/ then rename, as procmail
// and Postfix do) is announced to subscribers at once (DirWatcher), not
// only at their next poll.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
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
}

// How often a watch's callback ran, waited for.
class Calls {
 public:
  std::function<void()> callback() {
    return [this] {
      std::lock_guard lock(mu_);
      ++count_;
      cv_.notify_all();
    };
  }
  bool wait_for_at_least(int n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// A watched directory that is deleted ends its watches (inotify watches the
// directory itself, not its path): they are never called again, not even for
// a directory made anew at the same path, and destroying them afterwards is
// harmless. The watcher goes on serving its other directories.
TEST(DirWatcher, ADeletedDirectoryEndsItsWatchesAndOthersGoOn) {
  TempDir dir;
  const fs::path gone_dir = dir.path() / "gone", other_dir = dir.path() / "other";
  for (const fs::path& d : {gone_dir / "new", gone_dir / "tmp", other_dir / "new", other_dir / "tmp"}) {
    fs::create_directories(d);
  }
  internal::DirWatcher watcher;
  Calls gone, other;
  auto gone_watch = watcher.watch(gone_dir / "new", gone.callback());
  auto other_watch = watcher.watch(other_dir / "new", other.callback());
  ASSERT_NE(gone_watch, nullptr);
  ASSERT_NE(other_watch, nullptr);
  drop(gone_dir, "one", "x");
  ASSERT_TRUE(gone.wait_for_at_least(1));

  const int gone_calls = gone.count();
  fs::remove_all(gone_dir / "new");
  // The watcher reads its events in order: once this arrival is heard, the
  // deletion before it has been handled too.
  drop(other_dir, "two", "y");
  ASSERT_TRUE(other.wait_for_at_least(1)) << "the watcher stopped serving its other directory";

  // Made anew at the same path: a different directory, for a new watch only.
  fs::create_directories(gone_dir / "new");
  Calls renewed;
  auto renewed_watch = watcher.watch(gone_dir / "new", renewed.callback());
  ASSERT_NE(renewed_watch, nullptr);
  drop(gone_dir, "three", "z");
  ASSERT_TRUE(renewed.wait_for_at_least(1));
  EXPECT_EQ(gone.count(), gone_calls);

  // The ended watch's destruction leaves the others alone.
  gone_watch.reset();
  drop(gone_dir, "four", "w");
  drop(other_dir, "five", "v");
  EXPECT_TRUE(renewed.wait_for_at_least(2));
  EXPECT_TRUE(other.wait_for_at_least(2));
  EXPECT_EQ(gone.count(), gone_calls);
}

}  // namespace
}  // namespace loft::store::testing

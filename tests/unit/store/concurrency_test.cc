// Several threads and several Store objects (standing in for processes) on
// the same data, the change feed and the notify socket.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(StoreTest, TwoStoresAppendingConcurrentlyGetDistinctUidsAndSeeEachOther) {
  auto other_store = open_maildir_store(options());
  auto other = other_store->user("alice");
  ASSERT_NE(other.get(), user_.get());
  constexpr int kThreads = 4, kPerThread = 25;
  std::mutex mu;
  std::map<uint32_t, std::string> written;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      UserStore& u = (t % 2 == 0) ? *user_ : *other;
      for (int i = 0; i < kPerThread; ++i) {
        std::string body = "thread " + std::to_string(t) + " message " + std::to_string(i) + "\n";
        uint32_t uid = u.append("INBOX", message_of(body));
        std::lock_guard lock(mu);
        EXPECT_TRUE(written.emplace(uid, to_crlf(body)).second) << "UID " << uid << " handed out twice";
      }
    });
  }
  // Meanwhile, readers on both.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      auto l1 = user_->list_messages("INBOX");
      auto l2 = other->list_messages("INBOX");
      for (size_t i = 1; i < l1.size(); ++i) EXPECT_LT(l1[i - 1].uid, l1[i].uid);
      (void)l2;
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  reader.join();

  ASSERT_EQ(written.size(), static_cast<size_t>(kThreads * kPerThread));
  for (UserStore* u : {user_.get(), other.get()}) {
    auto list = u->list_messages("INBOX");
    ASSERT_EQ(list.size(), written.size());
    for (const auto& m : list) {
      ASSERT_TRUE(written.count(m.uid));
      EXPECT_EQ(read_message(*u, "INBOX", m.uid), written[m.uid]);
    }
  }
  EXPECT_EQ(user_->status("INBOX").uidnext, static_cast<uint32_t>(written.size() + 1));
}

TEST_F(StoreTest, ConcurrentFlagChangesFromTwoStoresAllCount) {
  auto other_store = open_maildir_store(options());
  auto other = other_store->user("alice");
  uint32_t uid = user_->append("INBOX", message_of("x"));
  std::vector<uint32_t> uids = {uid};
  std::thread a([&] {
    for (int i = 0; i < 30; ++i) {
      std::vector<std::string> kw = {"a" + std::to_string(i)};
      user_->store_flags("INBOX", uids, +1, 0, kw);
    }
  });
  std::thread b([&] {
    for (int i = 0; i < 30; ++i) {
      std::vector<std::string> kw = {"b" + std::to_string(i)};
      other->store_flags("INBOX", uids, +1, 0, kw);
    }
  });
  a.join();
  b.join();
  auto list = user_->list_messages("INBOX");
  EXPECT_EQ(list[0].keywords.size(), 60u);
  EXPECT_EQ(user_->status("INBOX").highest_modseq, list[0].modseq);
}

TEST_F(StoreTest, NewUserOpenedByTwoStoresAtOnceGetsOneSetOfDefaults) {
  auto s1 = open_maildir_store(options());
  auto s2 = open_maildir_store(options());
  std::shared_ptr<UserStore> u1, u2;
  std::thread t1([&] { u1 = s1->user("newbie"); });
  std::thread t2([&] { u2 = s2->user("newbie"); });
  t1.join();
  t2.join();
  EXPECT_EQ(u1->list_mailboxes().size(), 6u);
  EXPECT_EQ(u2->list_mailboxes().size(), 6u);
  EXPECT_EQ(u1->status("Sent").uidvalidity, u2->status("Sent").uidvalidity);
}

TEST_F(StoreTest, TwoStoresScanningTheSameNewDirTakeEachFileOnce) {
  auto other_store = open_maildir_store(options());
  auto other = other_store->user("alice");
  constexpr int kFiles = 40;
  for (int i = 0; i < kFiles; ++i) {
    char name[32];
    snprintf(name, sizeof name, "%04d.drop", i);
    FILE* f = fopen((maildir() / "new" / name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    fprintf(f, "Subject: %d\n\nbody\n", i);
    fclose(f);
  }
  size_t n1 = 0, n2 = 0;
  std::thread t1([&] { n1 = user_->scan_new("INBOX"); });
  std::thread t2([&] { n2 = other->scan_new("INBOX"); });
  t1.join();
  t2.join();
  EXPECT_EQ(n1 + n2, static_cast<size_t>(kFiles));
  auto list = user_->list_messages("INBOX");
  ASSERT_EQ(list.size(), static_cast<size_t>(kFiles));
  // In file-name order (a single scanner took them, under the lock).
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(read_message(*user_, "INBOX", list[i].uid),
              "Subject: " + std::to_string(i) + "\r\n\r\nbody\r\n");
  }
}

TEST_F(StoreTest, UserObjectIsCachedWhileHeld) {
  auto again = store_->user("alice");
  EXPECT_EQ(again.get(), user_.get());
  std::weak_ptr<UserStore> weak = user_;
  again.reset();
  user_.reset();
  EXPECT_TRUE(weak.expired());
  user_ = store_->user("alice");
  EXPECT_NE(user_, nullptr);
}

TEST_F(StoreTest, SubscribersHearEveryCommittedChange) {
  std::mutex mu;
  std::vector<std::string> seen;
  auto sub = user_->subscribe([&](const std::string& m) {
    std::lock_guard lock(mu);
    seen.push_back(m);
  });
  uint32_t uid = user_->append("INBOX", message_of("x"));
  std::vector<uint32_t> uids = {uid};
  std::vector<std::string> none;
  user_->store_flags("INBOX", uids, +1, kSeen, none);
  user_->store_flags("INBOX", uids, +1, kSeen, none);  // no change: no event
  user_->copy("INBOX", uids, "Archive");
  user_->expunge("INBOX", uids);
  user_->create_mailbox("New");
  user_->rename_mailbox("New", "Newer");
  user_->delete_mailbox("Newer");
  EXPECT_THAT(seen, ElementsAre("INBOX", "INBOX", "Archive", "INBOX", "New", "New", "Newer", "Newer"));
  // Changes by another Store (another process) arrive via notify_external.
  seen.clear();
  auto other_store = open_maildir_store(options());
  other_store->user("alice")->append("Sent", message_of("y"));
  EXPECT_THAT(seen, IsEmpty());
  store_->notify_external("alice", "Sent");
  store_->notify_external("nobody", "Sent");  // not open here: ignored
  EXPECT_THAT(seen, ElementsAre("Sent"));
  // Dropped subscriptions hear nothing; the callback may be destroyed.
  sub.reset();
  user_->append("INBOX", message_of("z"));
  EXPECT_THAT(seen, ElementsAre("Sent"));
}

TEST_F(StoreTest, CallbackMayCallBackIntoTheStoreAndDropItsSubscription) {
  std::unique_ptr<Subscription> sub;
  int calls = 0;
  uint32_t messages_seen = 0;
  sub = user_->subscribe([&](const std::string& m) {
    ++calls;
    messages_seen = user_->status(m).messages;
    sub.reset();
  });
  user_->append("INBOX", message_of("x"));
  user_->append("INBOX", message_of("y"));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(messages_seen, 1u);
}

TEST_F(StoreTest, SubscriptionMayOutliveTheUserStore) {
  auto sub = user_->subscribe([](const std::string&) {});
  user_.reset();
  store_.reset();
  sub.reset();  // must not crash
}

class Socket {
 public:
  explicit Socket(const fs::path& path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~Socket() { close(fd_); }
  std::optional<std::string> receive(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_;
};

TEST_F(StoreTest, NotifyDatagramIsSentAfterEachCommit) {
  const fs::path sock = dir_.path() / "notify.sock";
  Socket listener(sock);
  MaildirOptions o = options();
  o.notify_socket = sock;
  auto writer_store = open_maildir_store(o);  // as `loft deliver` would
  auto writer = writer_store->user("alice");
  writer->append("INBOX", message_of("hello"));
  EXPECT_EQ(listener.receive(), "alice\nINBOX");
  writer->create_mailbox("Lists/Été");
  EXPECT_EQ(listener.receive(), "alice\nLists/Été");
  EXPECT_EQ(listener.receive(50), std::nullopt);  // one per commit, no more
}

TEST_F(StoreTest, MissingNotifySocketIsIgnored) {
  MaildirOptions o = options();
  o.notify_socket = dir_.path() / "nobody-listens.sock";
  auto s = open_maildir_store(o);
  EXPECT_EQ(s->user("alice")->append("INBOX", message_of("x")), 1u);
  o.notify_socket = std::string(300, 'x');  // longer than sun_path
  auto s2 = open_maildir_store(o);
  EXPECT_EQ(s2->user("alice")->append("INBOX", message_of("y")), 2u);
}

}  // namespace
}  // namespace loft::store::testing

// Crash safety: a writer killed with SIGKILL at random moments never loses
// an acknowledged message, never shows a half-written one, never reuses a
// UID. Also: write failures (file size limit standing in for a full disk)
// leave nothing visible.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

// Deterministic content per (round, seq), of varying size, with bare LFs.
std::string crash_body(int round, int seq) {
  std::string s = "X-Round: " + std::to_string(round) + "\nX-Seq: " + std::to_string(seq) + "\n\n";
  int lines = 1 + (round * 131 + seq * 17) % 400;
  for (int i = 0; i < lines; ++i) s += "line " + std::to_string(i) + " of " + std::to_string(seq) + "\n";
  return s;
}

bool parse_ids(const std::string& content, int& round, int& seq) {
  return sscanf(content.c_str(), "X-Round: %d\r\nX-Seq: %d\r\n", &round, &seq) == 2;
}

// Child: appends forever (also some flag changes and expunges), reporting
// "<round> <seq> <uid>\n" on the pipe after each append returned.
[[noreturn]] void run_writer(const MaildirOptions& opts, int round, int fd) {
  auto store = open_maildir_store(opts);
  auto user = store->user("crash");
  for (int seq = 0;; ++seq) {
    uint32_t uid = user->append("INBOX", message_of(crash_body(round, seq)));
    std::string line = std::to_string(round) + " " + std::to_string(seq) + " " + std::to_string(uid) + "\n";
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(3);
    if (seq % 5 == 4) {
      std::vector<uint32_t> uids = {uid};
      std::vector<std::string> none;
      user->store_flags("INBOX", uids, +1, kSeen, none);
    }
  }
}

TEST(StoreCrash, KilledWriterLosesNothingAcknowledged) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = true;
  std::mt19937 rng(12345);
  struct Ack {
    int round, seq;
    uint32_t uid;
  };
  std::vector<Ack> acks;
  for (int round = 0; round < 20; ++round) {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(p[0]);
      try {
        run_writer(opts, round, p[1]);
      } catch (...) {
        _exit(2);
      }
    }
    close(p[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 180));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited on its own: " << WEXITSTATUS(status);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(p[0]);
    size_t pos = 0;
    while (true) {
      size_t nl = out.find('\n', pos);
      if (nl == std::string::npos) break;  // a torn last line is not an acknowledgement
      Ack a{};
      ASSERT_EQ(sscanf(out.c_str() + pos, "%d %d %u", &a.round, &a.seq, &a.uid), 3);
      acks.push_back(a);
      pos = nl + 1;
    }
  }
  ASSERT_GT(acks.size(), 20u) << "the writer hardly ran; the test proves nothing";
  RecordProperty("acknowledged", static_cast<int>(acks.size()));

  auto store = open_maildir_store(opts);
  auto user = store->user("crash");
  auto list = user->list_messages("INBOX");
  std::map<uint32_t, MessageInfo> by_uid;
  for (const auto& m : list) ASSERT_TRUE(by_uid.emplace(m.uid, m).second) << "duplicate UID " << m.uid;
  for (size_t i = 1; i < list.size(); ++i) ASSERT_LT(list[i - 1].uid, list[i].uid);

  // Acknowledged UIDs strictly increase across all the writers' lives.
  for (size_t i = 1; i < acks.size(); ++i) ASSERT_LT(acks[i - 1].uid, acks[i].uid);
  for (const Ack& a : acks) {
    auto it = by_uid.find(a.uid);
    ASSERT_NE(it, by_uid.end()) << "acknowledged UID " << a.uid << " lost";
    std::string want = to_crlf(crash_body(a.round, a.seq));
    EXPECT_EQ(it->second.size, want.size());
    EXPECT_EQ(read_message(*user, "INBOX", a.uid), want) << "UID " << a.uid;
  }
  // Every visible message is complete, acknowledged or not (a writer may
  // die after the commit but before reporting).
  for (const auto& m : list) {
    std::string content = read_message(*user, "INBOX", m.uid);
    int round, seq;
    ASSERT_TRUE(parse_ids(content, round, seq)) << "UID " << m.uid;
    EXPECT_EQ(content, to_crlf(crash_body(round, seq))) << "UID " << m.uid;
    EXPECT_EQ(m.size, content.size());
  }
  EXPECT_LE(list.size(), acks.size() + 20);
  // And the store keeps working after all that.
  uint32_t next = user->append("INBOX", message_of("after"));
  EXPECT_GT(next, list.empty() ? 0 : list.back().uid);
}

TEST_F(StoreTest, WriteFailureLeavesNothingVisible) {
  user_.reset();
  store_.reset();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // In the child only: files may not grow beyond 1 MiB, like a full disk.
    signal(SIGXFSZ, SIG_IGN);
    int rc = 0;
    try {
      auto store = open_maildir_store(options());
      auto user = store->user("alice");
      struct rlimit lim = {1 << 20, 1 << 20};
      setrlimit(RLIMIT_FSIZE, &lim);
      std::string big(3 << 20, 'x');
      try {
        user->append("INBOX", message_of(big));
        rc = 10;
      } catch (const StoreError& e) {
        if (e.code() != ErrorCode::kTemporary) rc = 11;
      }
      if (!user->list_messages("INBOX").empty()) rc = 12;
      if (user->append("INBOX", message_of("small")) != 1) rc = 13;
    } catch (...) {
      rc = 14;
    }
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  reopen();
  auto list = user_->list_messages("INBOX");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(read_message(*user_, "INBOX", 1), "small");
  EXPECT_EQ(files_below(maildir()).size(), 1u);  // no leftover in tmp/ or cur/
}

}  // namespace
}  // namespace loft::store::testing

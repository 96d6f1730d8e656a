// RENAME INBOX (RFC 3501 6.3.5, RFC 9051 6.3.6) in the store: one index
// transaction moves every message to the new mailbox under fresh UIDs; INBOX
// stays, empty; a crash at any moment keeps every message exactly once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "index_sql.h"
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(StoreTest, RenameInboxGivesTheMessagesNewUidsInTheNewMailbox) {
  user_->append("INBOX", message_of("Subject: gone\n\n0\n"));
  user_->expunge("INBOX", std::vector<uint32_t>{1});
  uint32_t a = user_->append("INBOX", message_of("Subject: a\n\nfirst\n", kSeen | kFlagged, {"Work"}));
  uint32_t b = user_->append("INBOX", message_of("Subject: b\n\nsecond\n"));
  ASSERT_EQ(a, 2u);
  const std::string tree_a = user_->parsed_message("INBOX", a);
  auto before = user_->status("INBOX");
  std::vector<std::string> heard;
  auto sub = user_->subscribe([&](const std::string& m) { heard.push_back(m); });

  user_->rename_mailbox("INBOX", "Old Inbox");

  EXPECT_THAT(heard, ElementsAre("INBOX", "Old Inbox"));
  auto moved = user_->list_messages("Old Inbox");
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].uid, 1u);
  EXPECT_EQ(moved[1].uid, 2u);
  EXPECT_EQ(moved[0].flags, kSeen | kFlagged);
  EXPECT_THAT(moved[0].keywords, ElementsAre("Work"));
  EXPECT_EQ(read_message(*user_, "Old Inbox", 1), "Subject: a\r\n\r\nfirst\r\n");
  EXPECT_EQ(read_message(*user_, "Old Inbox", 2), "Subject: b\r\n\r\nsecond\r\n");
  auto st = user_->status("Old Inbox");
  EXPECT_EQ(st.uidnext, 3u);
  EXPECT_NE(st.uidvalidity, before.uidvalidity);
  EXPECT_GE(st.highest_modseq, moved[1].modseq);
  // The cached tree went with the row.
  IndexSql sql(user_dir() / "index.sqlite");
  EXPECT_EQ(sql.tree("Old Inbox", 1), tree_a);

  auto inbox = user_->status("INBOX");
  EXPECT_EQ(inbox.messages, 0u);
  EXPECT_EQ(inbox.uidvalidity, before.uidvalidity);
  EXPECT_EQ(inbox.uidnext, before.uidnext);
  auto changes = user_->changes_since("INBOX", before.highest_modseq);
  EXPECT_THAT(changes.expunged, ElementsAre(a, b));
  EXPECT_THAT(changes.added_or_changed, IsEmpty());
  // Files: only in the new mailbox's cur/.
  EXPECT_THAT(files_below(maildir() / "cur"), IsEmpty());
  EXPECT_EQ(files_below(maildir() / ".Old%20Inbox" / "cur").size(), 2u)
      << ::testing::PrintToString(files_below(maildir()));
  // New mail for INBOX goes on from the old UIDNEXT.
  EXPECT_EQ(user_->append("INBOX", message_of("new")), before.uidnext);
  reopen();
  EXPECT_EQ(user_->list_messages("Old Inbox").size(), 2u);
  EXPECT_EQ(read_message(*user_, "Old Inbox", 2), "Subject: b\r\n\r\nsecond\r\n");
}

TEST_F(StoreTest, RenameInboxTakesInNewMailFirstAndKeepsChildren) {
  user_->create_mailbox("INBOX/kid");
  user_->append("INBOX/kid", message_of("kid"));
  user_->append("INBOX", message_of("indexed"));
  {
    std::ofstream f(maildir() / "new" / "1700000000.dropped.host");
    f << "Subject: dropped\n\nx\n";
  }
  user_->rename_mailbox("INBOX", "Moved");
  EXPECT_EQ(user_->list_messages("Moved").size(), 2u);
  EXPECT_THAT(user_->list_messages("INBOX"), IsEmpty());
  EXPECT_TRUE(user_->mailbox_exists("INBOX/kid"));
  EXPECT_FALSE(user_->mailbox_exists("Moved/kid"));
  EXPECT_EQ(read_message(*user_, "INBOX/kid", 1), "kid");
}

TEST_F(StoreTest, RenameInboxOfAnEmptyInboxAndErrors) {
  user_->rename_mailbox("inbox", "Empty");
  EXPECT_TRUE(user_->mailbox_exists("Empty"));
  EXPECT_THAT(user_->list_messages("Empty"), IsEmpty());
  EXPECT_EQ(user_->append("Empty", message_of("x")), 1u);
  EXPECT_STORE_ERROR(user_->rename_mailbox("INBOX", "Empty"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->rename_mailbox("INBOX", "Inbox"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->rename_mailbox("INBOX", "../x"), ErrorCode::kInvalidName);
  user_->append("INBOX", message_of("stays"));
  EXPECT_STORE_ERROR(user_->rename_mailbox("INBOX", "Sent"), ErrorCode::kAlreadyExists);
  EXPECT_EQ(user_->list_messages("INBOX").size(), 1u);  // nothing moved
  // RENAME INBOX to a name below INBOX is allowed (INBOX's children stay).
  user_->rename_mailbox("INBOX", "INBOX/old");
  EXPECT_EQ(read_message(*user_, "INBOX/old", 1), "stays");
}

// A process killed at random moments while renaming INBOX away and moving
// the messages back never loses one or leaves one visible twice.
TEST(StoreRenameInboxCrash, KilledRenamerKeepsEveryMessageExactlyOnce) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = true;
  constexpr int kMessages = 10;
  {
    auto store = open_maildir_store(opts);
    auto user = store->user("r");
    for (int i = 0; i < kMessages; ++i) user->append("INBOX", message_of("X-Id: " + std::to_string(i) + "\n\nx\n"));
  }
  std::mt19937 rng(4242);
  for (int round = 0; round < 8; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = open_maildir_store(opts);
      auto user = store->user("r");
      for (int n = 0;; ++n) {
        // Leftovers of a killed round first, then INBOX away and back.
        for (const MailboxInfo& m : user->list_mailboxes()) {
          if (m.name.rfind("R-", 0) != 0) continue;
          std::vector<uint32_t> uids;
          for (const MessageInfo& i : user->list_messages(m.name)) uids.push_back(i.uid);
          if (!uids.empty()) user->move(m.name, uids, "INBOX");
          user->delete_mailbox(m.name);
        }
        const std::string name = "R-" + std::to_string(getpid()) + "-" + std::to_string(n);
        user->rename_mailbox("INBOX", name);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 80));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);

    auto store = open_maildir_store(opts);
    auto user = store->user("r");
    std::map<std::string, int> count;
    for (const MailboxInfo& box : user->list_mailboxes()) {
      for (const MessageInfo& m : user->list_messages(box.name)) {
        std::string text = read_message(*user, box.name, m.uid);
        count[text.substr(0, text.find("\r\n"))]++;
      }
    }
    ASSERT_EQ(count.size(), static_cast<size_t>(kMessages)) << "round " << round;
    for (const auto& [id, n] : count) EXPECT_EQ(n, 1) << id << " in round " << round;
  }
}

}  // namespace
}  // namespace loft::store::testing

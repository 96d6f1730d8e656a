// Messages other tools drop into new/, and housekeeping on open
// (orphans in cur/, stale tmp/ files, unfinished mailbox removals).
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <fstream>

#include "store/maildir_files.h"
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

void set_mtime(const fs::path& p, time_t when) {
  struct timeval tv[2] = {{when, 0}, {when, 0}};
  ASSERT_EQ(utimes(p.c_str(), tv), 0);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void age_directory(const fs::path& p) { set_mtime(p, time(nullptr) - 100); }

TEST_F(StoreTest, ScanNewTakesFilesInNameOrderAndNormalises) {
  write_file(maildir() / "new" / "300.b", "Subject: third\n\nc\n");
  write_file(maildir() / "new" / "100.a", "Subject: first\n\na\n");
  write_file(maildir() / "new" / "200.c:2,SF", "Subject: second\r\n\r\nb\r\n");
  set_mtime(maildir() / "new" / "100.a", 1600000000);
  write_file(maildir() / "new" / ".hidden", "ignored");
  EXPECT_EQ(user_->scan_new("INBOX"), 3u);
  auto list = user_->list_messages("INBOX");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(read_message(*user_, "INBOX", list[0].uid), "Subject: first\r\n\r\na\r\n");
  EXPECT_EQ(read_message(*user_, "INBOX", list[1].uid), "Subject: second\r\n\r\nb\r\n");
  EXPECT_EQ(read_message(*user_, "INBOX", list[2].uid), "Subject: third\r\n\r\nc\r\n");
  EXPECT_EQ(list[0].internal_date, 1600000000);
  EXPECT_EQ(list[1].flags, kSeen | kFlagged);
  EXPECT_EQ(list[0].size, 21u);
  // Taken files leave new/; hidden files stay.
  EXPECT_THAT(files_below(maildir() / "new"), ElementsAre(".hidden"));
  EXPECT_EQ(user_->scan_new("INBOX"), 0u);
  EXPECT_EQ(user_->list_messages("INBOX").size(), 3u);
}

TEST_F(StoreTest, ListMessagesAndStatusPickUpDroppedMailByThemselves) {
  user_->append("Sent", message_of("one"));
  EXPECT_EQ(user_->list_messages("Sent").size(), 1u);
  write_file(maildir() / ".Sent" / "new" / "1.drop", "dropped\n");
  auto list = user_->list_messages("Sent");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(read_message(*user_, "Sent", list[1].uid), "dropped\r\n");

  // After new/ has settled (old mtime), a drop is still noticed because it
  // changes the directory's mtime.
  age_directory(maildir() / ".Sent" / "new");
  EXPECT_EQ(user_->status("Sent").messages, 2u);  // remembers the settled mtime
  write_file(maildir() / ".Sent" / "new" / "2.drop", "again\n");
  EXPECT_EQ(user_->status("Sent").messages, 3u);
}

// snapshot() and changes_since() (SELECT, NOOP, the sync step) check new/
// inside their own read, then take in and read again.
TEST_F(StoreTest, SnapshotAndChangesPickUpDroppedMailByThemselves) {
  user_->append("Sent", message_of("one"));
  const uint64_t modseq = user_->snapshot("Sent")->status.highest_modseq;
  write_file(maildir() / ".Sent" / "new" / "1.drop", "dropped\n");
  std::shared_ptr<const MailboxSnapshot> snap = user_->snapshot("Sent");
  ASSERT_EQ(snap->messages.size(), 2u);
  EXPECT_EQ(read_message(*user_, "Sent", snap->messages[1].uid), "dropped\r\n");
  EXPECT_THAT(files_below(maildir() / ".Sent" / "new"), IsEmpty());

  age_directory(maildir() / ".Sent" / "new");
  EXPECT_EQ(user_->changes_since("Sent", modseq).added_or_changed.size(), 1u);  // remembers the settled mtime
  write_file(maildir() / ".Sent" / "new" / "2.drop", "again\n");
  MailboxChanges changes = user_->changes_since("Sent", modseq);
  ASSERT_EQ(changes.added_or_changed.size(), 2u);
  EXPECT_EQ(read_message(*user_, "Sent", changes.added_or_changed[1].uid), "again\r\n");
  EXPECT_EQ(user_->snapshot("Sent")->messages.size(), 3u);
}

TEST_F(StoreTest, ScanNewNotifiesSubscribers) {
  // Dropped before subscribing: the new/ watch (new_dir_watch_test.cc),
  // which starts with the first subscriber, does not announce it too.
  write_file(maildir() / ".Junk" / "new" / "x", "spam\n");
  std::vector<std::string> seen;
  auto sub = user_->subscribe([&](const std::string& m) { seen.push_back(m); });
  EXPECT_EQ(user_->scan_new("Junk"), 1u);
  EXPECT_THAT(seen, ElementsAre("Junk"));
}

TEST_F(StoreTest, ScanNewAfterCrashBetweenCommitAndUnlinkDoesNotDuplicate) {
  write_file(maildir() / "new" / "1.crash", "once\n");
  ASSERT_EQ(user_->scan_new("INBOX"), 1u);
  // Simulate the crash: the new/ file is back, and so is its marker.
  write_file(maildir() / "new" / "1.crash", "once\n");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((user_dir() / "index.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ASSERT_EQ(sqlite3_exec(db,
                           "INSERT INTO new_imports (mailbox_id, name) "
                           "SELECT id, '1.crash' FROM mailboxes WHERE name='INBOX'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(user_->scan_new("INBOX"), 0u);
  EXPECT_EQ(user_->list_messages("INBOX").size(), 1u);
  EXPECT_THAT(files_below(maildir() / "new"), IsEmpty());
}

TEST_F(StoreTest, OpenMovesOldOrphansToLostFoundAndDeletesStaleTmpFiles) {
  uint32_t uid = user_->append("INBOX", message_of("kept"));
  const std::string old_orphan = internal::cur_file_name(internal::new_unique_name(), 3);
  const std::string new_orphan = internal::cur_file_name(internal::new_unique_name(), 3);
  write_file(maildir() / "cur" / old_orphan, "old");
  write_file(maildir() / "cur" / new_orphan, "new");
  write_file(maildir() / "cur" / "foreign-file:2,S", "not ours");
  set_mtime(maildir() / "cur" / old_orphan, time(nullptr) - 11 * 60);
  set_mtime(maildir() / "cur" / "foreign-file:2,S", time(nullptr) - 24 * 3600);
  write_file(maildir() / "tmp" / "stale", "x");
  write_file(maildir() / "tmp" / "fresh", "x");
  set_mtime(maildir() / "tmp" / "stale", time(nullptr) - 37 * 3600);
  set_mtime(maildir() / "tmp" / "fresh", time(nullptr) - 35 * 3600);
  // An indexed file, however old, is never touched.
  for (const auto& f : files_below(maildir() / "cur")) {
    if (f != old_orphan && f != new_orphan && f.find("foreign") == std::string::npos) {
      set_mtime(maildir() / "cur" / f, time(nullptr) - 365 * 24 * 3600);
    }
  }
  reopen();
  EXPECT_FALSE(fs::exists(maildir() / "cur" / old_orphan));
  EXPECT_EQ(read_file(maildir().parent_path() / "lost+found" / "INBOX" / old_orphan), "old");
  EXPECT_TRUE(fs::exists(maildir() / "cur" / new_orphan));
  EXPECT_TRUE(fs::exists(maildir() / "cur" / "foreign-file:2,S"));
  EXPECT_FALSE(fs::exists(maildir() / "tmp" / "stale"));
  EXPECT_TRUE(fs::exists(maildir() / "tmp" / "fresh"));
  EXPECT_EQ(read_message(*user_, "INBOX", uid), "kept");
  // Orphans are invisible in the meantime.
  EXPECT_EQ(user_->list_messages("INBOX").size(), 1u);
}

// A lost index makes every message an orphan: the housekeeping must not
// delete the user's mail then.
TEST_F(StoreTest, ALostIndexNeverCostsTheMail) {
  user_->append("INBOX", message_of("precious"));
  const std::vector<std::string> files = files_below(maildir() / "cur");
  ASSERT_EQ(files.size(), 1u);
  set_mtime(maildir() / "cur" / files[0], time(nullptr) - 30 * 24 * 3600);
  user_.reset();
  store_.reset();
  for (const char* f : {"index.sqlite", "index.sqlite-wal", "index.sqlite-shm"}) fs::remove(maildir().parent_path() / f);
  reopen();
  EXPECT_EQ(user_->list_messages("INBOX").size(), 0u);
  EXPECT_EQ(read_file(maildir().parent_path() / "lost+found" / "INBOX" / files[0]), "precious");
}

TEST_F(StoreTest, OpenFinishesAnInterruptedMailboxRemoval) {
  user_->create_mailbox("Doomed");
  user_->append("Doomed", message_of("bye"));
  ASSERT_TRUE(fs::is_directory(maildir() / ".Doomed"));
  // As if the process died after committing the deletion, before rm -rf.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((user_dir() / "index.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA foreign_keys=ON; BEGIN IMMEDIATE;"
                           "INSERT INTO pending_removals (dir) SELECT dir FROM mailboxes WHERE name='Doomed';"
                           "DELETE FROM mailboxes WHERE name='Doomed'; COMMIT;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  // While pending, the directory name is not handed out again.
  user_->create_mailbox("Doomed");
  EXPECT_TRUE(fs::is_directory(maildir() / ".Doomed~2"));
  reopen();
  EXPECT_FALSE(fs::exists(maildir() / ".Doomed"));
  EXPECT_THAT(user_->list_messages("Doomed"), IsEmpty());
}

}  // namespace
}  // namespace loft::store::testing

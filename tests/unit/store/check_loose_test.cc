// loft check on what no index row names: orphan files in cur/, files left in
// tmp/, directories of no mailbox, a lost INBOX row. A repair moves them to
// <user>/lost+found and deletes nothing; what is young enough to belong to
// a writer about to commit is left alone.
#include "check_test_util.h"
#include "store/maildir_files.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Kind = CheckFinding::Kind;

std::string store_name(uint64_t size) { return internal::cur_file_name(internal::new_unique_name(), size); }

TEST_F(CheckTest, OldOrphansAndStaleTmpFilesGoToLostAndFound) {
  user_->append("INBOX", message_of("Subject: kept\n\nkept\n"));
  const std::string old_orphan = store_name(9), young_orphan = store_name(5);
  write_file(maildir() / "cur" / old_orphan, "never acked");
  write_file(maildir() / "cur" / young_orphan, "young");
  write_file(maildir() / "cur" / "foreign:2,S", "dropped in cur/ by hand");
  set_mtime(maildir() / "cur" / old_orphan, eleven_minutes_ago());
  set_mtime(maildir() / "cur" / "foreign:2,S", eleven_minutes_ago());
  write_file(maildir() / "tmp" / "stale", "half a message");
  write_file(maildir() / "tmp" / "recent", "being written");
  set_mtime(maildir() / "tmp" / "stale", two_days_ago());
  set_mtime(maildir() / "tmp" / "recent", eleven_minutes_ago());
  user_->create_mailbox("Work");
  const std::string work_orphan = store_name(4);
  write_file(maildir() / ".Work" / "cur" / work_orphan, "work");
  set_mtime(maildir() / ".Work" / "cur" / work_orphan, eleven_minutes_ago());

  const std::vector<std::string> problems = {
      "mailbox INBOX: file " + old_orphan + " in cur/ has no index row",
      "mailbox INBOX: file foreign:2,S in cur/ has no index row",
      "mailbox INBOX: file stale in tmp/ was left by a delivery that never finished",
      "mailbox Work: file " + work_orphan + " in cur/ has no index row"};
  // cur/ names sort by their leading time, before "foreign".
  EXPECT_THAT(lines_of(check(false)), ElementsAre(problems[0], problems[1], problems[2], problems[3]));
  EXPECT_TRUE(fs::exists(maildir() / "cur" / old_orphan));
  EXPECT_FALSE(fs::exists(user_dir() / "lost+found"));

  CheckReport r = check(true);
  EXPECT_THAT(lines_of(r),
              ElementsAre(problems[0] + "; moved to lost+found/INBOX/" + old_orphan,
                          problems[1] + "; moved to lost+found/INBOX/foreign:2,S",
                          problems[2] + "; moved to lost+found/INBOX/stale",
                          problems[3] + "; moved to lost+found/Work/" + work_orphan));
  EXPECT_EQ(r.findings[0].kind, Kind::kOrphanFile);
  EXPECT_EQ(r.findings[2].file, "Maildir/tmp/stale");
  EXPECT_EQ(r.findings[3].file, "Maildir/.Work/cur/" + work_orphan);
  EXPECT_EQ(r.unrepaired(), 0u);
  // Moved, not deleted; the young ones stay for their writers.
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "INBOX" / old_orphan), "never acked");
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "INBOX" / "stale"), "half a message");
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "Work" / work_orphan), "work");
  EXPECT_FALSE(fs::exists(maildir() / "cur" / old_orphan));
  EXPECT_TRUE(fs::exists(maildir() / "cur" / young_orphan));
  EXPECT_TRUE(fs::exists(maildir() / "tmp" / "recent"));
  EXPECT_EQ(read_message(*user_, "INBOX", 1), to_crlf("Subject: kept\n\nkept\n"));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, LostAndFoundNeverOverwrites) {
  const std::string name = store_name(3);
  fs::create_directories(user_dir() / "lost+found" / "INBOX");
  write_file(user_dir() / "lost+found" / "INBOX" / name, "earlier");
  write_file(maildir() / "cur" / name, "now");
  set_mtime(maildir() / "cur" / name, eleven_minutes_ago());
  CheckReport r = check(true);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].action, "moved to lost+found/INBOX/" + name + ".1");
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "INBOX" / name), "earlier");
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "INBOX" / (name + ".1")), "now");
}

TEST_F(CheckTest, DirectoryOfNoMailboxGoesToLostAndFound) {
  internal::make_maildir(maildir() / ".Stray", false);
  const std::string f = store_name(5);
  write_file(maildir() / ".Stray" / "cur" / f, "stray");
  set_mtime(maildir() / ".Stray", eleven_minutes_ago());
  internal::make_maildir(maildir() / ".Fresh", false);  // a mailbox being made right now
  EXPECT_THAT(lines_of(check(false)), ElementsAre("directory Maildir/.Stray belongs to no mailbox"));
  CheckReport r = check(true);
  EXPECT_THAT(lines_of(r),
              ElementsAre("directory Maildir/.Stray belongs to no mailbox; moved to lost+found/Stray"));
  EXPECT_EQ(r.findings[0].kind, Kind::kUnknownDir);
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "Stray" / "cur" / f), "stray");
  EXPECT_FALSE(fs::exists(maildir() / ".Stray"));
  EXPECT_TRUE(fs::exists(maildir() / ".Fresh"));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, DeletedMailboxStillBeingRemovedIsNotAStranger) {
  user_->create_mailbox("Gone");
  sql().exec("INSERT INTO pending_removals (dir) VALUES ('.Gone'); DELETE FROM mailboxes WHERE name='Gone'");
  set_mtime(maildir() / ".Gone", eleven_minutes_ago());
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

// A store whose first open is under way (its index made, its default
// mailboxes not yet committed) is left to that open.
TEST_F(CheckTest, StoreBeingMadeIsNoProblemAndIsNotTouched) {
  user_.reset();
  sql().exec("PRAGMA foreign_keys=ON; DELETE FROM mailboxes");
  CheckReport r = check(true);
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.notes, ElementsAre("no mailboxes yet: they are made when the mail is first opened"));
  EXPECT_EQ(sql().count("SELECT COUNT(*) FROM mailboxes"), 0);
  // An index file made but without its tables yet, and no mail.
  sql_.reset();
  store_ = open_maildir_store(options());
  for (const char* f : {"index.sqlite-wal", "index.sqlite-shm"}) fs::remove(user_dir() / f);
  write_file(user_dir() / "index.sqlite", "");
  r = check(true);
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.notes, ElementsAre("no index yet: it is made when the mail is first opened"));
  EXPECT_EQ(fs::file_size(user_dir() / "index.sqlite"), 0u);
  // With mail it is a lost index.
  write_file(maildir() / "cur" / store_name(1), "x");
  EXPECT_THAT(lines_of(check(false)), ElementsAre("index.sqlite is empty, but 1 message files exist"));
}

TEST_F(CheckTest, LostInboxRowIsMadeAgainAndItsFilesKept) {
  user_->append("INBOX", message_of("Subject: old\n\nold\n"));
  const std::string file = file_of("INBOX", 1);
  user_.reset();
  store_.reset();
  sql().exec("PRAGMA foreign_keys=ON; DELETE FROM mailboxes WHERE name='INBOX'");
  set_mtime(maildir() / "cur" / file, eleven_minutes_ago());
  store_ = open_maildir_store(options());
  CheckReport r = check(false);
  EXPECT_THAT(lines_of(r), ElementsAre("mailbox INBOX: INBOX has no row in the index"));
  r = check(true);
  EXPECT_THAT(lines_of(r),
              ElementsAre("mailbox INBOX: INBOX has no row in the index; INBOX made again, empty, with a new "
                          "UIDVALIDITY",
                          "mailbox INBOX: file " + file + " in cur/ has no index row; moved to lost+found/INBOX/" +
                              file));
  user_ = store_->user("alice");
  EXPECT_THAT(user_->list_messages("INBOX"), IsEmpty());
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "INBOX" / file), to_crlf("Subject: old\n\nold\n"));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

}  // namespace
}  // namespace loft::store::testing

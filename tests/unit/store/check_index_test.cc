// loft check on the index file itself and on derived data: a damaged or
// lost index.sqlite (reported; rebuilt from the files with --repair, never
// while a server listens), rows left without their mailbox by an edit with
// foreign keys off, and the search index (damaged, or ahead of UIDNEXT).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "check_test_util.h"
#include "mime/casemap.h"
#include "store/search_index_db.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using Kind = CheckFinding::Kind;

class CheckIndexTest : public CheckTest {
 protected:
  // Three INBOX messages (the second \Seen \Flagged with a keyword) and one
  // in Sent; then every connection is closed, so the index is one file.
  void fill_and_close() {
    user_->append("INBOX", message_of("Subject: 1\n\none\n"));
    user_->append("INBOX", message_of("Subject: 2\n\ntwo\n", kSeen | kFlagged, {"$Work"}));
    user_->append("INBOX", message_of("Subject: 3\n\nthree\n"));
    user_->append("Sent", message_of("Subject: s\n\nsent\n", kSeen));
    for (const MailboxInfo& m : user_->list_mailboxes()) old_uidvalidity_[m.name] = user_->status(m.name).uidvalidity;
    close_all();
  }
  // RFC 3501 2.3.1.1: a mailbox whose UIDs were given out anew must have a
  // UIDVALIDITY it never had, or clients would keep their caches.
  void expect_new_uidvalidities() {
    ASSERT_EQ(old_uidvalidity_.size(), 6u);
    for (const auto& [name, old] : old_uidvalidity_) EXPECT_GT(user_->status(name).uidvalidity, old) << name;
  }
  void close_all() {
    sql_.reset();
    user_.reset();
    store_ = open_maildir_store(options());
  }
  // Garbage over the root page of an index of the messages table: SQLite's
  // integrity check fails, the rows themselves stay readable.
  void damage_index_page() {
    IndexSql db(user_dir() / "index.sqlite");
    const auto page = std::stoll(*db.column("SELECT rootpage FROM sqlite_master WHERE name='messages_by_modseq'")[0]);
    const auto page_size = std::stoll(*db.column("PRAGMA page_size")[0]);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::fstream f(user_dir() / "index.sqlite", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((page - 1) * page_size + 8);
    const std::string garbage(200, '\x7f');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  std::vector<std::string> aside_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(user_dir())) {
      const std::string name = e.path().filename().string();
      // The main file; its -wal and -shm went aside with it.
      if (name.rfind("index.sqlite.damaged-", 0) == 0 && name.find("-wal") == std::string::npos &&
          name.find("-shm") == std::string::npos) {
        out.push_back(name);
      }
    }
    return out;
  }
  std::map<std::string, uint32_t> old_uidvalidity_;
};

TEST_F(CheckIndexTest, DamagedIndexIsReportedAndRebuiltFromTheFiles) {
  fill_and_close();
  damage_index_page();
  CheckReport r = check(false);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].kind, Kind::kIndexDamaged);
  EXPECT_THAT(r.findings[0].line(), StartsWith("index.sqlite is damaged: "));
  EXPECT_FALSE(r.findings[0].repaired);
  EXPECT_THAT(r.notes, ElementsAre("nothing else was checked: that needs a readable index"));
  EXPECT_THAT(aside_files(), IsEmpty());

  r = check(true);
  ASSERT_EQ(r.findings.size(), 1u);
  ASSERT_EQ(aside_files().size(), 1u);
  EXPECT_THAT(r.findings[0].action,
              "damaged index moved aside to " + aside_files()[0] +
                  "; index rebuilt from the files: 4 messages in 6 mailboxes, new UIDVALIDITYs, flags kept for 4");
  EXPECT_TRUE(r.findings[0].repaired);
  EXPECT_EQ(r.mailboxes, 6u);
  EXPECT_EQ(r.messages, 4u);

  user_ = store_->user("alice");
  std::vector<MessageInfo> inbox = user_->list_messages("INBOX");
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_THAT(uids_of(inbox), ElementsAre(1, 2, 3));  // delivery order
  EXPECT_EQ(read_message(*user_, "INBOX", 2), to_crlf("Subject: 2\n\ntwo\n"));
  EXPECT_EQ(inbox[1].flags, kSeen | kFlagged);  // the damaged index still had them
  EXPECT_THAT(inbox[1].keywords, ElementsAre("$Work"));
  expect_new_uidvalidities();
  EXPECT_EQ(user_->list_messages("Sent").size(), 1u);
  for (const MailboxInfo& m : user_->list_mailboxes()) {
    if (m.name == "Sent") {
      EXPECT_EQ(m.special_use, "\\Sent");
    }
  }
  EXPECT_EQ(user_->append("INBOX", message_of("after")), 4u);
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckIndexTest, UnreadableIndexLosesOnlyFlags) {
  fill_and_close();
  write_file(user_dir() / "index.sqlite", "this is not a database at all, just text long enough to be read");
  fs::remove(user_dir() / "index.sqlite-wal");
  fs::remove(user_dir() / "index.sqlite-shm");
  EXPECT_THAT(lines_of(check(false)), ElementsAre("index.sqlite is damaged: file is not a database"));
  CheckReport r = check(true);
  EXPECT_THAT(r.findings[0].action, HasSubstr("4 messages in 6 mailboxes, new UIDVALIDITYs, flags kept for 0"));
  user_ = store_->user("alice");
  std::vector<MessageInfo> inbox = user_->list_messages("INBOX");
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_EQ(inbox[1].flags, 0u);
  expect_new_uidvalidities();  // though the damaged index cannot say which it gave out
  EXPECT_EQ(read_message(*user_, "INBOX", 3), to_crlf("Subject: 3\n\nthree\n"));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckIndexTest, LostIndexWithMailIsRebuiltOneWithoutMailIsNoProblem) {
  fill_and_close();
  for (const char* f : {"index.sqlite", "index.sqlite-wal", "index.sqlite-shm"}) fs::remove(user_dir() / f);
  EXPECT_THAT(lines_of(check(false)), ElementsAre("index.sqlite is missing, but 4 message files exist"));
  CheckReport r = check(true);
  EXPECT_EQ(r.findings[0].action,
            "index rebuilt from the files: 4 messages in 6 mailboxes, new UIDVALIDITYs, flags kept for 0");
  EXPECT_THAT(aside_files(), IsEmpty());
  user_ = store_->user("alice");
  expect_new_uidvalidities();
  EXPECT_THAT(lines_of(check(false)), IsEmpty());

  // A user whose store was made but never used.
  store_->user("bob").reset();
  for (const char* f : {"index.sqlite", "index.sqlite-wal", "index.sqlite-shm"}) {
    fs::remove(dir_.path() / "mail" / "bob" / f);
  }
  r = store_->check_user("bob", true);
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_THAT(r.notes, ElementsAre("no index yet: it is made when the mail is first opened"));
  EXPECT_FALSE(fs::exists(dir_.path() / "mail" / "bob" / "index.sqlite"));
  EXPECT_THAT(store_->check_user("carol", true).notes, ElementsAre("no mail stored yet"));
}

TEST_F(CheckIndexTest, RebuildGivesUidsInDeliveryOrder) {
  close_all();
  for (const char* f : {"index.sqlite", "index.sqlite-wal", "index.sqlite-shm"}) fs::remove(user_dir() / f);
  // Microseconds are not zero-padded: by name, M10 would come before M9.
  const std::string later = "1700000000.M10P7Q2R0123456789abcdef.host,S=5:2,";
  const std::string earlier = "1700000000.M9P7Q1R0123456789abcdef.host,S=5:2,";
  write_file(maildir() / "cur" / later, "later");
  write_file(maildir() / "cur" / earlier, "early");
  write_file(maildir() / "cur" / "foreign:2,FS", "other tool");  // no time in its name: its mtime
  set_mtime(maildir() / "cur" / "foreign:2,FS", 1600000000);
  ASSERT_TRUE(check(true).findings[0].repaired);
  user_ = store_->user("alice");
  std::vector<MessageInfo> inbox = user_->list_messages("INBOX");
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_EQ(read_message(*user_, "INBOX", 1), "other tool");
  EXPECT_EQ(inbox[0].internal_date, 1600000000);
  EXPECT_EQ(inbox[0].flags, kFlagged | kSeen);  // from its Maildir name
  EXPECT_EQ(read_message(*user_, "INBOX", 2), "early");
  EXPECT_EQ(inbox[1].internal_date, 1700000000);
  EXPECT_EQ(read_message(*user_, "INBOX", 3), "later");
}

TEST_F(CheckIndexTest, NoRebuildWhileAServerListens) {
  fill_and_close();
  damage_index_page();
  MaildirOptions o = options();
  o.notify_socket = dir_.path() / "notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, o.notify_socket.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  CheckReport r = open_maildir_store(o)->check_user("alice", true);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_FALSE(r.findings[0].repaired);
  EXPECT_EQ(r.findings[0].action,
            "not repaired: the server is running: stop it and run loft check --repair again to rebuild the index");
  EXPECT_THAT(aside_files(), IsEmpty());
  ::close(fd);
  EXPECT_TRUE(open_maildir_store(o)->check_user("alice", true).findings[0].repaired);
}

TEST_F(CheckIndexTest, RowsOfAMailboxDeletedBehindTheStoresBackAreDropped) {
  user_->create_mailbox("Work");
  user_->append("Work", message_of("Subject: w\n\nwork\n", 0, {"$Todo"}));
  const std::string file = file_of("Work", 1);
  close_all();
  {
    IndexSql db(user_dir() / "index.sqlite");  // foreign keys off, as in the sqlite3 shell
    db.exec("DELETE FROM mailboxes WHERE name='Work'");
  }
  set_mtime(maildir() / ".Work", eleven_minutes_ago());
  EXPECT_THAT(lines_of(check(false)),
              ElementsAre("index table messages: 1 rows belong to a mailbox or message that does not exist",
                          "directory Maildir/.Work belongs to no mailbox"));
  CheckReport r = check(true);
  EXPECT_EQ(r.unrepaired(), 0u);
  EXPECT_EQ(r.findings[0].action, "rows deleted (no file is touched)");
  EXPECT_EQ(r.findings[1].action, "moved to lost+found/Work");
  EXPECT_EQ(read_file(user_dir() / "lost+found" / "Work" / "cur" / file), to_crlf("Subject: w\n\nwork\n"));
  IndexSql db(user_dir() / "index.sqlite");
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM messages"), 0);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM keywords"), 0);  // went with their message
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM message_trees"), 0);
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckIndexTest, SearchIndexAheadOfTheMailboxIsDropped) {
  user_->append("INBOX", message_of("Subject: a\n\nalpha\n"));
  ASSERT_EQ(user_->update_search_index("INBOX"), std::optional<uint32_t>(1));
  close_all();
  {
    IndexSql search(user_dir() / "search.sqlite");
    search.exec("UPDATE boxes SET indexed_through=5");
  }
  EXPECT_THAT(lines_of(check(false)),
              ElementsAre("mailbox INBOX: search index says UIDs up to 5 are indexed, but UIDNEXT is 2"));
  CheckReport r = check(true);
  EXPECT_EQ(r.findings[0].kind, Kind::kSearchIndex);
  EXPECT_EQ(r.findings[0].action, "the mailbox's search index dropped (built again when next needed)");
  EXPECT_THAT(internal::SearchIndexDb::Inspect(user_dir() / "search.sqlite").boxes, IsEmpty());
  // Mail under the UIDs it claimed is found again.
  user_ = store_->user("alice");
  user_->append("INBOX", message_of("Subject: b\n\nbravo\n"));
  ASSERT_EQ(user_->update_search_index("INBOX"), std::optional<uint32_t>(2));
  EXPECT_THAT(user_->search_index("INBOX")->find(SearchField::kBody, mime::SearchCasemap("bravo")), ::testing::Optional(ElementsAre(2)));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckIndexTest, DamagedSearchIndexIsRemoved) {
  user_->append("INBOX", message_of("Subject: a\n\nalpha\n"));
  ASSERT_TRUE(user_->update_search_index("INBOX"));
  close_all();
  for (const char* f : {"search.sqlite-wal", "search.sqlite-shm"}) fs::remove(user_dir() / f);
  write_file(user_dir() / "search.sqlite", std::string(8192, 'x'));
  EXPECT_THAT(lines_of(check(false)), ElementsAre("search index search.sqlite is damaged: file is not a database"));
  EXPECT_TRUE(fs::exists(user_dir() / "search.sqlite"));
  CheckReport r = check(true);
  EXPECT_EQ(r.findings[0].action, "removed (built again when next needed)");
  EXPECT_FALSE(fs::exists(user_dir() / "search.sqlite"));
  user_ = store_->user("alice");
  EXPECT_EQ(user_->update_search_index("INBOX"), std::optional<uint32_t>(1));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

}  // namespace
}  // namespace loft::store::testing

// loft check (Store::check_user) on a user's rows against their files:
// missing files, sizes, files named twice, UIDNEXT / HIGHESTMODSEQ, expunge
// records of present messages, cached trees, missing mailbox directories.
// Each test damages a real store, checks without and with repair, and
// looks at what sessions would see afterwards.
#include <atomic>

#include "check_test_util.h"
#include "mime/casemap.h"
#include "mime/message.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Kind = CheckFinding::Kind;

const std::vector<std::string> kNoKeywords;

TEST_F(CheckTest, AStoreInUseIsClean) {
  user_->append("INBOX", message_of("Subject: one\n\nbody\n", kSeen, {"$Label"}));
  user_->append("INBOX", message_of("Subject: two\n\nbody\n"));
  user_->create_mailbox("Work");
  user_->copy("INBOX", std::vector<uint32_t>{1, 2}, "Work");
  user_->move("INBOX", std::vector<uint32_t>{2}, "Sent");
  user_->store_flags("Work", std::vector<uint32_t>{1}, +1, kDeleted, kNoKeywords);
  user_->expunge_deleted("Work", std::nullopt);
  CheckReport r = check(false);
  EXPECT_THAT(lines_of(r), IsEmpty());
  EXPECT_THAT(r.notes, IsEmpty());
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.mailboxes, 7u);
  EXPECT_EQ(r.messages, 3u);  // INBOX 1, Work 1, Sent 1
  EXPECT_FALSE(fs::exists(user_dir() / "lost+found"));
}

TEST_F(CheckTest, RowWithoutFileIsRemovedAndItsUidNeverReused) {
  for (int i = 0; i < 3; ++i) user_->append("INBOX", message_of("Subject: m\n\nbody\n"));
  const std::string file = file_of("INBOX", 2);
  fs::remove(maildir() / "cur" / file);
  const uint64_t modseq_before = user_->status("INBOX").highest_modseq;

  const std::string before = state();
  CheckReport r = check(false);
  EXPECT_THAT(lines_of(r), ElementsAre("mailbox INBOX uid 2: file " + file + " is missing"));
  EXPECT_EQ(r.findings[0].kind, Kind::kMissingFile);
  EXPECT_EQ(r.findings[0].mailbox, "INBOX");
  EXPECT_EQ(r.findings[0].uid, 2u);
  EXPECT_EQ(r.findings[0].file, "Maildir/cur/" + file);
  EXPECT_EQ(r.unrepaired(), 1u);
  EXPECT_EQ(state(), before);  // without repair nothing changes

  std::atomic<int> told{0};
  auto sub = user_->subscribe([&](const std::string& mailbox) { told += mailbox == "INBOX"; });
  r = check(true);
  EXPECT_THAT(lines_of(r), ElementsAre("mailbox INBOX uid 2: file " + file +
                                       " is missing; row removed (its UID is not used again)"));
  EXPECT_EQ(r.unrepaired(), 0u);
  EXPECT_GE(told.load(), 1);
  EXPECT_THAT(uids_of(user_->list_messages("INBOX")), ElementsAre(1, 3));
  // Sessions learn of it as of any expunge.
  MailboxChanges changes = user_->changes_since("INBOX", modseq_before);
  EXPECT_THAT(changes.expunged, ElementsAre(2));
  EXPECT_GT(changes.highest_modseq, modseq_before);
  EXPECT_EQ(user_->snapshot("INBOX")->messages.size(), 2u);
  EXPECT_EQ(user_->append("INBOX", message_of("new")), 4u);
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, SizeFollowsTheFileAndItsCachedDataIsDropped) {
  user_->append("INBOX", message_of("Subject: long\n\nhello zebrafish\n"));
  ASSERT_TRUE(user_->update_search_index("INBOX"));
  IndexSql& db = sql();
  ASSERT_TRUE(db.tree("INBOX", 1).has_value());
  const std::string file = file_of("INBOX", 1);
  const std::string shorter = "Subject: long\r\n\r\nhello\r\n";
  write_file(maildir() / "cur" / file, shorter);
  const std::string zebrafish = mime::SearchCasemap("zebrafish");
  EXPECT_THAT(user_->search_index("INBOX")->find(SearchField::kBody, zebrafish),
              ::testing::Optional(ElementsAre(1)));  // from the bytes that were
  const uint64_t recorded = user_->list_messages("INBOX")[0].size;
  const uint64_t modseq_before = user_->status("INBOX").highest_modseq;

  const std::string problem = "mailbox INBOX uid 1: file " + file + " has " + std::to_string(shorter.size()) +
                              " octets, the index says " + std::to_string(recorded);
  EXPECT_THAT(lines_of(check(false)), ElementsAre(problem));
  CheckReport r = check(true);
  EXPECT_THAT(lines_of(r), ElementsAre(problem + "; recorded size set to " + std::to_string(shorter.size()) +
                                       "; cached tree and the mailbox's search index dropped"));
  EXPECT_EQ(r.findings[0].kind, Kind::kSizeMismatch);
  EXPECT_EQ(user_->list_messages("INBOX")[0].size, shorter.size());
  EXPECT_EQ(user_->snapshot("INBOX")->messages[0].size, shorter.size());
  MailboxChanges changes = user_->changes_since("INBOX", modseq_before);
  ASSERT_EQ(changes.added_or_changed.size(), 1u);
  EXPECT_EQ(changes.added_or_changed[0].size, shorter.size());
  EXPECT_FALSE(db.tree("INBOX", 1).has_value());
  // Served from the file as it is now: tree and search answers alike.
  auto tree = mime::Message::Deserialize(user_->parsed_message("INBOX", 1));
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->parts()[0].end_offset, shorter.size());
  EXPECT_EQ(user_->update_search_index("INBOX"), std::optional<uint32_t>(1));
  auto index = user_->search_index("INBOX");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->indexed_through(), 1u);
  EXPECT_THAT(index->find(SearchField::kBody, zebrafish), ::testing::Optional(IsEmpty()));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, TwoRowsNamingOneFileGetOneEach) {
  user_->append("INBOX", message_of("Subject: a\n\nsame size\n"));
  user_->append("INBOX", message_of("Subject: b\n\nsame size\n"));
  const std::string first = file_of("INBOX", 1);
  sql().exec("UPDATE messages SET file='" + first + "' WHERE uid=2");
  const std::string problem = "mailbox INBOX uid 2: file " + first + " is also the file of uid 1";
  EXPECT_THAT(lines_of(check(false)), ElementsAre(problem));
  CheckReport r = check(true);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].kind, Kind::kSharedFile);
  EXPECT_TRUE(r.findings[0].repaired);
  const std::string own = file_of("INBOX", 2);
  EXPECT_NE(own, first);
  EXPECT_EQ(r.findings[0].line(), problem + "; given a copy of its own, " + own);
  // Expunging one no longer takes the other's content.
  user_->expunge("INBOX", std::vector<uint32_t>{1});
  EXPECT_EQ(read_message(*user_, "INBOX", 2), to_crlf("Subject: a\n\nsame size\n"));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, CountersBelowTheRowsAreRaised) {
  for (int i = 0; i < 3; ++i) user_->append("INBOX", message_of("m"));
  const uint64_t max_modseq = user_->status("INBOX").highest_modseq;
  sql().exec("UPDATE mailboxes SET uidnext=2, highest_modseq=1 WHERE name='INBOX'");
  const std::vector<std::string> problems = {
      "mailbox INBOX: UIDNEXT 2 is not above UID 3",
      "mailbox INBOX: HIGHESTMODSEQ 1 is below MODSEQ " + std::to_string(max_modseq)};
  EXPECT_THAT(lines_of(check(false)), ElementsAre(problems[0], problems[1]));
  CheckReport r = check(true);
  EXPECT_THAT(lines_of(r), ElementsAre(problems[0] + "; UIDNEXT raised to 4",
                                       problems[1] + "; HIGHESTMODSEQ raised to " + std::to_string(max_modseq)));
  EXPECT_EQ(r.findings[0].kind, Kind::kCounters);
  MailboxStatus st = user_->status("INBOX");
  EXPECT_EQ(st.uidnext, 4u);
  EXPECT_EQ(st.highest_modseq, max_modseq);
  EXPECT_EQ(user_->append("INBOX", message_of("next")), 4u);
  EXPECT_GT(user_->list_messages("INBOX").back().modseq, max_modseq);
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, ExpungeRecordOfAPresentMessageIsDropped) {
  user_->append("INBOX", message_of("m"));
  const uint64_t modseq = user_->status("INBOX").highest_modseq;
  sql().exec("INSERT INTO expunged (mailbox_id, uid, modseq) SELECT id, 1, highest_modseq FROM mailboxes "
             "WHERE name='INBOX'");
  EXPECT_THAT(lines_of(check(false)), ElementsAre("mailbox INBOX uid 1: present, but also recorded as expunged"));
  CheckReport r = check(true);
  EXPECT_THAT(lines_of(r), ElementsAre("mailbox INBOX uid 1: present, but also recorded as expunged; "
                                       "expunge record dropped"));
  // Told again as a changed message, never as expunged.
  MailboxChanges changes = user_->changes_since("INBOX", modseq);
  EXPECT_THAT(changes.expunged, IsEmpty());
  EXPECT_THAT(uids_of(changes.added_or_changed), ElementsAre(1));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, UnusableCachedTreeIsDropped) {
  user_->append("INBOX", message_of("Subject: t\n\nbody\n"));
  sql().set_tree("INBOX", 1, std::string("not a tree"));
  EXPECT_THAT(lines_of(check(false)), ElementsAre("mailbox INBOX uid 1: cached MIME tree does not fit the message"));
  CheckReport r = check(true);
  EXPECT_EQ(r.findings[0].kind, Kind::kCachedTree);
  EXPECT_EQ(r.findings[0].action, "dropped (parsed again when next needed)");
  EXPECT_FALSE(sql().tree("INBOX", 1).has_value());
  EXPECT_TRUE(mime::Message::Deserialize(user_->parsed_message("INBOX", 1)));
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

TEST_F(CheckTest, MissingMailboxDirectoryIsMadeAgainAndItsRowsGo) {
  user_->create_mailbox("Work");
  user_->append("Work", message_of("a"));
  user_->append("Work", message_of("b"));
  const std::string a = file_of("Work", 1), b = file_of("Work", 2);
  fs::remove_all(maildir() / ".Work");
  fs::remove_all(maildir() / ".Sent" / "tmp");
  EXPECT_THAT(lines_of(check(false)),
              ElementsAre("mailbox Sent: directory Maildir/.Sent/tmp is missing",
                          "mailbox Work: directory Maildir/.Work is missing",
                          "mailbox Work uid 1: file " + a + " is missing",
                          "mailbox Work uid 2: file " + b + " is missing"));
  CheckReport r = check(true);
  EXPECT_EQ(r.unrepaired(), 0u);
  EXPECT_EQ(r.findings[1].line(), "mailbox Work: directory Maildir/.Work is missing; made again (empty)");
  EXPECT_EQ(r.findings[1].file, "Maildir/.Work");
  EXPECT_EQ(r.findings[3].file, "Maildir/.Work/cur/" + b);
  for (const char* sub : {"cur", "new", "tmp"}) {
    EXPECT_TRUE(fs::is_directory(maildir() / ".Work" / sub)) << sub;
    EXPECT_TRUE(fs::is_directory(maildir() / ".Sent" / sub)) << sub;
  }
  EXPECT_THAT(user_->list_messages("Work"), IsEmpty());
  EXPECT_EQ(user_->append("Work", message_of("c")), 3u);
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

// The default check of other backends.
using Forwarding = ForwardingUserStore;

TEST_F(CheckTest, DefaultCheckSeesSizesAndMissingContentButRepairsNothing) {
  user_->append("INBOX", message_of("Subject: a\n\nfirst\n"));
  user_->append("INBOX", message_of("Subject: b\n\nsecond\n"));
  Forwarding w(user_);
  EXPECT_THAT(lines_of(w.check(false)), IsEmpty());
  write_file(maildir() / "cur" / file_of("INBOX", 1), "x");
  fs::remove(maildir() / "cur" / file_of("INBOX", 2));
  CheckReport r = w.check(true);
  EXPECT_THAT(lines_of(r), ElementsAre("mailbox INBOX uid 1: the message has 1 octets, the index says " +
                                           std::to_string(to_crlf("Subject: a\n\nfirst\n").size()),
                                       "mailbox INBOX uid 2: the message's content is missing"));
  EXPECT_EQ(r.unrepaired(), 2u);
  EXPECT_THAT(r.notes, ElementsAre("this store cannot repair what was found"));
  EXPECT_EQ(user_->list_messages("INBOX").size(), 2u);
}

}  // namespace
}  // namespace loft::store::testing

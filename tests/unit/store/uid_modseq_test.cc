// UIDs, UIDVALIDITY, flags and keywords, MODSEQ and changes_since().
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(StoreTest, UidsIncreaseAndAreNeverReused) {
  EXPECT_EQ(user_->append("INBOX", message_of("1")), 1u);
  EXPECT_EQ(user_->append("INBOX", message_of("2")), 2u);
  EXPECT_EQ(user_->append("INBOX", message_of("3")), 3u);
  std::vector<uint32_t> all = {2, 3};
  EXPECT_THAT(user_->expunge("INBOX", all), ElementsAre(2, 3));
  EXPECT_EQ(user_->append("INBOX", message_of("4")), 4u);
  reopen();
  EXPECT_EQ(user_->status("INBOX").uidnext, 5u);
  std::vector<uint32_t> four = {4};
  user_->expunge("INBOX", four);
  reopen();
  EXPECT_EQ(user_->append("INBOX", message_of("5")), 5u);
  EXPECT_THAT(uids_of(user_->list_messages("INBOX")), ElementsAre(1, 5));
  EXPECT_EQ(read_message(*user_, "INBOX", 5), "5");
  EXPECT_EQ(read_message(*user_, "INBOX", 1), "1");
}

TEST_F(StoreTest, UidsArePerMailbox) {
  EXPECT_EQ(user_->append("INBOX", message_of("a")), 1u);
  EXPECT_EQ(user_->append("Sent", message_of("b")), 1u);
  EXPECT_EQ(user_->append("Sent", message_of("c")), 2u);
  EXPECT_EQ(user_->append("INBOX", message_of("d")), 2u);
}

TEST_F(StoreTest, UidValidityIsNewForEveryCreationOfTheSameName) {
  user_->create_mailbox("Box");
  uint32_t v1 = user_->status("Box").uidvalidity;
  EXPECT_NE(v1, 0u);
  user_->delete_mailbox("Box");
  user_->create_mailbox("Box");
  uint32_t v2 = user_->status("Box").uidvalidity;
  EXPECT_GT(v2, v1);
  reopen();
  EXPECT_EQ(user_->status("Box").uidvalidity, v2);
  user_->delete_mailbox("Box");
  user_->create_mailbox("Box");
  EXPECT_GT(user_->status("Box").uidvalidity, v2);
  // Distinct mailboxes never share one either.
  std::set<uint32_t> seen;
  for (const auto& mb : user_->list_mailboxes())
    EXPECT_TRUE(seen.insert(user_->status(mb.name).uidvalidity).second);
  // Time based: near "now" in seconds.
  EXPECT_GE(static_cast<int64_t>(v1), static_cast<int64_t>(time(nullptr)) - 3600);
}

TEST_F(StoreTest, UidValidityAndUidsSurviveRename) {
  user_->create_mailbox("Old");
  user_->append("Old", message_of("m"));
  uint32_t v = user_->status("Old").uidvalidity;
  user_->rename_mailbox("Old", "New");
  EXPECT_EQ(user_->status("New").uidvalidity, v);
  EXPECT_EQ(user_->status("New").uidnext, 2u);
  EXPECT_EQ(read_message(*user_, "New", 1), "m");
}

TEST_F(StoreTest, StoreFlagsModes) {
  uint32_t a = user_->append("INBOX", message_of("a", kSeen));
  uint32_t b = user_->append("INBOX", message_of("b"));
  std::vector<uint32_t> both = {a, b, 99};
  std::vector<std::string> none;

  auto r = user_->store_flags("INBOX", both, +1, kFlagged, none);
  ASSERT_EQ(r.size(), 2u);  // UID 99 does not exist
  EXPECT_EQ(r[0].flags, kSeen | kFlagged);
  EXPECT_EQ(r[1].flags, kFlagged);

  r = user_->store_flags("INBOX", both, -1, kSeen, none);
  EXPECT_EQ(r[0].flags, kFlagged);
  EXPECT_EQ(r[1].flags, kFlagged);

  r = user_->store_flags("INBOX", both, 0, kAnswered | kDeleted, none);
  EXPECT_EQ(r[0].flags, kAnswered | kDeleted);
  EXPECT_EQ(r[1].flags, kAnswered | kDeleted);

  auto list = user_->list_messages("INBOX");
  EXPECT_EQ(list[0].flags, kAnswered | kDeleted);
  auto st = user_->status("INBOX");
  EXPECT_EQ(st.deleted, 2u);
  EXPECT_EQ(st.unseen, 2u);
  EXPECT_EQ(st.messages, 2u);
  EXPECT_EQ(st.size, 2u);
}

TEST_F(StoreTest, StoreKeywordsModesAreCaseInsensitive) {
  uint32_t a = user_->append("INBOX", message_of("a", 0, {"Work"}));
  std::vector<uint32_t> uids = {a};
  std::vector<std::string> add = {"$Label1", "work"};
  auto r = user_->store_flags("INBOX", uids, +1, 0, add);
  EXPECT_THAT(r[0].keywords, ElementsAre("$Label1", "Work"));
  std::vector<std::string> rm = {"WORK"};
  r = user_->store_flags("INBOX", uids, -1, 0, rm);
  EXPECT_THAT(r[0].keywords, ElementsAre("$Label1"));
  std::vector<std::string> repl = {"x", "y", "X"};
  r = user_->store_flags("INBOX", uids, 0, kSeen, repl);
  EXPECT_THAT(r[0].keywords, ElementsAre("x", "y"));
  EXPECT_EQ(r[0].flags, kSeen);
  reopen();
  EXPECT_THAT(user_->list_messages("INBOX")[0].keywords, ElementsAre("x", "y"));
  std::vector<std::string> bad = {"has space"};
  EXPECT_STORE_ERROR(user_->store_flags("INBOX", uids, +1, 0, bad), ErrorCode::kInvalidName);
}

TEST_F(StoreTest, ModseqGrowsWithEveryChange) {
  uint64_t m0 = user_->status("INBOX").highest_modseq;
  uint32_t a = user_->append("INBOX", message_of("a"));
  uint64_t m1 = user_->status("INBOX").highest_modseq;
  EXPECT_GT(m1, m0);
  EXPECT_EQ(user_->list_messages("INBOX")[0].modseq, m1);
  std::vector<uint32_t> uids = {a};
  std::vector<std::string> none;
  auto r = user_->store_flags("INBOX", uids, +1, kSeen, none);
  uint64_t m2 = user_->status("INBOX").highest_modseq;
  EXPECT_GT(m2, m1);
  EXPECT_EQ(r[0].modseq, m2);
  // A no-op change changes nothing, MODSEQ included.
  r = user_->store_flags("INBOX", uids, +1, kSeen, none);
  EXPECT_EQ(r[0].modseq, m2);
  EXPECT_EQ(user_->status("INBOX").highest_modseq, m2);
  user_->expunge("INBOX", uids);
  EXPECT_GT(user_->status("INBOX").highest_modseq, m2);
}

TEST_F(StoreTest, ChangesSinceReportsAddsFlagChangesAndExpunges) {
  uint32_t a = user_->append("INBOX", message_of("a"));
  uint32_t b = user_->append("INBOX", message_of("b"));
  uint32_t c = user_->append("INBOX", message_of("c"));
  const uint64_t base = user_->status("INBOX").highest_modseq;

  auto none_yet = user_->changes_since("INBOX", base);
  EXPECT_THAT(none_yet.added_or_changed, IsEmpty());
  EXPECT_THAT(none_yet.expunged, IsEmpty());
  EXPECT_EQ(none_yet.highest_modseq, base);

  uint32_t d = user_->append("INBOX", message_of("d"));
  std::vector<uint32_t> flag_b = {b};
  std::vector<std::string> kw = {"Important"};
  user_->store_flags("INBOX", flag_b, +1, kFlagged, kw);
  std::vector<uint32_t> gone = {a, c};
  user_->expunge("INBOX", gone);

  auto ch = user_->changes_since("INBOX", base);
  EXPECT_EQ(ch.highest_modseq, user_->status("INBOX").highest_modseq);
  ASSERT_EQ(ch.added_or_changed.size(), 2u);
  EXPECT_EQ(ch.added_or_changed[0].uid, b);
  EXPECT_EQ(ch.added_or_changed[0].flags, kFlagged);
  EXPECT_THAT(ch.added_or_changed[0].keywords, ElementsAre("Important"));
  EXPECT_EQ(ch.added_or_changed[1].uid, d);
  EXPECT_THAT(ch.expunged, ElementsAre(a, c));

  // From the very start: everything present, every expunge.
  auto all = user_->changes_since("INBOX", 0);
  EXPECT_THAT(uids_of(all.added_or_changed), ElementsAre(b, d));
  EXPECT_THAT(all.expunged, ElementsAre(a, c));

  // Since the latest: nothing.
  auto latest = user_->changes_since("INBOX", ch.highest_modseq);
  EXPECT_THAT(latest.added_or_changed, IsEmpty());
  EXPECT_THAT(latest.expunged, IsEmpty());
}

TEST_F(StoreTest, ExpungeReturnsOnlyExistingUids) {
  uint32_t a = user_->append("INBOX", message_of("a"));
  std::vector<uint32_t> uids = {7, a, a};
  EXPECT_THAT(user_->expunge("INBOX", uids), ElementsAre(a));
  EXPECT_THAT(user_->expunge("INBOX", uids), IsEmpty());
  EXPECT_STORE_ERROR(user_->open_message("INBOX", a), ErrorCode::kNotFound);
  // The file is gone from disk too.
  EXPECT_THAT(files_below(maildir() / "cur"), IsEmpty());
}

}  // namespace
}  // namespace loft::store::testing

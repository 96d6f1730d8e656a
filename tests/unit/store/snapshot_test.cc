// UserStore::snapshot(): one consistent read of a mailbox, shared until the
// mailbox changes and then brought up to date from the changes alone.
#include <random>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

const std::vector<std::string> kNoKeywords;

// Field by field, keywords included.
void ExpectSameMessages(const std::vector<MessageInfo>& got, const std::vector<MessageInfo>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    EXPECT_EQ(got[i].uid, want[i].uid);
    EXPECT_EQ(got[i].size, want[i].size);
    EXPECT_EQ(got[i].internal_date, want[i].internal_date);
    EXPECT_EQ(got[i].internal_tz, want[i].internal_tz);
    EXPECT_EQ(got[i].flags, want[i].flags);
    EXPECT_EQ(got[i].modseq, want[i].modseq);
    std::set<std::string> a(got[i].keywords.begin(), got[i].keywords.end());
    std::set<std::string> b(want[i].keywords.begin(), want[i].keywords.end());
    EXPECT_EQ(a, b);
  }
}

void ExpectMatchesIndex(UserStore& user, const std::string& mailbox) {
  std::shared_ptr<const MailboxSnapshot> snap = user.snapshot(mailbox);
  ExpectSameMessages(snap->messages, user.list_messages(mailbox));
  MailboxStatus st = user.status(mailbox);
  EXPECT_EQ(snap->status.messages, st.messages);
  EXPECT_EQ(snap->status.unseen, st.unseen);
  EXPECT_EQ(snap->status.deleted, st.deleted);
  EXPECT_EQ(snap->status.size, st.size);
  EXPECT_EQ(snap->status.uidnext, st.uidnext);
  EXPECT_EQ(snap->status.uidvalidity, st.uidvalidity);
  EXPECT_EQ(snap->status.highest_modseq, st.highest_modseq);
}

TEST_F(StoreTest, SnapshotIsSharedUntilTheMailboxChanges) {
  for (int i = 0; i < 3; ++i) user_->append("INBOX", message_of("m" + std::to_string(i), i == 0 ? kSeen : 0));
  auto first = user_->snapshot("INBOX");
  EXPECT_EQ(user_->snapshot("inbox").get(), first.get());
  ExpectMatchesIndex(*user_, "INBOX");
  EXPECT_EQ(first->status.messages, 3u);
  EXPECT_EQ(first->status.unseen, 2u);

  user_->store_flags("INBOX", std::vector<uint32_t>{2}, +1, kFlagged, std::vector<std::string>{"$Work"});
  auto second = user_->snapshot("INBOX");
  EXPECT_NE(second.get(), first.get());
  // The old snapshot is immutable: whoever holds it still sees the old state.
  EXPECT_EQ(first->find(2)->flags, 0u);
  EXPECT_EQ(second->find(2)->flags, kFlagged);
  EXPECT_EQ(second->find(2)->keywords, std::vector<std::string>{"$Work"});
  EXPECT_EQ(second->find(4), nullptr);
  ExpectMatchesIndex(*user_, "INBOX");
}

TEST_F(StoreTest, SnapshotFollowsRandomChanges) {
  std::mt19937 rng(7);
  user_->create_mailbox("Box");
  std::vector<uint32_t> uids;
  for (int step = 0; step < 300; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 4 || uids.empty()) {
      uids.push_back(user_->append("Box", message_of("message " + std::to_string(step) + "\r\n")));
    } else if (op < 8) {
      std::vector<uint32_t> some;
      for (uint32_t uid : uids)
        if (rng() % 3 == 0) some.push_back(uid);
      std::vector<std::string> kw;
      if (rng() % 2) kw.push_back("k" + std::to_string(rng() % 4));
      user_->store_flags("Box", some, static_cast<int>(rng() % 3) - 1, 1u << (rng() % 5), kw);
    } else {
      std::vector<uint32_t> gone;
      for (uint32_t uid : uids)
        if (rng() % 5 == 0) gone.push_back(uid);
      user_->expunge("Box", gone);
      std::erase_if(uids, [&](uint32_t u) { return std::find(gone.begin(), gone.end(), u) != gone.end(); });
    }
    // Not after every step, so that some snapshots cover several changes.
    if (rng() % 3 == 0) {
      SCOPED_TRACE("step " + std::to_string(step));
      ExpectMatchesIndex(*user_, "Box");
    }
  }
  ExpectMatchesIndex(*user_, "Box");
}

TEST_F(StoreTest, SnapshotSeesAnotherProcesssChanges) {
  user_->append("INBOX", message_of("one"));
  auto before = user_->snapshot("INBOX");
  // A second store on the same directory stands for `loft deliver`.
  std::unique_ptr<Store> other = open_maildir_store(options());
  other->user("alice")->append("INBOX", message_of("two"));
  auto after = user_->snapshot("INBOX");
  EXPECT_EQ(before->status.messages, 1u);
  EXPECT_EQ(after->status.messages, 2u);
  ExpectMatchesIndex(*user_, "INBOX");
}

TEST_F(StoreTest, SnapshotOfARecreatedMailboxHasNothingOfTheOld) {
  user_->create_mailbox("Box");
  user_->append("Box", message_of("old"));
  auto old = user_->snapshot("Box");
  user_->delete_mailbox("Box");
  user_->create_mailbox("Box");
  user_->append("Box", message_of("new one"));
  auto fresh = user_->snapshot("Box");
  EXPECT_NE(fresh->status.uidvalidity, old->status.uidvalidity);
  ASSERT_EQ(fresh->messages.size(), 1u);
  EXPECT_EQ(fresh->messages[0].size, 7u);
  EXPECT_STORE_ERROR(user_->snapshot("Nope"), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace loft::store::testing

// UserStore::expunge_deleted: the \Deleted messages are chosen and removed
// in one transaction (IMAP EXPUNGE, CLOSE, UID EXPUNGE).
#include <algorithm>
#include <atomic>
#include <thread>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::vector<std::string> kNoKeywords;

TEST_F(StoreTest, ExpungeDeletedRemovesExactlyTheDeletedMessages) {
  for (int i = 0; i < 5; ++i) user_->append("INBOX", message_of("m" + std::to_string(i)));
  user_->store_flags("INBOX", std::vector<uint32_t>{2, 4, 5}, +1, kDeleted, kNoKeywords);
  user_->store_flags("INBOX", std::vector<uint32_t>{1}, +1, kSeen, kNoKeywords);
  const uint64_t mark = user_->status("INBOX").highest_modseq;
  std::vector<std::string> heard;
  auto sub = user_->subscribe([&](const std::string& m) { heard.push_back(m); });

  EXPECT_THAT(user_->expunge_deleted("INBOX", std::nullopt), ElementsAre(2, 4, 5));
  EXPECT_THAT(uids_of(user_->list_messages("INBOX")), ElementsAre(1, 3));
  EXPECT_THAT(user_->changes_since("INBOX", mark).expunged, ElementsAre(2, 4, 5));
  EXPECT_THAT(heard, ElementsAre("INBOX"));
  EXPECT_EQ(files_below(maildir() / "cur").size(), 2u);
  // Nothing left to do: no change, no announcement, same MODSEQ.
  const uint64_t after = user_->status("INBOX").highest_modseq;
  EXPECT_THAT(user_->expunge_deleted("inbox", std::nullopt), IsEmpty());
  EXPECT_EQ(user_->status("INBOX").highest_modseq, after);
  EXPECT_THAT(heard, ElementsAre("INBOX"));
}

TEST_F(StoreTest, ExpungeDeletedWithinUidsOnlyTouchesThose) {
  user_->create_mailbox("Box");
  for (int i = 0; i < 6; ++i) user_->append("Box", message_of("m" + std::to_string(i)));
  user_->store_flags("Box", std::vector<uint32_t>{1, 2, 3, 6}, +1, kDeleted, kNoKeywords);
  std::vector<uint32_t> within = {3, 2, 4, 2, 99};
  EXPECT_THAT(user_->expunge_deleted("Box", std::span<const uint32_t>(within)), ElementsAre(2, 3));
  EXPECT_THAT(uids_of(user_->list_messages("Box")), ElementsAre(1, 4, 5, 6));
  EXPECT_THAT(user_->expunge_deleted("Box", std::span<const uint32_t>()), IsEmpty());
  EXPECT_THAT(uids_of(user_->list_messages("Box")), ElementsAre(1, 4, 5, 6));
  EXPECT_STORE_ERROR(user_->expunge_deleted("Nope", std::nullopt), ErrorCode::kNotFound);
}

TEST_F(StoreTest, ExpungeDeletedRespectsAFlagClearedBeforeIt) {
  user_->append("INBOX", message_of("keep me"));
  user_->append("INBOX", message_of("drop me"));
  user_->store_flags("INBOX", std::vector<uint32_t>{1, 2}, +1, kDeleted, kNoKeywords);
  // Another process (its own store object on the same data) changes its mind.
  {
    auto other_store = open_maildir_store(options());
    auto other = other_store->user("alice");
    other->store_flags("INBOX", std::vector<uint32_t>{1}, -1, kDeleted, kNoKeywords);
  }
  EXPECT_THAT(user_->expunge_deleted("INBOX", std::nullopt), ElementsAre(2));
  EXPECT_EQ(read_message(*user_, "INBOX", 1), "keep me");
}

// Flags toggled by one thread while another expunges: every message removed
// had \Deleted, and every message that ends with \Deleted set is only there
// because it was set after the last expunge.
TEST_F(StoreTest, ExpungeDeletedUnderConcurrentFlagChanges) {
  constexpr int kMessages = 40;
  for (int i = 0; i < kMessages; ++i) user_->append("INBOX", message_of("m" + std::to_string(i)));
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    for (uint32_t n = 0; !stop; ++n) {
      uint32_t uid = 1 + n % kMessages;
      user_->store_flags("INBOX", std::vector<uint32_t>{uid}, n % 3 ? -1 : +1, kDeleted, kNoKeywords);
    }
  });
  std::vector<uint32_t> removed;
  for (int round = 0; round < 30; ++round) {
    for (uint32_t uid : user_->expunge_deleted("INBOX", std::nullopt)) removed.push_back(uid);
  }
  stop = true;
  toggler.join();
  std::vector<uint32_t> left = uids_of(user_->list_messages("INBOX"));
  EXPECT_EQ(left.size() + removed.size(), static_cast<size_t>(kMessages));
  for (uint32_t uid : removed) EXPECT_EQ(std::count(left.begin(), left.end(), uid), 0) << uid;
}

using Forwarding = ForwardingUserStore;

TEST_F(StoreTest, DefaultExpungeDeletedAndListSubscriptions) {
  Forwarding w(user_);
  for (int i = 0; i < 4; ++i) w.append("INBOX", message_of("m"));
  w.store_flags("INBOX", std::vector<uint32_t>{1, 3, 4}, +1, kDeleted, kNoKeywords);
  std::vector<uint32_t> within = {3, 4};
  EXPECT_THAT(w.expunge_deleted("INBOX", std::span<const uint32_t>(within)), ElementsAre(3, 4));
  EXPECT_THAT(w.expunge_deleted("INBOX", std::nullopt), ElementsAre(1));
  EXPECT_THAT(uids_of(w.list_messages("INBOX")), ElementsAre(2));
  // The default lists the subscribed mailboxes (it cannot see others).
  w.set_subscribed("Junk", false);
  EXPECT_THAT(w.list_subscriptions(), ElementsAre("INBOX", "Archive", "Drafts", "Sent", "Trash"));
}

}  // namespace
}  // namespace loft::store::testing

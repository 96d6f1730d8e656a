// STATUS counts (messages, unseen, deleted, size) are kept on the mailbox
// row by triggers (schema version 4), not counted per STATUS: they must
// agree with the messages after every kind of change, come right out of the
// migration of an older index, and be found and mended by loft check.
#include <random>

#include "check_test_util.h"
#include "old_schemas.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Kind = CheckFinding::Kind;

// What STATUS must say, counted from the messages themselves.
MailboxStatus counted(UserStore& u, std::string_view mailbox) {
  MailboxStatus st;
  for (const MessageInfo& m : u.list_messages(mailbox)) {
    ++st.messages;
    st.unseen += (m.flags & kSeen) == 0;
    st.deleted += (m.flags & kDeleted) != 0;
    st.size += m.size;
  }
  return st;
}

void expect_counts_agree(UserStore& u, const std::string& when) {
  for (const MailboxInfo& box : u.list_mailboxes()) {
    const MailboxStatus want = counted(u, box.name);
    const MailboxStatus got = u.status(box.name);
    EXPECT_EQ(got.messages, want.messages) << box.name << " after " << when;
    EXPECT_EQ(got.unseen, want.unseen) << box.name << " after " << when;
    EXPECT_EQ(got.deleted, want.deleted) << box.name << " after " << when;
    EXPECT_EQ(got.size, want.size) << box.name << " after " << when;
  }
}

TEST_F(StoreTest, StatusCountsFollowEveryKindOfChange) {
  std::mt19937 rng(20261128);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  user_->create_mailbox("A");
  user_->create_mailbox("B");
  const std::vector<std::string> boxes = {"INBOX", "A", "B"};
  auto uids_of = [&](const std::string& box) {
    std::vector<uint32_t> out;
    for (const MessageInfo& m : user_->list_messages(box)) {
      if (pick(2) == 0) out.push_back(m.uid);
    }
    return out;
  };
  for (int step = 0; step < 300; ++step) {
    const std::string& box = boxes[pick(boxes.size())];
    const std::string& other = boxes[pick(boxes.size())];
    std::string what;
    switch (pick(9)) {
      case 0:
      case 1: {
        const uint32_t flags = (pick(2) ? kSeen : 0) | (pick(3) == 0 ? kDeleted : 0);
        user_->append(box, message_of("Subject: " + std::to_string(step) + "\n\n" + std::string(pick(300), 'x'),
                                      flags));
        what = "append";
        break;
      }
      case 2: {
        const std::string a = "one " + std::to_string(step), b = "two";
        std::vector<NewMessage> two = {message_of(a, kSeen), message_of(b, kDeleted)};
        user_->append_many(box, two);
        what = "append_many";
        break;
      }
      case 3:
        user_->store_flags(box, uids_of(box), pick(3) - 1, (pick(2) ? kSeen : 0) | (pick(2) ? kDeleted : 0) | kFlagged,
                           {});
        what = "store_flags";
        break;
      case 4:
        user_->copy(box, uids_of(box), other);
        what = "copy";
        break;
      case 5:
        if (box != other) user_->move(box, uids_of(box), other);
        what = "move";
        break;
      case 6:
        user_->expunge(box, uids_of(box));
        what = "expunge";
        break;
      case 7:
        user_->expunge_deleted(box, {});
        what = "expunge_deleted";
        break;
      case 8:
        if (pick(10) == 0) {
          // INBOX renamed: its messages move to a new mailbox, INBOX stays empty.
          user_->rename_mailbox("INBOX", "Old" + std::to_string(step));
          what = "rename INBOX";
        } else {
          user_->rename_mailbox(box == "INBOX" ? "A" : box, "Tmp");
          user_->rename_mailbox("Tmp", box == "INBOX" ? "A" : box);
          what = "rename";
        }
        break;
    }
    expect_counts_agree(*user_, what + " (step " + std::to_string(step) + ")");
    if (HasFailure()) return;
  }
  // A deleted mailbox's messages go with it; another made under its name starts at nothing.
  ASSERT_GT(user_->status("B").messages, 0u);
  user_->delete_mailbox("B");
  user_->create_mailbox("B");
  EXPECT_EQ(user_->status("B").messages, 0u);
  EXPECT_EQ(user_->status("B").size, 0u);
  expect_counts_agree(*user_, "delete and create");
}

// An index of version 2 (so migrations 3 and 4 both run) with messages in
// it: the counts are taken from them, and kept from then on.
TEST(StoreMigration, Version2MessagesAreCountedIntoTheMailboxRows) {
  Version2User old({".Lists"},
                   "INSERT INTO meta VALUES ('last_uidvalidity', 1700000001);"
                   "INSERT INTO mailboxes "
                   "(id, name, dir, uidvalidity, uidnext, highest_modseq, special_use, subscribed) "
                   "VALUES (1, 'INBOX', '', 1700000000, 5, 9, '', 1), (2, 'Lists', '.Lists', 1700000001, 2, 2, '', 1);"
                   "INSERT INTO messages (mailbox_id, uid, file, size, internal_date, internal_tz, flags, modseq) "
                   "VALUES (1, 1, 'a:2,S', 100, 0, 0, 1, 2), (1, 2, 'b:2,', 20, 0, 0, 0, 3), "
                   "(1, 4, 'c:2,ST', 3, 0, 0, 9, 9), (2, 1, 'd:2,', 7, 0, 0, 0, 2);");
  auto store = open_maildir_store(old.opts);
  auto user = store->user("old");
  MailboxStatus inbox = user->status("INBOX");
  EXPECT_EQ(inbox.messages, 3u);
  EXPECT_EQ(inbox.unseen, 1u);
  EXPECT_EQ(inbox.deleted, 1u);
  EXPECT_EQ(inbox.size, 123u);
  EXPECT_EQ(user->status("Lists").messages, 1u);
  EXPECT_EQ(user->status("Lists").size, 7u);
  user->store_flags("INBOX", std::vector<uint32_t>{2}, +1, kSeen, {});
  user->expunge("INBOX", std::vector<uint32_t>{4});
  inbox = user->status("INBOX");
  EXPECT_EQ(inbox.messages, 2u);
  EXPECT_EQ(inbox.unseen, 0u);
  EXPECT_EQ(inbox.deleted, 0u);
  EXPECT_EQ(inbox.size, 120u);
}

TEST_F(CheckTest, StatusCountsThatDisagreeWithTheMessagesAreTakenAgain) {
  user_->append("INBOX", message_of("one", kSeen));
  user_->append("INBOX", message_of("two", kDeleted));
  const MailboxStatus right = user_->status("INBOX");
  sql().exec("UPDATE mailboxes SET message_count=7, unseen_count=0, total_size=1 WHERE name='INBOX'");
  EXPECT_EQ(user_->status("INBOX").messages, 7u);  // what STATUS serves is the row
  const std::string problem = "mailbox INBOX: STATUS counts say 7 messages, 0 unseen, 1 deleted, 1 octets; the "
                              "messages are 2 messages, 1 unseen, 1 deleted, " +
                              std::to_string(right.size) + " octets";
  EXPECT_THAT(lines_of(check(false)), ElementsAre(problem));
  CheckReport r = check(true);
  EXPECT_THAT(lines_of(r), ElementsAre(problem + "; counts taken again from the messages"));
  EXPECT_EQ(r.findings[0].kind, Kind::kCounters);
  const MailboxStatus now = user_->status("INBOX");
  EXPECT_EQ(now.messages, 2u);
  EXPECT_EQ(now.unseen, 1u);
  EXPECT_EQ(now.deleted, 1u);
  EXPECT_EQ(now.size, right.size);
  EXPECT_THAT(lines_of(check(false)), IsEmpty());
}

}  // namespace
}  // namespace loft::store::testing

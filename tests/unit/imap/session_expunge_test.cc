// EXPUNGE and UID EXPUNGE over a real store: what is removed, the EXPUNGE /
// VANISHED lines of the sync step, read-only mailboxes, other sessions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ImapExpungeTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  std::vector<uint32_t> inbox_uids() {
    std::vector<uint32_t> out;
    for (const store::MessageInfo& m : alice()->list_messages("INBOX")) out.push_back(m.uid);
    return out;
  }
};

TEST_F(ImapExpungeTest, RemovesDeletedMessagesAndAnnouncesThem) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  deliver("Subject: 3\r\n\r\nx\r\n", "alice", store::kDeleted | store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a EXPUNGE"), "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\na OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(2));
  EXPECT_EQ(c->cmd("b EXPUNGE"), "b OK Expunge completed.\r\n");
  EXPECT_EQ(c->cmd("c NOOP"), "c OK NOOP completed.\r\n");
}

TEST_F(ImapExpungeTest, StoreThenExpungeInOneSession) {
  deliver();
  deliver();
  auto c = select();
  c->cmd("a STORE 2 +FLAGS.SILENT (\\Deleted)");
  EXPECT_EQ(c->cmd("b EXPUNGE"), "* 2 EXPUNGE\r\nb OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

TEST_F(ImapExpungeTest, UidExpungeOnlyWithinTheSet) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("a UID EXPUNGE 2:3"), "* 2 EXPUNGE\r\na OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1, 3));
  EXPECT_EQ(c->cmd("b UID EXPUNGE 7:9"), "b OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1, 3));
  EXPECT_EQ(c->cmd("c UID EXPUNGE 1:*"), "* 1 EXPUNGE\r\nc OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(3));
}

TEST_F(ImapExpungeTest, QresyncAnnouncesVanished) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  deliver("Subject: 3\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  c->cmd("e ENABLE QRESYNC");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("a EXPUNGE"), "* VANISHED 1,3\r\na OK Expunge completed.\r\n");
}

TEST_F(ImapExpungeTest, UnannouncedDeletedMessagesGoSilently) {
  deliver();
  auto c = select();
  deliver("Subject: new\r\n\r\nx\r\n", "alice", store::kDeleted);
  // Removed before the client heard of it: neither EXISTS nor EXPUNGE.
  EXPECT_EQ(c->cmd("a EXPUNGE"), "a OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

TEST_F(ImapExpungeTest, ReadOnlyMailboxExpungesNothing) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  c->cmd("s EXAMINE INBOX");
  EXPECT_EQ(c->cmd("a EXPUNGE"), "a OK Expunge completed.\r\n");
  EXPECT_EQ(c->cmd("b UID EXPUNGE 1"), "b OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

TEST_F(ImapExpungeTest, BadArguments) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  EXPECT_EQ(c->cmd("a EXPUNGE"), "a BAD No mailbox selected.\r\n");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("b UID EXPUNGE"), "b BAD Error in IMAP command UID EXPUNGE: Missing arguments\r\n");
  EXPECT_EQ(c->cmd("c UID EXPUNGE x"), "c BAD Error in IMAP command UID EXPUNGE: Invalid uidset\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
  // Dovecot ignores arguments of plain EXPUNGE.
  EXPECT_EQ(c->cmd("d EXPUNGE now"), "* 1 EXPUNGE\r\nd OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), IsEmpty());
}

TEST_F(ImapExpungeTest, OtherSessionHearsOnlyWhereExpungeIsAllowed) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  auto a = select();
  auto b = select();
  EXPECT_EQ(a->cmd("x EXPUNGE"), "* 1 EXPUNGE\r\nx OK Expunge completed.\r\n");
  EXPECT_EQ(b->poll(), "");
  // STORE may not announce an expunge (sequence numbers must not shift).
  EXPECT_EQ(b->cmd("y STORE 2 +FLAGS (\\Seen)"), "* 2 FETCH (FLAGS (\\Seen))\r\ny OK Store completed.\r\n");
  EXPECT_EQ(b->cmd("z NOOP"), "* 1 EXPUNGE\r\nz OK NOOP completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(2));
}

}  // namespace
}  // namespace loft::imap::testing

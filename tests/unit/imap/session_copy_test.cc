// COPY / UID COPY and MOVE / UID MOVE over a real store: COPYUID, TRYCREATE,
// the MOVE response order, read-only sources, expunged sources, bad
// arguments, and what other sessions see.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ImapCopyTest : public ImapTest {
 protected:
  void SetUp() override {
    ImapTest::SetUp();
    alice()->create_mailbox("Stash");
  }
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  std::vector<uint32_t> uids(const std::string& box) {
    std::vector<uint32_t> out;
    for (const store::MessageInfo& m : alice()->list_messages(box)) out.push_back(m.uid);
    return out;
  }
  std::string body(const std::string& box, uint32_t uid) {
    store::MessageFile f = alice()->open_message(box, uid);
    return f.read(0, f.size());
  }
  std::string validity(const std::string& box) { return std::to_string(alice()->status(box).uidvalidity); }
};

TEST_F(ImapCopyTest, CopyReportsCopyUid) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kSeen);
  deliver("Subject: 2\r\n\r\nx\r\n");
  auto c = select();
  EXPECT_EQ(c->cmd("a COPY 1:2 Stash"), "a OK [COPYUID " + validity("Stash") + " 1:2 1:2] Copy completed.\r\n");
  EXPECT_THAT(uids("Stash"), ElementsAre(1, 2));
  EXPECT_EQ(body("Stash", 1), "Subject: 1\r\n\r\nx\r\n");
  EXPECT_EQ(alice()->list_messages("Stash")[0].flags, store::kSeen);
  EXPECT_THAT(uids("INBOX"), ElementsAre(1, 2));  // a copy leaves the source
  EXPECT_EQ(c->cmd("b COPY 2 Stash"), "b OK [COPYUID " + validity("Stash") + " 2 3] Copy completed.\r\n");
}

TEST_F(ImapCopyTest, UidCopyListsSourceUidsAscending) {
  deliver();
  deliver();
  deliver();
  alice()->expunge("INBOX", std::vector<uint32_t>{2});
  auto c = select();
  EXPECT_EQ(c->cmd("a UID COPY 3,1 Stash"), "a OK [COPYUID " + validity("Stash") + " 1,3 1:2] Copy completed.\r\n");
  EXPECT_EQ(c->cmd("b UID COPY 50:60 Stash"), "b OK No messages found.\r\n");
  EXPECT_EQ(c->cmd("c UID COPY 50:60 Nope"), "c NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
  EXPECT_THAT(uids("Stash"), ElementsAre(1, 2));
}

TEST_F(ImapCopyTest, CopyIntoTheSelectedMailboxAnnouncesExists) {
  deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("a COPY 1 inbox"),
            "* 2 EXISTS\r\na OK [COPYUID " + validity("INBOX") + " 1 2] Copy completed.\r\n");
  EXPECT_THAT(uids("INBOX"), ElementsAre(1, 2));
}

TEST_F(ImapCopyTest, MissingDestinationAsksToCreate) {
  deliver();
  alice()->create_mailbox("Entwürfe");
  auto c = select();
  EXPECT_EQ(c->cmd("a COPY 1 Nope"), "a NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
  EXPECT_EQ(c->cmd("b MOVE 1 Nope"), "b NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
  EXPECT_THAT(uids("INBOX"), ElementsAre(1));
  // Destination names are mUTF-7 on the wire.
  EXPECT_EQ(c->cmd("c COPY 1 Entw&APw-rfe").substr(0, 14), "c OK [COPYUID ");
  EXPECT_THAT(uids("Entwürfe"), ElementsAre(1));
}

TEST_F(ImapCopyTest, MoveAnnouncesCopyUidThenExpunges) {
  deliver("Subject: 1\r\n\r\nx\r\n");
  deliver("Subject: 2\r\n\r\nx\r\n");
  deliver("Subject: 3\r\n\r\nx\r\n");
  auto c = select();
  EXPECT_EQ(c->cmd("a MOVE 1,3 Stash"), "* OK [COPYUID " + validity("Stash") +
                                            " 1,3 1:2] Moved UIDs.\r\n* 3 EXPUNGE\r\n* 1 EXPUNGE\r\n"
                                            "a OK Move completed.\r\n");
  EXPECT_THAT(uids("INBOX"), ElementsAre(2));
  EXPECT_THAT(uids("Stash"), ElementsAre(1, 2));
  EXPECT_EQ(body("Stash", 2), "Subject: 3\r\n\r\nx\r\n");
  EXPECT_EQ(c->cmd("b UID MOVE 2 Stash"),
            "* OK [COPYUID " + validity("Stash") + " 2 3] Moved UIDs.\r\n* 1 EXPUNGE\r\nb OK Move completed.\r\n");
  EXPECT_THAT(uids("INBOX"), IsEmpty());
  EXPECT_EQ(c->cmd("c UID MOVE 1:* Stash"), "c OK No messages found.\r\n");
}

TEST_F(ImapCopyTest, MoveUnderQresyncSaysVanished) {
  deliver();
  deliver();
  auto c = login();
  c->cmd("e ENABLE QRESYNC");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("a MOVE 1:2 Stash"),
            "* OK [COPYUID " + validity("Stash") + " 1:2 1:2] Moved UIDs.\r\n* VANISHED 1:2\r\na OK Move completed.\r\n");
}

TEST_F(ImapCopyTest, MoveWithinTheSelectedMailbox) {
  deliver();
  deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("a MOVE 1 INBOX"), "* OK [COPYUID " + validity("INBOX") +
                                          " 1 3] Moved UIDs.\r\n* 1 EXPUNGE\r\n* 2 EXISTS\r\na OK Move completed.\r\n");
  EXPECT_THAT(uids("INBOX"), ElementsAre(2, 3));
}

TEST_F(ImapCopyTest, ReadOnlySourceCopiesButDoesNotMove) {
  deliver();
  auto c = login();
  c->cmd("s EXAMINE INBOX");
  EXPECT_EQ(c->cmd("a MOVE 1 Stash"), "a NO Mailbox is read-only.\r\n");
  EXPECT_THAT(uids("Stash"), IsEmpty());
  EXPECT_EQ(c->cmd("b COPY 1 Stash"), "b OK [COPYUID " + validity("Stash") + " 1 1] Copy completed.\r\n");
  EXPECT_THAT(uids("INBOX"), ElementsAre(1));
}

TEST_F(ImapCopyTest, ExpungedSourceFailsTheWholeCopy) {
  deliver();
  deliver();
  auto c = select();
  alice()->expunge("INBOX", std::vector<uint32_t>{2});
  // The client still has message 2: nothing is copied, then it is told.
  EXPECT_EQ(c->cmd("a COPY 1:2 Stash"),
            "* 2 EXPUNGE\r\na NO [EXPUNGEISSUED] Some of the requested messages no longer exist.\r\n");
  EXPECT_THAT(uids("Stash"), IsEmpty());
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
}

TEST_F(ImapCopyTest, ExpungeAnnouncedAlreadyButViewStaleFailsToo) {
  deliver();
  deliver();
  auto a = select();
  auto b = select();
  // Removed by another session and known to the view (feed fired), not yet told.
  a->cmd("x STORE 2 +FLAGS.SILENT (\\Deleted)");
  a->cmd("y EXPUNGE");
  b->cmd("z STORE 1 +FLAGS.SILENT (\\Seen)");  // the view now knows 2 is gone
  EXPECT_EQ(b->cmd("c MOVE 1:2 Stash"),
            "* 2 EXPUNGE\r\nc NO [EXPUNGEISSUED] Some of the requested messages no longer exist.\r\n");
  EXPECT_THAT(uids("INBOX"), ElementsAre(1));
  EXPECT_THAT(uids("Stash"), IsEmpty());
}

TEST_F(ImapCopyTest, BadArguments) {
  deliver();
  auto c = login();
  EXPECT_EQ(c->cmd("a COPY 1 Stash"), "a BAD No mailbox selected.\r\n");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("b COPY"), "b BAD Error in IMAP command COPY: Missing arguments\r\n");
  EXPECT_EQ(c->cmd("c COPY 1"), "c BAD Error in IMAP command COPY: Missing arguments\r\n");
  EXPECT_EQ(c->cmd("d COPY 9 Stash"), "d BAD Error in IMAP command COPY: Invalid messageset\r\n");
  EXPECT_EQ(c->cmd("e UID MOVE x Stash"), "e BAD Error in IMAP command UID MOVE: Invalid uidset\r\n");
  EXPECT_EQ(c->cmd("f MOVE 1 (Stash)"), "f BAD Error in IMAP command MOVE: Invalid arguments\r\n");
  EXPECT_THAT(uids("Stash"), IsEmpty());
  EXPECT_THAT(uids("INBOX"), ElementsAre(1));
}

TEST_F(ImapCopyTest, OtherSessionsSeeCopiesAndMovesAtTheirNextCommand) {
  deliver();
  deliver();
  auto a = select();
  auto b = select();
  auto s = select("Stash");
  EXPECT_EQ(a->cmd("x MOVE 1 Stash").substr(0, 14), "* OK [COPYUID ");
  EXPECT_EQ(b->poll(), "");
  EXPECT_EQ(s->poll(), "");
  EXPECT_EQ(b->cmd("y STORE 2 +FLAGS.SILENT (\\Seen)"), "y OK Store completed.\r\n");
  EXPECT_EQ(b->cmd("z NOOP"), "* 1 EXPUNGE\r\nz OK NOOP completed.\r\n");
  EXPECT_EQ(s->cmd("w NOOP"), "* 1 EXISTS\r\nw OK NOOP completed.\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

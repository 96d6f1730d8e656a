// STORE / UID STORE over a real store: FETCH answers for changed messages
// only, .SILENT, CONDSTORE MODSEQ and UNCHANGEDSINCE with MODIFIED,
// read-only refusals, bad arguments, and what other sessions see when.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

using ::testing::ElementsAre;

class ImapStoreTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  store::MessageInfo info(uint32_t uid) {
    for (const store::MessageInfo& m : alice()->list_messages("INBOX"))
      if (m.uid == uid) return m;
    ADD_FAILURE() << "no UID " << uid;
    return {};
  }
};

TEST_F(ImapStoreTest, AnswersOnlyTheMessagesItChanged) {
  deliver();
  deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a STORE 1:2 +FLAGS (\\Seen)"), "* 1 FETCH (FLAGS (\\Seen))\r\na OK Store completed.\r\n");
  EXPECT_EQ(info(1).flags, store::kSeen);
  // Bare atoms work as well as a list; nothing changes: no FETCH.
  EXPECT_EQ(c->cmd("b STORE 1 +FLAGS \\Seen"), "b OK Store completed.\r\n");
  EXPECT_EQ(c->cmd("c STORE 2 -FLAGS (\\Seen)"), "* 2 FETCH (FLAGS ())\r\nc OK Store completed.\r\n");
  EXPECT_EQ(info(2).flags, 0u);
  EXPECT_EQ(c->cmd("d STORE 1:* FLAGS (\\Draft \\Answered)"),
            "* 1 FETCH (FLAGS (\\Answered \\Draft))\r\n* 2 FETCH (FLAGS (\\Answered \\Draft))\r\n"
            "d OK Store completed.\r\n");
  EXPECT_EQ(c->cmd("e STORE 2 FLAGS"), "* 2 FETCH (FLAGS ())\r\ne OK Store completed.\r\n");
  // The client was told: a NOOP has nothing more to say.
  EXPECT_EQ(c->cmd("f NOOP"), "f OK NOOP completed.\r\n");
}

TEST_F(ImapStoreTest, UidStoreCarriesUidAndCreatesKeywords) {
  deliver();
  uint32_t second = deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("a UID STORE " + std::to_string(second) + " +FLAGS ($Work \\Flagged)"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted.\r\n"
            "* 2 FETCH (UID 2 FLAGS (\\Flagged $Work))\r\na OK Store completed.\r\n");
  EXPECT_THAT(info(second).keywords, ElementsAre("$Work"));
  EXPECT_EQ(info(second).flags, store::kFlagged);
  // UIDs the mailbox does not have are ignored (Dovecot: OK).
  EXPECT_EQ(c->cmd("b UID STORE 50:60 +FLAGS \\Seen"), "b OK Store completed.\r\n");
  EXPECT_EQ(c->cmd("c UID STORE 1:* -FLAGS ($work)"),
            "* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\nc OK Store completed.\r\n");
}

TEST_F(ImapStoreTest, SilentAndCondstore) {
  deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("a STORE 1 +FLAGS.SILENT (\\Seen)"), "a OK Store completed.\r\n");
  EXPECT_EQ(info(1).flags, store::kSeen);
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
  c->cmd("e ENABLE CONDSTORE");
  uint64_t next = alice()->status("INBOX").highest_modseq + 1;
  // Dovecot's item order: UID, MODSEQ, FLAGS; .SILENT still reports MODSEQ.
  EXPECT_EQ(c->cmd("f UID STORE 1 +FLAGS.SILENT (\\Flagged)"),
            "* 1 FETCH (UID 1 MODSEQ (" + std::to_string(next) + "))\r\nf OK Store completed.\r\n");
  EXPECT_EQ(c->cmd("g STORE 1 -FLAGS (\\Flagged)"),
            "* 1 FETCH (MODSEQ (" + std::to_string(next + 1) + ") FLAGS (\\Seen))\r\ng OK Store completed.\r\n");
}

TEST_F(ImapStoreTest, UnchangedSinceFailsNewerMessagesWithModified) {
  deliver();
  deliver();
  deliver();
  auto c = select();
  uint64_t mark = alice()->status("INBOX").highest_modseq;
  std::vector<uint32_t> two{2};
  std::vector<std::string> none;
  alice()->store_flags("INBOX", two, +1, store::kFlagged, none);  // another client changed 2
  std::string r = c->cmd("a STORE 1:3 (UNCHANGEDSINCE " + std::to_string(mark) + ") +FLAGS (\\Seen)");
  uint64_t done = alice()->status("INBOX").highest_modseq;
  // CONDSTORE is on from here: the view's HIGHESTMODSEQ first (Dovecot),
  // then MODSEQ in FETCH. Message 2's own change is announced by the sync
  // step, flags as the other client left them.
  EXPECT_EQ(r, "* OK [HIGHESTMODSEQ " + std::to_string(mark) + "] Highest\r\n"
               "* 1 FETCH (MODSEQ (" + std::to_string(done) + ") FLAGS (\\Seen))\r\n"
               "* 3 FETCH (MODSEQ (" + std::to_string(done) + ") FLAGS (\\Seen))\r\n"
               "* 2 FETCH (MODSEQ (" + std::to_string(done - 1) + ") FLAGS (\\Flagged))\r\n"
               "a OK [MODIFIED 2] Conditional store failed.\r\n");
  EXPECT_EQ(info(2).flags, store::kFlagged);
  EXPECT_EQ(info(3).flags, store::kSeen);
  // UID STORE names UIDs in MODIFIED; UNCHANGEDSINCE 0 fails every message.
  EXPECT_EQ(c->cmd("b UID STORE 2:3 (UNCHANGEDSINCE 0) +FLAGS (\\Draft)"),
            "b OK [MODIFIED 2:3] Conditional store failed.\r\n");
  EXPECT_EQ(c->cmd("c STORE 1 (UNCHANGEDSINCE " + std::to_string(done) + ") -FLAGS (\\Seen)"),
            "* 1 FETCH (MODSEQ (" + std::to_string(done + 1) + ") FLAGS ())\r\nc OK Store completed.\r\n");
}

TEST_F(ImapStoreTest, ReadOnlyMailboxIgnoresStore) {
  deliver();
  auto c = login();
  c->cmd("s EXAMINE INBOX");
  EXPECT_EQ(c->cmd("a STORE 1 +FLAGS (\\Seen)"), "a OK Store ignored with read-only mailbox.\r\n");
  EXPECT_EQ(c->cmd("b STORE 1 (UNCHANGEDSINCE 99) +FLAGS (\\Seen)"),
            "* OK [HIGHESTMODSEQ " + std::to_string(alice()->status("INBOX").highest_modseq) +
                "] Highest\r\nb NO CONDSTORE failed: Mailbox is read-only.\r\n");
  EXPECT_EQ(info(1).flags, 0u);
}

TEST_F(ImapStoreTest, BadArguments) {
  deliver();
  auto c = login();
  EXPECT_EQ(c->cmd("a STORE 1 +FLAGS \\Seen"), "a BAD No mailbox selected.\r\n");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("b STORE 2 +FLAGS \\Seen"), "b BAD Error in IMAP command STORE: Invalid messageset\r\n");
  EXPECT_EQ(c->cmd("c STORE 1 +FLAGS \\Recent"),
            "c BAD Error in IMAP command STORE: Invalid system flag \\RECENT\r\n");
  EXPECT_EQ(c->cmd("d STORE 1 +LABELS x"), "d BAD Error in IMAP command STORE: Invalid arguments\r\n");
  EXPECT_EQ(c->cmd("e STORE"), "e BAD Error in IMAP command STORE: Invalid arguments\r\n");
  EXPECT_EQ(c->cmd("f STORE 1 (FOO 1) FLAGS x"), "f BAD Error in IMAP command STORE: Unknown STORE modifier\r\n");
  EXPECT_EQ(c->cmd("g UID STORE x FLAGS"), "g BAD Error in IMAP command UID STORE: Invalid uidset\r\n");
  EXPECT_EQ(info(1).flags, 0u);
}

TEST_F(ImapStoreTest, OtherSessionSeesFlagsAtItsNextCommand) {
  deliver();
  auto a = select();
  auto b = select();
  EXPECT_EQ(a->cmd("x STORE 1 +FLAGS (\\Answered)"), "* 1 FETCH (FLAGS (\\Answered))\r\nx OK Store completed.\r\n");
  EXPECT_EQ(b->poll(), "");
  EXPECT_EQ(b->cmd("y NOOP"), "* 1 FETCH (FLAGS (\\Answered))\r\ny OK NOOP completed.\r\n");
}

TEST_F(ImapStoreTest, StoreSendsNoExpungeButUidStoreMay) {
  deliver();
  deliver();
  auto a = select();
  auto b = select();
  std::vector<uint32_t> one{1};
  alice()->expunge("INBOX", one);
  // STORE on the vanished message: no FETCH for it, and no EXPUNGE yet.
  EXPECT_EQ(b->cmd("x STORE 1:2 +FLAGS (\\Seen)"), "* 2 FETCH (FLAGS (\\Seen))\r\nx OK Store completed.\r\n");
  EXPECT_EQ(b->cmd("y NOOP"), "* 1 EXPUNGE\r\ny OK NOOP completed.\r\n");
  alice()->expunge("INBOX", std::vector<uint32_t>{2});
  EXPECT_EQ(a->cmd("z UID STORE 1:* +FLAGS (\\Seen)"), "* 2 EXPUNGE\r\n* 1 EXPUNGE\r\nz OK Store completed.\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

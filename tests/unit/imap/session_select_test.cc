// The authenticated and selected states: SELECT/EXAMINE, CLOSE, UNSELECT, and
// the shared sync step telling one session what others did to its mailbox
// (NOOP, IDLE), over a real store.
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

class ImapSelectTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  std::string expunge(uint32_t uid) {
    std::vector<uint32_t> uids{uid};
    alice()->expunge("INBOX", uids);
    return {};
  }
  void set_flags(uint32_t uid, int mode, uint32_t flags, std::vector<std::string> kw = {}) {
    std::vector<uint32_t> uids{uid};
    alice()->store_flags("INBOX", uids, mode, flags, kw);
  }
};

TEST_F(ImapSelectTest, SelectReportsTheMailbox) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kSeen);
  uint32_t second = deliver();
  std::vector<uint32_t> uids{second};
  std::vector<std::string> kw{"$Work"};
  alice()->store_flags("INBOX", uids, +1, 0, kw);
  store::MailboxStatus st = alice()->status("INBOX");

  auto c = login();
  std::string r = c->cmd("a SELECT inbox");
  EXPECT_EQ(r,
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted.\r\n"
            "* 2 EXISTS\r\n"
            "* 0 RECENT\r\n"
            "* OK [UNSEEN 2] First unseen.\r\n"
            "* OK [UIDVALIDITY " + std::to_string(st.uidvalidity) + "] UIDs valid\r\n"
            "* OK [UIDNEXT 3] Predicted next UID\r\n"
            "* OK [HIGHESTMODSEQ " + std::to_string(st.highest_modseq) + "] Highest\r\n"
            "a OK [READ-WRITE] Select completed.\r\n");
}

TEST_F(ImapSelectTest, EmptyMailboxAndExamine) {
  auto c = login();
  std::string r = c->cmd("a EXAMINE INBOX");
  EXPECT_NE(r.find("* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("* 0 EXISTS\r\n"), std::string::npos);
  EXPECT_EQ(r.find("UNSEEN"), std::string::npos);
  EXPECT_NE(r.find("* OK [UIDNEXT 1] Predicted next UID\r\n"), std::string::npos);
  EXPECT_NE(r.find("a OK [READ-ONLY] Examine completed.\r\n"), std::string::npos);
}

TEST_F(ImapSelectTest, SelectOfMissingMailboxLeavesNothingSelected) {
  auto c = select();
  EXPECT_EQ(c->cmd("b SELECT Nope"),
            "* OK [CLOSED] Previous mailbox closed.\r\nb NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n");
  EXPECT_EQ(c->cmd("c CLOSE"), "c BAD No mailbox selected.\r\n");
  EXPECT_EQ(c->cmd("d SELECT"), "d BAD Error in IMAP command SELECT: Invalid arguments\r\n");
}

TEST_F(ImapSelectTest, SelectOtherMailboxByModifiedUtf7Name) {
  alice()->create_mailbox("Entwürfe");
  deliver("Subject: d\r\n\r\nx\r\n", "alice", 0, "Entwürfe");
  auto c = login();
  std::string r = c->cmd("a SELECT Entw&APw-rfe");
  EXPECT_NE(r.find("* 1 EXISTS\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("a OK [READ-WRITE]"), std::string::npos);
}

TEST_F(ImapSelectTest, CloseExpungesDeletedSilently) {
  deliver();
  uint32_t gone = deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = select();
  EXPECT_EQ(c->cmd("a CLOSE"), "a OK Close completed.\r\n");
  auto msgs = alice()->list_messages("INBOX");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].uid, gone);
  EXPECT_EQ(c->cmd("b UNSELECT"), "b BAD No mailbox selected.\r\n");
}

TEST_F(ImapSelectTest, CloseAfterExamineAndUnselectKeepDeletedMessages) {
  deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  c->cmd("a EXAMINE INBOX");
  EXPECT_EQ(c->cmd("b CLOSE"), "b OK Close completed.\r\n");
  c->cmd("c SELECT INBOX");
  EXPECT_EQ(c->cmd("d UNSELECT"), "d OK Unselect completed.\r\n");
  EXPECT_EQ(alice()->list_messages("INBOX").size(), 1u);
}

TEST_F(ImapSelectTest, NewMailIsAnnouncedAtTheNextCommandNotBefore) {
  deliver();
  auto c = select();
  deliver();
  deliver();
  // Nothing unsolicited while no command is in progress.
  EXPECT_EQ(c->poll(), "");
  EXPECT_EQ(c->cmd("a NOOP"), "* 3 EXISTS\r\na OK NOOP completed.\r\n");
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
}

TEST_F(ImapSelectTest, OtherSessionsChangesReachEverySession) {
  uint32_t u1 = deliver();
  uint32_t u2 = deliver();
  deliver();
  auto a = select();
  auto b = select();
  set_flags(u2, +1, store::kSeen);
  expunge(u1);
  std::string expected = "* 2 FETCH (FLAGS (\\Seen))\r\n* 1 EXPUNGE\r\n";
  EXPECT_EQ(a->cmd("x NOOP"), expected + "x OK NOOP completed.\r\n");
  // The command's own data first, then the updates, then the tagged reply.
  std::string r = b->cmd("y CAPABILITY");
  size_t at = r.find(expected);
  ASSERT_NE(at, std::string::npos) << r;
  EXPECT_EQ(r.substr(0, 13), "* CAPABILITY ");
  EXPECT_EQ(r.substr(at + expected.size()), "y OK Capability completed.\r\n");
}

TEST_F(ImapSelectTest, ChangesToOtherMailboxesAreNotReported) {
  alice()->create_mailbox("Other");
  auto c = select();
  deliver("Subject: o\r\n\r\nx\r\n", "alice", 0, "Other");
  deliver("Subject: b\r\n\r\nx\r\n", "bob");
  EXPECT_EQ(c->cmd("a NOOP"), "a OK NOOP completed.\r\n");
}

TEST_F(ImapSelectTest, MailDroppedIntoNewIsPickedUpByNoop) {
  auto c = select();
  std::filesystem::path dir = dir_ / "mail" / "alice" / "Maildir" / "new";
  ASSERT_TRUE(std::filesystem::exists(dir));
  {
    std::FILE* f = std::fopen((dir / "1700000000.x.host").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("Subject: dropped\n\nbody\n", f);
    std::fclose(f);
  }
  EXPECT_EQ(c->cmd("a NOOP"), "* 1 EXISTS\r\na OK NOOP completed.\r\n");
}

TEST_F(ImapSelectTest, IdleSendsUpdatesAsTheyHappen) {
  uint32_t u1 = deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("i IDLE"), "+ idling\r\n");
  deliver();
  EXPECT_EQ(c->poll(), "* 2 EXISTS\r\n");
  expunge(u1);
  EXPECT_EQ(c->poll(), "* 1 EXPUNGE\r\n");
  EXPECT_EQ(c->cmd("DONE"), "i OK Idle completed.\r\n");
  // After IDLE, updates wait for a command again.
  deliver();
  EXPECT_EQ(c->poll(), "");
  EXPECT_EQ(c->cmd("n NOOP"), "* 2 EXISTS\r\nn OK NOOP completed.\r\n");
}

TEST_F(ImapSelectTest, IdleSendsWhatWasPendingAtOnceAndRejectsOtherInput) {
  auto c = select();
  deliver();
  EXPECT_EQ(c->cmd("i IDLE"), "+ idling\r\n* 1 EXISTS\r\n");
  EXPECT_EQ(c->cmd("x NOOP"), "i BAD Expected DONE.\r\n");
  EXPECT_EQ(c->cmd("j NOOP"), "j OK NOOP completed.\r\n");
}

TEST_F(ImapSelectTest, IdleWithoutMailboxEndsOnDone) {
  auto c = login();
  EXPECT_EQ(c->cmd("i IDLE"), "+ idling\r\n");
  EXPECT_EQ(c->cmd("done"), "i OK Idle completed.\r\n");
}

TEST_F(ImapSelectTest, IdleKeepsTheConnectionAliveAndLongerThanOtherCommands) {
  auto c = select();
  c->host.fire_long_timers();  // the login deadline: nothing once logged in
  EXPECT_EQ(c->poll(), "");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(std::chrono::minutes(30)));
  EXPECT_EQ(c->cmd("i IDLE"), "+ idling\r\n");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(std::chrono::minutes(60)));
  ASSERT_EQ(c->host.long_timers.size(), 1u);
  EXPECT_EQ(c->host.delays.back(), std::chrono::milliseconds(std::chrono::minutes(2)));
  c->host.fire_long_timers();
  EXPECT_EQ(c->host.take(), "* OK Still here\r\n");
  c->host.fire_long_timers();
  EXPECT_EQ(c->host.take(), "* OK Still here\r\n");
  EXPECT_EQ(c->cmd("DONE"), "i OK Idle completed.\r\n");
  EXPECT_EQ(c->host.idle, std::chrono::milliseconds(std::chrono::minutes(30)));
  // The timer of the finished IDLE stays silent, even after a new IDLE.
  EXPECT_EQ(c->cmd("j IDLE"), "+ idling\r\n");
  ASSERT_EQ(c->host.long_timers.size(), 2u);
  c->host.fire_long_timers();
  EXPECT_EQ(c->host.take(), "* OK Still here\r\n");
  EXPECT_EQ(c->cmd("DONE"), "j OK Idle completed.\r\n");
}

TEST_F(ImapSelectTest, PipelinedCommandsAfterSelectSeeTheMailbox) {
  deliver();
  auto c = login();
  std::string r = c->send_raw("a SELECT INBOX\r\nb NOOP\r\nc UNSELECT\r\nd CLOSE\r\n");
  EXPECT_NE(r.find("a OK [READ-WRITE]"), std::string::npos) << r;
  EXPECT_NE(r.find("b OK NOOP completed.\r\nc OK Unselect completed.\r\nd BAD No mailbox selected.\r\n"),
            std::string::npos)
      << r;
}

TEST_F(ImapSelectTest, LogoutWhileSelected) {
  auto c = select();
  EXPECT_EQ(c->cmd("z LOGOUT"), "* BYE Logging out\r\nz OK Logout completed.\r\n");
  EXPECT_TRUE(c->closed());
  deliver();  // the change feed no longer reaches the closed session
  EXPECT_EQ(c->poll(), "");
}

}  // namespace
}  // namespace loft::imap::testing

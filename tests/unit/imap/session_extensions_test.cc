// ENABLE (CONDSTORE, QRESYNC, UTF8=ACCEPT), SELECT with CONDSTORE / QRESYNC
// (RFC 7162), LIST-EXTENDED return options and LIST-STATUS (RFC 5258, 5819),
// and the IMAP4rev2 LIST line of SELECT, over a real store.
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

class ImapExtensionsTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
};

TEST_F(ImapExtensionsTest, EnableNamesWhatItTurnedOn) {
  auto c = login();
  EXPECT_EQ(c->cmd("a ENABLE QRESYNC X-UNKNOWN utf8=accept"), "* ENABLED QRESYNC UTF8=ACCEPT\r\na OK Enabled.\r\n");
  // UTF8=ACCEPT: names in UTF-8 on the wire.
  alice()->create_mailbox("Entwürfe");
  std::string r = c->cmd("b LIST \"\" Entw*");
  EXPECT_NE(r.find("\"/\" \"Entwürfe\"\r\n"), std::string::npos) << r;
}

TEST_F(ImapExtensionsTest, SelectCondstoreAndQresyncNeedsEnable) {
  auto c = login();
  std::string r = c->cmd("a SELECT INBOX (CONDSTORE)");
  EXPECT_NE(r.find("* OK [HIGHESTMODSEQ "), std::string::npos) << r;
  EXPECT_NE(r.find("a OK [READ-WRITE]"), std::string::npos) << r;
  // A bad argument is refused before anything is closed.
  EXPECT_EQ(c->cmd("b SELECT INBOX (QRESYNC (1 1))"), "b BAD Error in IMAP command SELECT: QRESYNC not enabled\r\n");
}

TEST_F(ImapExtensionsTest, QresyncSelectReportsVanishedAndChangedFlags) {
  uint32_t u1 = deliver();
  uint32_t u2 = deliver();
  uint32_t u3 = deliver();
  uint32_t u4 = deliver();
  store::MailboxStatus before = alice()->status("INBOX");
  // Changes after the client's last sync: u2 expunged, u3 flagged.
  std::vector<uint32_t> gone{u2}, flagged{u3};
  alice()->expunge("INBOX", gone);
  alice()->store_flags("INBOX", flagged, +1, store::kFlagged, {});
  store::MailboxStatus after = alice()->status("INBOX");

  auto c = login();
  c->cmd("a ENABLE QRESYNC");
  std::string r = c->cmd("b SELECT INBOX (QRESYNC (" + std::to_string(before.uidvalidity) + " " +
                         std::to_string(before.highest_modseq) + "))");
  EXPECT_NE(r.find("* 3 EXISTS\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("* VANISHED (EARLIER) " + std::to_string(u2) + "\r\n"), std::string::npos) << r;
  uint64_t modseq3 = alice()->list_messages("INBOX")[1].modseq;
  EXPECT_NE(r.find("* 2 FETCH (UID " + std::to_string(u3) + " FLAGS (\\Flagged) MODSEQ (" +
                   std::to_string(modseq3) + "))\r\n"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.find("FETCH (UID " + std::to_string(u1)), std::string::npos) << r;
  EXPECT_EQ(r.find("FETCH (UID " + std::to_string(u4)), std::string::npos) << r;
  EXPECT_NE(r.find("* OK [HIGHESTMODSEQ " + std::to_string(after.highest_modseq) + "]"), std::string::npos) << r;

  // Known UIDs limit the report; a wrong UIDVALIDITY reports nothing.
  r = c->cmd("c SELECT INBOX (QRESYNC (" + std::to_string(before.uidvalidity) + " " +
             std::to_string(before.highest_modseq) + " " + std::to_string(u4) + ":*))");
  EXPECT_EQ(r.find("VANISHED"), std::string::npos) << r;
  EXPECT_EQ(r.find("FETCH"), std::string::npos) << r;
  r = c->cmd("d SELECT INBOX (QRESYNC (" + std::to_string(before.uidvalidity + 1) + " 1))");
  EXPECT_EQ(r.find("VANISHED"), std::string::npos) << r;
  EXPECT_EQ(r.find("FETCH"), std::string::npos) << r;

  // Once QRESYNC is on, another session's expunge arrives as VANISHED.
  std::vector<uint32_t> one{u1};
  alice()->expunge("INBOX", one);
  EXPECT_EQ(c->cmd("e NOOP"), "* VANISHED " + std::to_string(u1) + "\r\ne OK NOOP completed.\r\n");
}

TEST_F(ImapExtensionsTest, CondstoreAddsModseqToFlagUpdates) {
  uint32_t u = deliver();
  auto c = login();
  c->cmd("a SELECT INBOX (CONDSTORE)");
  std::vector<uint32_t> uids{u};
  auto after = alice()->store_flags("INBOX", uids, +1, store::kSeen, {});
  EXPECT_EQ(c->cmd("b NOOP"), "* 1 FETCH (MODSEQ (" + std::to_string(after[0].modseq) +
                                  ") FLAGS (\\Seen))\r\nb OK NOOP completed.\r\n");
}

TEST_F(ImapExtensionsTest, ListExtendedReturnOptionsAndStatus) {
  alice()->create_mailbox("Work");
  alice()->create_mailbox("Work/Old");
  alice()->create_mailbox("Lost/Child");
  deliver("Subject: x\r\n\r\nhello\r\n");
  auto c = login();
  // Plain LIST: children and special-use always (Dovecot).
  std::string r = c->cmd("a LIST \"\" Sent");
  EXPECT_EQ(r, "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\na OK List completed.\r\n");
  // LIST-EXTENDED without RETURN (CHILDREN): no children attributes.
  r = c->cmd("b LIST (SPECIAL-USE) \"\" *");
  EXPECT_NE(r.find("* LIST (\\Sent) \"/\" Sent\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("INBOX"), std::string::npos) << r;
  r = c->cmd("c LIST \"\" (Work Work/*) RETURN (CHILDREN)");
  EXPECT_EQ(r,
            "* LIST (\\HasChildren) \"/\" Work\r\n"
            "* LIST (\\HasNoChildren) \"/\" Work/Old\r\n"
            "c OK List completed.\r\n");
  EXPECT_EQ(c->cmd("c2 LIST \"\" Lost RETURN (CHILDREN)"),
            "* LIST (\\NonExistent \\HasChildren) \"/\" Lost\r\nc2 OK List completed.\r\n");
  // LIST-STATUS: the STATUS follows each selectable mailbox's LIST.
  uint64_t size = alice()->status("INBOX").size;
  r = c->cmd("d LIST \"\" (INBOX Work Lost) RETURN (STATUS (MESSAGES UNSEEN SIZE))");
  EXPECT_EQ(r,
            "* LIST () \"/\" INBOX\r\n"
            "* STATUS INBOX (MESSAGES 1 UNSEEN 1 SIZE " + std::to_string(size) + ")\r\n"
            "* LIST (\\NonExistent) \"/\" Lost\r\n"
            "* LIST () \"/\" Work\r\n"
            "* STATUS Work (MESSAGES 0 UNSEEN 0 SIZE 0)\r\n"
            "d OK List completed.\r\n");
}

TEST_F(ImapExtensionsTest, Imap4rev2SelectSendsListAndNoRecent) {
  auto c = login();
  c->cmd("a ENABLE IMAP4rev2");
  std::string r = c->cmd("b SELECT INBOX");
  EXPECT_NE(r.find("* LIST () \"/\" INBOX\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("RECENT"), std::string::npos) << r;
}

TEST_F(ImapExtensionsTest, SubscribedChildrenShowThroughTheirParents) {
  alice()->create_mailbox("box/sub");
  alice()->set_subscribed("box/sub", true);
  auto c = login();
  // Dovecot's answers, byte for byte (but '/' for its '.').
  EXPECT_EQ(c->cmd("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" b%"),
            "* LIST (\\NonExistent) \"/\" box (CHILDINFO (\"SUBSCRIBED\"))\r\na OK List completed.\r\n");
  EXPECT_EQ(c->cmd("b LIST (SUBSCRIBED) \"\" b%"), "b OK List completed.\r\n");
  EXPECT_EQ(c->cmd("c LSUB \"\" b%"), "* LSUB (\\Noselect) \"/\" box\r\nc OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("d LSUB \"\" b*"), "* LSUB () \"/\" box/sub\r\nd OK Lsub completed.\r\n");
  std::string r = c->cmd("e LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %");
  EXPECT_NE(r.find("* LIST (\\NonExistent) \"/\" box (CHILDINFO (\"SUBSCRIBED\"))\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("* LIST (\\Subscribed) \"/\" INBOX\r\n"), std::string::npos) << r;
}

TEST_F(ImapExtensionsTest, NewKeywordsAreAnnouncedWithFlagsAndPermanentFlags) {
  uint32_t u = deliver();
  auto c = select();
  auto e = login();
  e->cmd("x EXAMINE INBOX");
  std::vector<uint32_t> uids{u};
  std::vector<std::string> kw{"$Work"};
  alice()->store_flags("INBOX", uids, +1, 0, kw);  // another client
  EXPECT_EQ(c->cmd("a NOOP"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted.\r\n"
            "* 1 FETCH (FLAGS ($Work))\r\n"
            "a OK NOOP completed.\r\n");
  EXPECT_EQ(e->cmd("y NOOP"),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
            "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n"
            "* 1 FETCH (FLAGS ($Work))\r\n"
            "y OK NOOP completed.\r\n");
  // Known from now on: no second announcement.
  alice()->store_flags("INBOX", uids, -1, 0, kw);
  EXPECT_EQ(c->cmd("b NOOP"), "* 1 FETCH (FLAGS ())\r\nb OK NOOP completed.\r\n");
  // A STORE of this session creating a keyword: FLAGS first (Dovecot).
  std::string r = c->cmd("c STORE 1 +FLAGS (NewOne)");
  EXPECT_EQ(r.find("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work NewOne)\r\n"), 0u) << r;
  EXPECT_NE(r.find("* 1 FETCH (FLAGS (NewOne))\r\n"), std::string::npos) << r;
}

TEST_F(ImapExtensionsTest, SelectedMailboxDeletedByAnotherSessionEndsTheConnection) {
  alice()->create_mailbox("Work");
  auto c = login();
  c->cmd("a SELECT Work");
  alice()->delete_mailbox("Work");
  EXPECT_EQ(c->cmd("b NOOP"), "* BYE Selected mailbox was deleted, have to disconnect.\r\n");
  EXPECT_TRUE(c->closed());
}

}  // namespace
}  // namespace loft::imap::testing

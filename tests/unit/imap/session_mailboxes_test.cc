// Mailbox management in the authenticated state: CREATE, DELETE, RENAME,
// SUBSCRIBE/UNSUBSCRIBE, STATUS, LIST and LSUB, over a real store.
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

class ImapMailboxesTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
};

TEST_F(ImapMailboxesTest, CreateListAndDelete) {
  auto c = login();
  EXPECT_EQ(c->cmd("a CREATE Work"), "a OK Create completed.\r\n");
  EXPECT_TRUE(alice()->mailbox_exists("Work"));
  EXPECT_EQ(c->cmd("b CREATE Work"), "b NO [ALREADYEXISTS] Mailbox already exists\r\n");
  EXPECT_EQ(c->cmd("c CREATE inbox"), "c NO [ALREADYEXISTS] Mailbox already exists\r\n");
  EXPECT_EQ(c->cmd("d CREATE Projects/"), "d OK Create completed.\r\n");
  EXPECT_TRUE(alice()->mailbox_exists("Projects"));
  // INBOX first, then by name (the store also made the special-use ones).
  std::string r = c->cmd("e LIST \"\" *");
  const std::string inbox = "* LIST (\\HasNoChildren) \"/\" INBOX\r\n";
  EXPECT_EQ(r.substr(0, inbox.size()), inbox) << r;
  size_t p = r.find("* LIST (\\HasNoChildren) \"/\" Projects\r\n");
  size_t w = r.find("* LIST (\\HasNoChildren) \"/\" Work\r\n");
  ASSERT_NE(p, std::string::npos) << r;
  ASSERT_NE(w, std::string::npos) << r;
  EXPECT_LT(p, w);
  EXPECT_EQ(r.substr(r.size() - 22), "e OK List completed.\r\n");
  EXPECT_EQ(c->cmd("f DELETE Work"), "f OK Delete completed.\r\n");
  EXPECT_FALSE(alice()->mailbox_exists("Work"));
  EXPECT_EQ(c->cmd("g DELETE Work"), "g NO [NONEXISTENT] Mailbox doesn't exist: Work\r\n");
  EXPECT_EQ(c->cmd("h DELETE INBOX"), "h NO [CANNOT] INBOX can't be deleted.\r\n");
  EXPECT_EQ(c->cmd("i CREATE"), "i BAD Error in IMAP command CREATE: Invalid arguments\r\n");
}

TEST_F(ImapMailboxesTest, ListHierarchyPatternsAndInternationalNames) {
  alice()->create_mailbox("Archive/2024");
  alice()->create_mailbox("Entwürfe");
  auto c = login();
  std::string r = c->cmd("a LIST \"\" %");
  EXPECT_NE(r.find("* LIST (\\HasChildren \\Archive) \"/\" Archive\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("Archive/2024"), std::string::npos) << r;
  EXPECT_NE(r.find("* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe\r\n"), std::string::npos) << r;
  r = c->cmd("b LIST Archive/ %");
  EXPECT_EQ(r, "* LIST (\\HasNoChildren) \"/\" Archive/2024\r\nb OK List completed.\r\n");
  EXPECT_EQ(c->cmd("c LIST \"\" \"\""), "* LIST (\\Noselect) \"/\" \"\"\r\nc OK List completed.\r\n");
  EXPECT_EQ(c->cmd("d LIST \"\" nothing*"), "d OK List completed.\r\n");
  // After ENABLE IMAP4rev2 names are UTF-8 on the wire.
  c->cmd("e ENABLE IMAP4rev2");
  r = c->cmd("f LIST \"\" Entw*");
  EXPECT_NE(r.find("Entwürfe"), std::string::npos) << r;
  EXPECT_EQ(r.find("&APw-"), std::string::npos) << r;
}

TEST_F(ImapMailboxesTest, SubscribeAndLsub) {
  alice()->create_mailbox("News");
  alice()->create_mailbox("Spam");
  auto c = login();
  EXPECT_EQ(c->cmd("a SUBSCRIBE News"), "a OK Subscribe completed.\r\n");
  EXPECT_EQ(c->cmd("b LSUB \"\" N*"), "* LSUB () \"/\" News\r\nb OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("c LIST (SUBSCRIBED) \"\" N*"),
            "* LIST (\\Subscribed) \"/\" News\r\nc OK List completed.\r\n");
  EXPECT_EQ(c->cmd("d UNSUBSCRIBE News"), "d OK Unsubscribe completed.\r\n");
  EXPECT_EQ(c->cmd("e LSUB \"\" N*"), "e OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("f LSUB \"\" Spam"), "f OK Lsub completed.\r\n");
}

TEST_F(ImapMailboxesTest, RenameKeepsMessages) {
  alice()->create_mailbox("Old");
  deliver("Subject: r\r\n\r\nx\r\n", "alice", 0, "Old");
  auto c = login();
  EXPECT_EQ(c->cmd("a RENAME Old New"), "a OK Rename completed.\r\n");
  EXPECT_FALSE(alice()->mailbox_exists("Old"));
  EXPECT_EQ(alice()->list_messages("New").size(), 1u);
  EXPECT_EQ(c->cmd("b RENAME Old Other"), "b NO [NONEXISTENT] Mailbox doesn't exist: Old\r\n");
  EXPECT_EQ(c->cmd("c RENAME New INBOX"), "c NO [ALREADYEXISTS] Target mailbox already exists\r\n");
}

// RFC 3501 6.3.6 / RFC 9051 6.3.9: DELETE keeps the subscription. Dovecot's
// answers, byte for byte (but '/' for its '.').
TEST_F(ImapMailboxesTest, SubscriptionOutlivesItsMailbox) {
  auto c = login();
  c->cmd("a1 CREATE gone");
  c->cmd("a2 CREATE gone/kid");
  EXPECT_EQ(c->cmd("b SUBSCRIBE gone"), "b OK Subscribe completed.\r\n");
  EXPECT_EQ(c->cmd("c SUBSCRIBE gone/kid"), "c OK Subscribe completed.\r\n");
  EXPECT_EQ(c->cmd("d DELETE gone/kid"), "d OK Delete completed.\r\n");
  EXPECT_EQ(c->cmd("e DELETE gone"), "e OK Delete completed.\r\n");
  EXPECT_EQ(c->cmd("f LSUB \"\" g*"),
            "* LSUB () \"/\" gone\r\n* LSUB () \"/\" gone/kid\r\nf OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("g LSUB \"\" g%"), "* LSUB () \"/\" gone\r\ng OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("h LIST (SUBSCRIBED) \"\" g*"),
            "* LIST (\\Subscribed \\NonExistent) \"/\" gone\r\n"
            "* LIST (\\Subscribed \\NonExistent) \"/\" gone/kid\r\nh OK List completed.\r\n");
  EXPECT_EQ(c->cmd("i LIST (SUBSCRIBED RECURSIVEMATCH) \"\" g%"),
            "* LIST (\\Subscribed \\NonExistent) \"/\" gone (CHILDINFO (\"SUBSCRIBED\"))\r\n"
            "i OK List completed.\r\n");
  // Not part of the mailbox tree.
  EXPECT_EQ(c->cmd("j LIST \"\" g*"), "j OK List completed.\r\n");
  EXPECT_EQ(c->cmd("k LIST \"\" g* RETURN (SUBSCRIBED)"), "k OK List completed.\r\n");
  EXPECT_EQ(c->cmd("l LIST \"\" %").find("gone"), std::string::npos);
  // UNSUBSCRIBE works on the bare name, and on one never subscribed.
  EXPECT_EQ(c->cmd("m UNSUBSCRIBE gone"), "m OK Unsubscribe completed.\r\n");
  EXPECT_EQ(c->cmd("n UNSUBSCRIBE never"), "n OK Unsubscribe completed.\r\n");
  EXPECT_EQ(c->cmd("o LSUB \"\" g*"), "* LSUB () \"/\" gone/kid\r\no OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("p LSUB \"\" g%"), "* LSUB (\\Noselect) \"/\" gone\r\np OK Lsub completed.\r\n");
  // A mailbox created again under a subscribed name is listed subscribed.
  c->cmd("q CREATE gone/kid");
  EXPECT_EQ(c->cmd("r LIST (SUBSCRIBED) \"\" g*"),
            "* LIST (\\Subscribed) \"/\" gone/kid\r\nr OK List completed.\r\n");
}

TEST_F(ImapMailboxesTest, SubscribeWantsAnExistingMailbox) {
  auto c = login();
  // Dovecot 2.3: no response code.
  EXPECT_EQ(c->cmd("a SUBSCRIBE never"), "a NO Mailbox doesn't exist: never\r\n");
  EXPECT_EQ(c->cmd("b LSUB \"\" never"), "b OK Lsub completed.\r\n");
  EXPECT_EQ(c->cmd("c SUBSCRIBE"), "c BAD Error in IMAP command SUBSCRIBE: Invalid arguments\r\n");
}

TEST_F(ImapMailboxesTest, RenameTakesSubscriptionsAlong) {
  alice()->create_mailbox("a");
  alice()->create_mailbox("a/x");
  alice()->create_mailbox("ab");
  auto c = login();
  c->cmd("s1 SUBSCRIBE a");
  c->cmd("s2 SUBSCRIBE a/x");
  c->cmd("s3 SUBSCRIBE ab");
  EXPECT_EQ(c->cmd("r RENAME a c"), "r OK Rename completed.\r\n");
  std::string r = c->cmd("l LSUB \"\" *");
  EXPECT_NE(r.find("* LSUB () \"/\" c\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("* LSUB () \"/\" c/x\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("* LSUB () \"/\" ab\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("\" a\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("\" a/x\r\n"), std::string::npos) << r;
}

TEST_F(ImapMailboxesTest, RenameInboxMovesItsMessages) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kSeen);
  deliver("Subject: 2\r\n\r\nx\r\n");
  alice()->create_mailbox("INBOX/kid");
  const store::MailboxStatus before = alice()->status("INBOX");
  auto c = select();
  auto other = select();
  // The session with INBOX selected hears the expunges at once.
  EXPECT_EQ(c->cmd("a RENAME INBOX \"Old Inbox\""),
            "* 2 EXPUNGE\r\n* 1 EXPUNGE\r\na OK Rename completed.\r\n");
  EXPECT_EQ(other->cmd("n NOOP"), "* 2 EXPUNGE\r\n* 1 EXPUNGE\r\nn OK NOOP completed.\r\n");
  const store::MailboxStatus moved = alice()->status("Old Inbox");
  EXPECT_EQ(c->cmd("b STATUS \"Old Inbox\" (MESSAGES UIDNEXT UIDVALIDITY)"),
            "* STATUS \"Old Inbox\" (MESSAGES 2 UIDNEXT 3 UIDVALIDITY " + std::to_string(moved.uidvalidity) +
                ")\r\nb OK Status completed.\r\n");
  EXPECT_NE(moved.uidvalidity, before.uidvalidity);
  EXPECT_EQ(c->cmd("c STATUS INBOX (MESSAGES UIDNEXT)"),
            "* STATUS INBOX (MESSAGES 0 UIDNEXT 3)\r\nc OK Status completed.\r\n");
  EXPECT_TRUE(alice()->mailbox_exists("INBOX/kid"));
  EXPECT_FALSE(alice()->mailbox_exists("Old Inbox/kid"));
  // INBOX is still selected and usable.
  EXPECT_EQ(c->cmd("d SEARCH ALL"), "* SEARCH\r\nd OK Search completed.\r\n");
  deliver("Subject: 3\r\n\r\nx\r\n");
  EXPECT_EQ(c->cmd("e NOOP"), "* 1 EXISTS\r\ne OK NOOP completed.\r\n");
  // Errors.
  EXPECT_EQ(c->cmd("f RENAME inbox \"Old Inbox\""), "f NO [ALREADYEXISTS] Mailbox already exists\r\n");
  EXPECT_EQ(c->cmd("g RENAME INBOX inbox"), "g NO [ALREADYEXISTS] Target mailbox already exists\r\n");
  EXPECT_EQ(alice()->list_messages("INBOX").size(), 1u);
}

TEST_F(ImapMailboxesTest, StatusReportsCounts) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kSeen);
  deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kDeleted);
  store::MailboxStatus st = alice()->status("INBOX");
  auto c = login();
  EXPECT_EQ(c->cmd("a STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT DELETED SIZE)"),
            "* STATUS INBOX (MESSAGES 2 RECENT 0 UIDNEXT 3 UIDVALIDITY " + std::to_string(st.uidvalidity) +
                " UNSEEN 1 SIZE " + std::to_string(st.size) + " DELETED 1)\r\na OK Status completed.\r\n");
  EXPECT_EQ(c->cmd("b STATUS Nope (MESSAGES)"), "b NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n");
  EXPECT_EQ(c->cmd("c STATUS INBOX (BOGUS)"), "c BAD Error in IMAP command STATUS: Invalid status item BOGUS\r\n");
}

TEST_F(ImapMailboxesTest, DeletingTheSelectedMailboxClosesIt) {
  alice()->create_mailbox("Tmp");
  auto c = login();
  c->cmd("a SELECT Tmp");
  EXPECT_EQ(c->cmd("b DELETE Tmp"), "* OK [CLOSED] Mailbox closed.\r\nb OK Delete completed.\r\n");
  EXPECT_EQ(c->cmd("c UNSELECT"), "c BAD No mailbox selected.\r\n");
}

TEST_F(ImapMailboxesTest, MailboxCommandsNeedLogin) {
  auto c = connect();
  EXPECT_EQ(c->cmd("a LIST \"\" *"), "a BAD Error in IMAP command LIST: Unknown command\r\n");
  EXPECT_EQ(c->cmd("a CREATE x"), "a BAD Error in IMAP command CREATE: Unknown command\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

// APPEND with MULTIAPPEND, APPENDUID, APPENDLIMIT and literal8 over a real
// store: flags, dates, TRYCREATE, refusals before the data, all-or-nothing
// MULTIAPPEND, and EXISTS for the selected mailbox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kMsg = "Subject: x\r\n\r\nbody\r\n";  // 20 octets
const std::string kToobig =
    " NO [TOOBIG] Mail size is larger than the maximum size allowed by server configuration\r\n";

std::string Lit(const std::string& data) { return "{" + std::to_string(data.size()) + "+}\r\n" + data; }

class ImapAppendTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  std::vector<store::MessageInfo> list(const std::string& box = "INBOX") { return alice()->list_messages(box); }
  std::string body(const std::string& box, uint32_t uid) {
    store::MessageFile f = alice()->open_message(box, uid);
    return f.read(0, f.size());
  }
  std::string validity(const std::string& box = "INBOX") {
    return std::to_string(alice()->status(box).uidvalidity);
  }
  void limit(uint64_t n) { ctx_->options.append_limit = n; }
};

TEST_F(ImapAppendTest, AppendStoresFlagsKeywordsAndDate) {
  alice()->create_mailbox("Stash");
  auto c = login();
  EXPECT_EQ(c->send_raw("a APPEND Stash (\\Seen $Work) \"01-Jan-2020 10:00:00 +0100\" " + Lit(kMsg) + "\r\n"),
            "a OK [APPENDUID " + validity("Stash") + " 1] Append completed.\r\n");
  auto msgs = list("Stash");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].flags, store::kSeen);
  EXPECT_THAT(msgs[0].keywords, ElementsAre("$Work"));
  EXPECT_EQ(msgs[0].internal_date, 1577869200);  // 09:00 UTC
  EXPECT_EQ(msgs[0].internal_tz, 60);
  EXPECT_EQ(body("Stash", 1), kMsg);
}

TEST_F(ImapAppendTest, SynchronisingLiteralGetsContinuation) {
  auto c = login();
  EXPECT_EQ(c->send_raw("a APPEND INBOX {20}\r\n"), "+ OK\r\n");
  EXPECT_EQ(c->send_raw(kMsg + "\r\n"), "a OK [APPENDUID " + validity() + " 1] Append completed.\r\n");
  ASSERT_EQ(list().size(), 1u);
  // Bare LF is stored as CRLF.
  EXPECT_EQ(c->send_raw("b APPEND INBOX {8+}\r\nA: b\n\nc\n\r\n"),
            "b OK [APPENDUID " + validity() + " 2] Append completed.\r\n");
  EXPECT_EQ(body("INBOX", 2), "A: b\r\n\r\nc\r\n");
}

// mailbox = astring: the name may come as a literal of its own.
TEST_F(ImapAppendTest, MailboxNameAsLiteral) {
  alice()->create_mailbox("Stash box");
  auto c = login();
  EXPECT_EQ(c->send_raw("a APPEND {9}\r\n"), "+ OK\r\n");
  EXPECT_EQ(c->send_raw("Stash box {20}\r\n"), "+ OK\r\n");
  EXPECT_EQ(c->send_raw(kMsg + "\r\n"),
            "a OK [APPENDUID " + validity("Stash box") + " 1] Append completed.\r\n");
  EXPECT_EQ(c->send_raw("b APPEND " + Lit("Stash box") + " (\\Seen) " + Lit(kMsg) + "\r\n"),
            "b OK [APPENDUID " + validity("Stash box") + " 2] Append completed.\r\n");
  EXPECT_EQ(list("Stash box").size(), 2u);
  // A name too long for a literal is refused before its data.
  EXPECT_EQ(c->send_raw("c APPEND {100000}\r\n"),
            "c BAD Error in IMAP command APPEND: Literal size too large\r\n");
}

TEST_F(ImapAppendTest, AppendToTheSelectedMailboxAnnouncesExists) {
  deliver();
  auto c = select();
  EXPECT_EQ(c->send_raw("a APPEND inbox " + Lit(kMsg) + "\r\n"),
            "* 2 EXISTS\r\na OK [APPENDUID " + validity() + " 2] Append completed.\r\n");
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
}

TEST_F(ImapAppendTest, MultiappendReportsAUidSet) {
  deliver();
  auto c = login();
  EXPECT_EQ(c->send_raw("a APPEND INBOX " + Lit(kMsg) + " (\\Flagged) " + Lit("Subject: 2\r\n\r\n2\r\n") + " " +
                        Lit("Subject: 3\r\n\r\n3\r\n") + "\r\n"),
            "a OK [APPENDUID " + validity() + " 2:4] Append completed.\r\n");
  auto msgs = list();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[1].flags, 0u);
  EXPECT_EQ(msgs[2].flags, store::kFlagged);
  EXPECT_EQ(body("INBOX", 4), "Subject: 3\r\n\r\n3\r\n");
}

TEST_F(ImapAppendTest, MultiappendWithOneTooBigStoresNothing) {
  limit(100);
  auto c = login();
  std::string big(200, 'x');
  // The refused literal is read and thrown away: the connection goes on.
  EXPECT_EQ(c->send_raw("a APPEND INBOX " + Lit(kMsg) + " " + Lit(big) + "\r\n"), "a" + kToobig);
  EXPECT_THAT(list(), IsEmpty());
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
  // A synchronising literal is refused before the data is sent.
  EXPECT_EQ(c->send_raw("c APPEND INBOX {101}\r\n"), "c" + kToobig);
  EXPECT_EQ(c->cmd("d NOOP"), "d OK NOOP completed.\r\n");
  EXPECT_EQ(c->send_raw("e APPEND INBOX {100}\r\n"), "+ OK\r\n");
  EXPECT_EQ(c->send_raw(std::string(100, 'y') + "\r\n").substr(0, 18), "e OK [APPENDUID " + validity().substr(0, 2));
  EXPECT_EQ(list().size(), 1u);
}

TEST_F(ImapAppendTest, MissingMailboxAsksToCreate) {
  auto c = login();
  EXPECT_EQ(c->send_raw("a APPEND Nope " + Lit(kMsg) + "\r\n"), "a NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
  EXPECT_EQ(c->send_raw("b APPEND Nope " + Lit(kMsg) + " " + Lit(kMsg) + "\r\n"),
            "b NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n");
  EXPECT_THAT(list(), IsEmpty());
}

TEST_F(ImapAppendTest, RefusalsBeforeTheData) {
  auto c = login();
  EXPECT_EQ(c->send_raw("a APPEND INBOX {0}\r\n"), "a NO Can't save a zero byte message\r\n");
  EXPECT_EQ(c->send_raw("b APPEND INBOX (\\Recent) {20}\r\n"),
            "b BAD Error in IMAP command APPEND: Invalid system flag \\RECENT\r\n");
  EXPECT_EQ(c->send_raw("c APPEND INBOX \"99-Foo-2020 00:00:00 +0000\" {20}\r\n"),
            "c BAD Error in IMAP command APPEND: Invalid internal date\r\n");
  // With LITERAL+ the data comes anyway and is skipped.
  EXPECT_EQ(c->send_raw("d APPEND INBOX (\\Bogus) " + Lit(kMsg) + "\r\n"),
            "d BAD Error in IMAP command APPEND: Invalid system flag \\BOGUS\r\n");
  EXPECT_EQ(c->send_raw("e APPEND INBOX\r\n"), "e BAD Error in IMAP command APPEND: Missing message size\r\n");
  EXPECT_EQ(c->send_raw("f APPEND\r\n"), "f BAD Error in IMAP command APPEND: Invalid arguments\r\n");
  EXPECT_THAT(list(), IsEmpty());
  EXPECT_EQ(c->cmd("g NOOP"), "g OK NOOP completed.\r\n");
}

TEST_F(ImapAppendTest, Literal8KeepsNuls) {
  auto c = login();
  std::string data("Subject: b\r\n\r\nb\0dy\r\n", 21);
  EXPECT_EQ(c->send_raw("a APPEND INBOX ~{21+}\r\n" + data + "\r\n"),
            "a OK [APPENDUID " + validity() + " 1] Append completed.\r\n");
  EXPECT_EQ(body("INBOX", 1), data);
  EXPECT_EQ(list()[0].size, 21u);
}

TEST_F(ImapAppendTest, DateFarInTheFutureBecomesNow) {
  auto c = login();
  int64_t before = std::time(nullptr);
  c->send_raw("a APPEND INBOX \"01-Jan-2100 00:00:00 +0000\" " + Lit(kMsg) + "\r\n");
  auto msgs = list();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_GE(msgs[0].internal_date, before);
  EXPECT_LE(msgs[0].internal_date, std::time(nullptr) + 1);
}

TEST_F(ImapAppendTest, OtherSessionSeesExistsAtItsNextCommand) {
  auto a = login();
  auto b = select();
  a->send_raw("x APPEND INBOX " + Lit(kMsg) + "\r\n");
  EXPECT_EQ(b->poll(), "");
  EXPECT_EQ(b->cmd("y NOOP"), "* 1 EXISTS\r\ny OK NOOP completed.\r\n");
}


// The literals of APPENDs in all sessions share Options::message_memory:
// room is taken when a literal is announced, before its data, and given
// back when the command is done, whatever its outcome.
TEST_F(ImapAppendTest, LiteralsShareTheServersMessageMemory) {
  const std::string kLimitNo = " NO [LIMIT] Too many messages are being received at once, try again later\r\n";
  const std::string msg40 = "Subject: y\r\n\r\n" + std::string(24, 'z') + "\r\n";
  ASSERT_EQ(msg40.size(), 40u);
  util::ByteBudget budget(100);
  ctx_->options.message_memory = &budget;
  auto a = login();
  auto b = login();
  EXPECT_EQ(a->send_raw("a1 APPEND INBOX {60}\r\n"), "+ OK\r\n");
  EXPECT_EQ(budget.in_use(), 60u);  // held while the data is outstanding
  EXPECT_EQ(b->send_raw("b1 APPEND INBOX {60}\r\n"), "b1" + kLimitNo);
  // A refused non-synchronising literal is read and dropped, then answered.
  EXPECT_EQ(b->send_raw("b2 APPEND INBOX {60+}\r\n" + std::string(60, 'q') + "\r\n"), "b2" + kLimitNo);
  EXPECT_EQ(budget.in_use(), 60u);
  EXPECT_EQ(b->send_raw("b3 APPEND INBOX {40}\r\n"), "+ OK\r\n");
  EXPECT_EQ(b->send_raw(msg40 + "\r\n"), "b3 OK [APPENDUID " + validity() + " 1] Append completed.\r\n");
  EXPECT_EQ(budget.in_use(), 60u);
  // A MULTIAPPEND whose second literal does not fit stores nothing and
  // gives back the first one's room.
  EXPECT_EQ(b->send_raw("b4 APPEND INBOX {40}\r\n"), "+ OK\r\n");
  EXPECT_EQ(b->send_raw(msg40 + " {40}\r\n"), "b4" + kLimitNo);
  EXPECT_EQ(budget.in_use(), 60u);
  const std::string msg60 = "Subject: x\r\n\r\n" + std::string(44, 'w') + "\r\n";
  ASSERT_EQ(msg60.size(), 60u);
  EXPECT_EQ(a->send_raw(msg60 + "\r\n"), "a1 OK [APPENDUID " + validity() + " 2] Append completed.\r\n");
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_EQ(list().size(), 2u);
  // A session that goes away mid-literal gives its room back.
  EXPECT_EQ(a->send_raw("a2 APPEND INBOX {100}\r\n"), "+ OK\r\n");
  EXPECT_EQ(budget.in_use(), 100u);
  a.reset();
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace loft::imap::testing

// TRANSACTION and UPDATE states: STAT, LIST, UIDL, DELE, RSET, NOOP, QUIT,
// the \Seen and deletion updates at QUIT, UIDL stability, pipelining.
#include <cstdio>
#include <map>

#include "pop3/session.h"
#include "pop3_test_support.h"

namespace loft::pop3::testing {
namespace {

using namespace std::chrono_literals;

const std::string kMsg1 = "Subject: a\r\nFrom: x@y\r\n\r\nline1\r\n.dot\r\nline3\r\n";
const std::string kMsg2 = "Subject: b\r\n\r\nsecond\r\n";
const std::string kMsg3 = "Subject: c\r\n\r\nthird message\r\n";

// "n id" per line from a UIDL listing.
std::map<int, std::string> parse_uidl(const std::string& listing) {
  std::map<int, std::string> r;
  size_t pos = listing.find("\r\n") + 2;
  while (pos < listing.size()) {
    size_t end = listing.find("\r\n", pos);
    std::string line = listing.substr(pos, end - pos);
    pos = end + 2;
    if (line == ".") break;
    size_t sp = line.find(' ');
    r[std::stoi(line.substr(0, sp))] = line.substr(sp + 1);
  }
  return r;
}

class Pop3TransactionTest : public Pop3Test {
 protected:
  void SetUp() override {
    Pop3Test::SetUp();
    uids_ = {deliver(kMsg1), deliver(kMsg2), deliver(kMsg3)};
  }

  store::MailboxStatus status() { return store_->user("alice")->status("INBOX"); }
  std::vector<store::MessageInfo> messages() { return store_->user("alice")->list_messages("INBOX"); }
  std::string uidl_of(uint32_t uid) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08x%08x", uid, status().uidvalidity);
    return buf;
  }
  std::vector<uint32_t> uids_;
};

TEST_F(Pop3TransactionTest, StatAndList) {
  auto c = login();
  EXPECT_EQ(c->cmd("STAT"), "+OK 3 " + std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size()) + "\r\n");
  EXPECT_EQ(c->cmd("LIST"), "+OK 3 messages:\r\n1 " + std::to_string(kMsg1.size()) + "\r\n2 " +
                                std::to_string(kMsg2.size()) + "\r\n3 " + std::to_string(kMsg3.size()) +
                                "\r\n.\r\n");
  EXPECT_EQ(c->cmd("LIST 2"), "+OK 2 " + std::to_string(kMsg2.size()) + "\r\n");
  EXPECT_EQ(c->cmd("list  3"), "+OK 3 " + std::to_string(kMsg3.size()) + "\r\n");
}

TEST_F(Pop3TransactionTest, MessageNumberErrorsAsDovecot) {
  auto c = login();
  EXPECT_EQ(c->cmd("LIST 0"), "-ERR There's no message 0.\r\n");
  EXPECT_EQ(c->cmd("LIST 4"), "-ERR There's no message 4.\r\n");
  EXPECT_EQ(c->cmd("LIST x"), "-ERR Invalid message number: x\r\n");
  EXPECT_EQ(c->cmd("LIST 1 2"), "-ERR Noise after message number:  2\r\n");
  EXPECT_EQ(c->cmd("LIST 1x"), "-ERR Noise after message number: x\r\n");
  EXPECT_EQ(c->cmd("LIST 99999999999999"), "-ERR Message number too large: \r\n");
  EXPECT_EQ(c->cmd("RETR"), "-ERR Invalid message number: \r\n");
  EXPECT_EQ(c->cmd("RETR 9"), "-ERR There's no message 9.\r\n");
  EXPECT_EQ(c->cmd("DELE -1"), "-ERR Invalid message number: -1\r\n");
  EXPECT_EQ(c->cmd("UIDL 7"), "-ERR There's no message 7.\r\n");
  EXPECT_EQ(c->cmd("TOP 1"), "-ERR Noise after message number: \r\n");
  EXPECT_EQ(c->cmd("TOP 1 x"), "-ERR Invalid size: x\r\n");
  EXPECT_EQ(c->cmd("TOP 1 1 1"), "-ERR Noise after size:  1\r\n");
  EXPECT_EQ(c->cmd("TOP 4 1"), "-ERR There's no message 4.\r\n");
}

TEST_F(Pop3TransactionTest, AuthorizationCommandsAreUnknownAfterLogin) {
  auto c = login();
  EXPECT_EQ(c->cmd("USER bob"), "-ERR Unknown command: USER\r\n");
  EXPECT_EQ(c->cmd("PASS x"), "-ERR Unknown command: PASS\r\n");
  EXPECT_EQ(c->cmd("AUTH"), "-ERR Unknown command: AUTH\r\n");
  EXPECT_EQ(c->cmd("APOP a b"), "-ERR Unknown command: APOP\r\n");
  EXPECT_EQ(c->cmd("STLS"), "-ERR Unknown command: STLS\r\n");
  EXPECT_EQ(c->cmd("foo"), "-ERR Unknown command: FOO\r\n");
}

TEST_F(Pop3TransactionTest, CapaAndNoop) {
  auto c = login();
  EXPECT_EQ(c->cmd("CAPA"),
            "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nIMPLEMENTATION "
            "Loft\r\n.\r\n");
  EXPECT_EQ(c->cmd("NOOP"), "+OK\r\n");
  EXPECT_EQ(c->cmd("noop x"), "+OK\r\n");
}

TEST_F(Pop3TransactionTest, UidlFormat) {
  auto c = login();
  EXPECT_EQ(c->cmd("UIDL"), "+OK\r\n1 " + uidl_of(uids_[0]) + "\r\n2 " + uidl_of(uids_[1]) + "\r\n3 " +
                                uidl_of(uids_[2]) + "\r\n.\r\n");
  EXPECT_EQ(c->cmd("UIDL 2"), "+OK 2 " + uidl_of(uids_[1]) + "\r\n");
  EXPECT_EQ(uidl_of(uids_[1]).size(), 16u);
}

TEST_F(Pop3TransactionTest, DeleAndRset) {
  auto c = login();
  EXPECT_EQ(c->cmd("DELE 2"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("DELE 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(c->cmd("RETR 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(c->cmd("TOP 2 0"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(c->cmd("LIST 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(c->cmd("UIDL 2"), "-ERR Message is deleted.\r\n");
  EXPECT_EQ(c->cmd("STAT"), "+OK 2 " + std::to_string(kMsg1.size() + kMsg3.size()) + "\r\n");
  EXPECT_EQ(c->cmd("LIST"), "+OK 2 messages:\r\n1 " + std::to_string(kMsg1.size()) + "\r\n3 " +
                                std::to_string(kMsg3.size()) + "\r\n.\r\n");
  EXPECT_EQ(c->cmd("UIDL"), "+OK\r\n1 " + uidl_of(uids_[0]) + "\r\n3 " + uidl_of(uids_[2]) + "\r\n.\r\n");
  EXPECT_EQ(c->cmd("RSET"), "+OK\r\n");
  EXPECT_EQ(c->cmd("STAT"), "+OK 3 " + std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size()) + "\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out.\r\n");
  EXPECT_EQ(messages().size(), 3u);
}

TEST_F(Pop3TransactionTest, QuitDeletesAtomicallyAndNewSessionSeesIt) {
  auto c = login();
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("DELE 3"), "+OK Marked to be deleted.\r\n");
  // Not applied before QUIT.
  EXPECT_EQ(messages().size(), 3u);
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out, messages deleted.\r\n");
  EXPECT_TRUE(c->closed());
  auto left = messages();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].uid, uids_[1]);
  auto d = login();
  EXPECT_EQ(d->cmd("STAT"), "+OK 1 " + std::to_string(kMsg2.size()) + "\r\n");
  EXPECT_EQ(d->cmd("UIDL"), "+OK\r\n1 " + uidl_of(uids_[1]) + "\r\n.\r\n");
}

TEST_F(Pop3TransactionTest, NoDeletionWithoutQuit) {
  auto c = login();
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  std::string r = c->cmd("RETR 2");
  EXPECT_EQ(r.rfind("+OK", 0), 0u);
  c->host.drop();
  EXPECT_EQ(messages().size(), 3u);
  for (const auto& m : messages()) EXPECT_EQ(m.flags & store::kSeen, 0u);
  auto d = login();
  EXPECT_EQ(d->cmd("STAT"), "+OK 3 " + std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size()) + "\r\n");
}

TEST_F(Pop3TransactionTest, NoDeletionOnTimeout) {
  auto c = login();
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  c->session->on_timeout();
  c->host.run();
  EXPECT_EQ(c->host.take(), "-ERR Disconnected for inactivity.\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(messages().size(), 3u);
  EXPECT_FALSE(locks_.is_locked("alice"));
}

TEST_F(Pop3TransactionTest, RetrMarksSeenAtQuitTopDoesNot) {
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 1").rfind("+OK", 0), 0u);
  EXPECT_EQ(c->cmd("TOP 2 0").rfind("+OK", 0), 0u);
  EXPECT_EQ(messages()[0].flags & store::kSeen, 0u);  // not before QUIT
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out.\r\n");
  auto m = messages();
  EXPECT_NE(m[0].flags & store::kSeen, 0u);
  EXPECT_EQ(m[1].flags & store::kSeen, 0u);
  EXPECT_EQ(m[2].flags & store::kSeen, 0u);
}

TEST_F(Pop3TransactionTest, RsetForgetsSeenUpdates) {
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 1").rfind("+OK", 0), 0u);
  EXPECT_EQ(c->cmd("RSET"), "+OK\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out.\r\n");
  EXPECT_EQ(messages()[0].flags & store::kSeen, 0u);
}

TEST_F(Pop3TransactionTest, RetrievedAndDeletedMessageIsOnlyExpunged) {
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 1").rfind("+OK", 0), 0u);
  EXPECT_EQ(c->cmd("RETR 2").rfind("+OK", 0), 0u);
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out, messages deleted.\r\n");
  auto m = messages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].uid, uids_[1]);
  EXPECT_NE(m[0].flags & store::kSeen, 0u);
}

TEST_F(Pop3TransactionTest, StoreErrorAtQuitDeletesNothing) {
  auto c = login();
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("RETR 2").rfind("+OK", 0), 0u);
  faults_.expunge = true;
  std::string r = c->cmd("QUIT");
  EXPECT_EQ(r.rfind("-ERR [SYS/TEMP] ", 0), 0u) << r;
  EXPECT_EQ(r.find("\r\n"), r.size() - 2);
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(messages().size(), 3u);
  EXPECT_FALSE(locks_.is_locked("alice"));

  faults_.expunge = false;
  faults_.store_flags = true;
  auto d = login();
  EXPECT_EQ(d->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(d->cmd("RETR 3").rfind("+OK", 0), 0u);  // 2 got \Seen above: flags were stored first
  r = d->cmd("QUIT");
  EXPECT_EQ(r.rfind("-ERR [SYS/TEMP] ", 0), 0u) << r;
  EXPECT_EQ(messages().size(), 3u);  // the flag failure stopped the expunge too
}

TEST_F(Pop3TransactionTest, UidlStableAcrossSessionsAndExpunges) {
  auto c = login();
  auto first = parse_uidl(c->cmd("UIDL"));
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out, messages deleted.\r\n");

  // Another client (IMAP) expunges too, and new mail arrives.
  std::vector<uint32_t> gone = {uids_[2]};
  store_->user("alice")->expunge("INBOX", gone);
  uint32_t fresh = deliver("Subject: new\r\n\r\nnew\r\n");

  auto d = login();
  auto second = parse_uidl(d->cmd("UIDL"));
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1], first[2]);  // message 2 of before is message 1 now, same id
  EXPECT_EQ(second[2], uidl_of(fresh));
  for (const auto& [n, id] : first) EXPECT_NE(second[2], id);  // ids are never reused
  EXPECT_EQ(d->cmd("QUIT"), "+OK Logging out.\r\n");

  auto e = login();
  EXPECT_EQ(parse_uidl(e->cmd("UIDL")), second);
}

TEST_F(Pop3TransactionTest, SnapshotIsFixedForTheSession) {
  auto c = login();
  deliver("Subject: later\r\n\r\nlater\r\n");
  EXPECT_EQ(c->cmd("STAT").rfind("+OK 3 ", 0), 0u);
  EXPECT_EQ(c->cmd("LIST 4"), "-ERR There's no message 4.\r\n");
}

TEST_F(Pop3TransactionTest, RetrOfMessageExpungedByAnotherClient) {
  auto c = login();
  std::vector<uint32_t> gone = {uids_[0]};
  store_->user("alice")->expunge("INBOX", gone);
  EXPECT_EQ(c->cmd("RETR 1"), "-ERR Message 1 expunged.\r\n");
  EXPECT_EQ(c->cmd("RETR 2").rfind("+OK", 0), 0u);
  EXPECT_EQ(c->cmd("DELE 1"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out, messages deleted.\r\n");
  EXPECT_EQ(messages().size(), 2u);
}

TEST_F(Pop3TransactionTest, StoreErrorOpeningMessage) {
  auto c = login();
  faults_.open = true;
  std::string r = c->cmd("RETR 1");
  EXPECT_EQ(r.rfind("-ERR [SYS/TEMP] ", 0), 0u) << r;
  faults_.open = false;
  EXPECT_EQ(c->cmd("NOOP"), "+OK\r\n");
}

TEST_F(Pop3TransactionTest, PipelinedCommandsAnswerInOrder) {
  auto c = login();
  std::string r = c->send_raw("STAT\r\nRETR 2\r\nLIST 2\r\nTOP 3 0\r\nDELE 1\r\nUIDL 3\r\nQUIT\r\n");
  std::string expected = "+OK 3 " + std::to_string(kMsg1.size() + kMsg2.size() + kMsg3.size()) + "\r\n" +
                         "+OK " + std::to_string(kMsg2.size()) + " octets\r\n" + kMsg2 + ".\r\n" + "+OK 2 " +
                         std::to_string(kMsg2.size()) + "\r\n" + "+OK\r\nSubject: c\r\n\r\n.\r\n" +
                         "+OK Marked to be deleted.\r\n" + "+OK 3 " + uidl_of(uids_[2]) + "\r\n" +
                         "+OK Logging out, messages deleted.\r\n";
  EXPECT_EQ(r, expected);
  EXPECT_EQ(messages().size(), 2u);
}

TEST_F(Pop3TransactionTest, TooManyBadCommands) {
  ctx_->options.max_bad_commands = 2;
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 9"), "-ERR There's no message 9.\r\n");
  EXPECT_EQ(c->cmd("RETR 9"), "-ERR There's no message 9.\r\n-ERR Too many bad commands.\r\n");
  EXPECT_TRUE(c->closed());
  EXPECT_FALSE(locks_.is_locked("alice"));
}

TEST_F(Pop3TransactionTest, RandomCommandsNeverBreakTheSession) {
  ctx_->options.max_bad_commands = 0;  // no limit: keep going whatever comes
  auto c = login();
  const char* words[] = {"STAT", "LIST", "UIDL", "RETR", "TOP", "DELE",  "NOOP", "RSET", "CAPA",
                         "USER", "AUTH", "list", "x",    "",    "TOP 1", "STLS", "APOP"};
  const char* args[] = {"",      " 1",   " 2",  " 3",  " 4",           " 0",        " -1",
                        " 1 0",  " 2 5", " 1x", "  3", " 99999999999", " \x01\xff", " 3 18446744073709551616",
                        " 1 1 1"};
  uint32_t seed = 12345;
  auto rnd = [&](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  std::string batch;
  for (int i = 0; i < 400; ++i) {
    batch +=
        std::string(words[rnd(std::size(words))]) + args[rnd(std::size(args))] + (rnd(4) ? "\r\n" : "\n");
    if (rnd(8) == 0) {
      // Delivered in arbitrary pieces.
      size_t cut = rnd(static_cast<uint32_t>(batch.size()) + 1);
      c->send_raw(batch.substr(0, cut));
      c->send_raw(batch.substr(cut));
      batch.clear();
    }
  }
  c->send_raw(batch);
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("NOOP"), "+OK\r\n");
  EXPECT_EQ(c->cmd("RSET"), "+OK\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out.\r\n");
  EXPECT_EQ(messages().size(), 3u);
}

TEST_F(Pop3Test, EmptyMaildrop) {
  auto c = login();
  EXPECT_EQ(c->cmd("STAT"), "+OK 0 0\r\n");
  EXPECT_EQ(c->cmd("LIST"), "+OK 0 messages:\r\n.\r\n");
  EXPECT_EQ(c->cmd("UIDL"), "+OK\r\n.\r\n");
  EXPECT_EQ(c->cmd("RETR 1"), "-ERR There's no message 1.\r\n");
  EXPECT_EQ(c->cmd("QUIT"), "+OK Logging out.\r\n");
}

TEST_F(Pop3Test, MailDroppedIntoNewIsPickedUpAtLogin) {
  deliver("Subject: x\r\n\r\nx\r\n");  // creates the maildir
  std::filesystem::path newdir = dir_ / "mail" / "alice" / "Maildir" / "new";
  ASSERT_TRUE(std::filesystem::is_directory(newdir));
  {
    std::FILE* f = std::fopen((newdir / "1700000000.M1P1.host").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("Subject: dropped\r\n\r\nhi\r\n", f);
    std::fclose(f);
  }
  auto c = login();
  EXPECT_EQ(c->cmd("STAT").rfind("+OK 2 ", 0), 0u);
}

TEST_F(Pop3Test, LargeListingIsPacedByTheClient) {
  // Enough messages that UIDL output passes the high-water mark.
  auto mail = store_->user("alice");
  const int n = 12000;
  for (int i = 0; i < n; ++i) deliver("S: " + std::to_string(i) + "\r\n\r\nb\r\n");
  auto c = login();
  c->host.auto_drain = false;
  c->host.take();
  c->host.feed("UIDL\r\nSTAT\r\n");
  EXPECT_LT(c->host.max_pending, Pop3Session::kHighWater + 64 * 1024);
  int rounds = 0;
  while (c->host.pending > 0 && rounds < 1000) {
    c->host.drain();
    c->host.run();
    ++rounds;
  }
  EXPECT_GT(rounds, 1);
  std::string out = c->host.take();
  EXPECT_EQ(parse_uidl(out.substr(0, out.find(".\r\n") + 3)).size(), static_cast<size_t>(n));
  uint64_t total = 0;
  for (const auto& m : mail->list_messages("INBOX")) total += m.size;
  std::string stat = "\r\n.\r\n+OK " + std::to_string(n) + " " + std::to_string(total) + "\r\n";
  ASSERT_GT(out.size(), stat.size());
  EXPECT_EQ(out.substr(out.size() - stat.size()), stat);  // STAT waited for the listing
}

}  // namespace
}  // namespace loft::pop3::testing

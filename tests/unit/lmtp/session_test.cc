// Drives LMTP sessions through a FakeHost against a real Maildir store and a
// real user database.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <regex>

#include "auth/auth.h"
#include "fake_host.h"
#include "lmtp/lmtp.h"
#include "store/store.h"

namespace loft::lmtp {
namespace {

namespace fs = std::filesystem;
using testing::FakeHost;

fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "lmtp-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

const char kLhloReply[] =
    "250-mx.test\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-PIPELINING\r\n"
    "250 SIZE 1000000\r\n";

// The users are shared by all tests (argon2 makes adding them slow); every
// test gets a fresh mail store.
class LmtpSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    users_dir_ = new fs::path(make_temp_dir());
    users_ = auth::UserDb::open(*users_dir_ / "users.db").release();
    users_->add("alice", "pw");
    users_->add("bob", "pw");
  }
  static void TearDownTestSuite() {
    delete users_;
    users_ = nullptr;
    fs::remove_all(*users_dir_);
    delete users_dir_;
  }

  void SetUp() override {
    dir_ = make_temp_dir();
    store::MaildirOptions so;
    so.root = dir_ / "mail";
    so.fsync = false;
    store_ = store::open_maildir_store(so);
    options_.hostname = "mx.test";
    options_.max_message_size = 1000000;
  }
  void TearDown() override {
    session_.reset();
    host_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // Opens a session (greeting consumed and checked).
  void start() { start_with(*store_); }
  void start_with(store::Store& store) {
    ctx_ = std::make_unique<Context>(Context{store, *users_, options_});
    host_ = std::make_unique<FakeHost>();
    session_ = make_session(*ctx_, *host_);
    host_->attach(session_.get());
    session_->on_open();
    EXPECT_EQ(host_->take_output(), "220 mx.test Loft LMTP ready\r\n");
  }

  // Sends input, runs everything that follows from it, returns the replies.
  std::string send(std::string_view in) {
    host_->feed(in);
    return host_->take_output();
  }

  std::vector<std::string> messages(const std::string& user, const std::string& mailbox) {
    auto us = store_->user(user);
    std::vector<std::string> out;
    for (const store::MessageInfo& m : us->list_messages(mailbox))
      out.push_back(us->open_message(mailbox, m.uid).read(0, m.size + 1));
    return out;
  }

  static std::string id_of(const std::string& reply_line) {
    std::smatch m;
    static const std::regex re(R"(^250 2\.0\.0 <[^>]*> ([A-Za-z0-9+/]{22}) Saved)");
    if (!std::regex_search(reply_line, m, re)) return {};
    return m[1];
  }

  // Dovecot's header block for a session from 127.0.0.1 that said LHLO client.test.
  static std::string expected_trace_regex(const std::string& sender, const std::string& rcpt,
                                          const std::string& id) {
    std::string dt = rcpt.empty() ? "" : "Delivered-To: " + rcpt + "\r\n";
    std::string for_clause = rcpt.empty() ? "" : "\r\n\tfor <" + rcpt + ">";
    std::string literal = "Return-Path: <" + sender + ">\r\n" + dt +
                          "Received: from client.test ([127.0.0.1])\r\n\tby mx.test with LMTP\r\n\tid " + id +
                          "\r\n\t(envelope-from <" + sender + ">)" + for_clause + "; ";
    return std::regex_replace(literal, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
           R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n)";
  }

  // Splits a stored message into the trace header block (ending at the
  // Received date line) and the rest.
  static std::pair<std::string, std::string> split_trace(const std::string& msg) {
    size_t date_line = msg.find("; ");
    size_t end = msg.find("\r\n", date_line);
    if (date_line == std::string::npos || end == std::string::npos) return {msg, ""};
    return {msg.substr(0, end + 2), msg.substr(end + 2)};
  }

  static inline fs::path* users_dir_ = nullptr;
  static inline auth::UserDb* users_ = nullptr;
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  Options options_;
  std::unique_ptr<Context> ctx_;
  std::unique_ptr<FakeHost> host_;
  std::unique_ptr<net::Session> session_;
};

TEST_F(LmtpSessionTest, LhloAdvertisesExtensions) {
  start();
  EXPECT_EQ(send("LHLO client.test\r\n"), kLhloReply);
  EXPECT_EQ(host_->idle_timeout, std::chrono::milliseconds(300000));
}

TEST_F(LmtpSessionTest, TwoRecipientsAndOneUnknown) {
  start();
  const std::string body = "From: s@example.org\r\nSubject: hello\r\n\r\nline one\r\nline two\r\n";
  EXPECT_EQ(send("LHLO client.test\r\n"), kLhloReply);
  EXPECT_EQ(send("MAIL FROM:<s@example.org>\r\n"), "250 2.1.0 OK\r\n");
  EXPECT_EQ(send("RCPT TO:<alice@example.com>\r\n"), "250 2.1.5 OK\r\n");
  EXPECT_EQ(send("RCPT TO:<nobody@example.com>\r\n"),
            "550 5.1.1 <nobody@example.com> User doesn't exist: nobody@example.com\r\n");
  EXPECT_EQ(send("RCPT TO:<Bob@Example.com>\r\n"), "250 2.1.5 OK\r\n");
  EXPECT_EQ(send("DATA\r\n"), "354 OK\r\n");
  std::string replies = send(body + ".\r\n");

  std::smatch m;
  ASSERT_TRUE(std::regex_match(replies, m,
                               std::regex("250 2\\.0\\.0 <alice@example\\.com> (\\S{22}) Saved\r\n"
                                          "250 2\\.0\\.0 <Bob@Example\\.com> (\\S{22}) Saved\r\n")))
      << replies;
  std::string id = m[1];
  EXPECT_EQ(m[2], id);

  auto alice = messages("alice", "INBOX");
  auto bob = messages("bob", "INBOX");
  ASSERT_EQ(alice.size(), 1u);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(alice[0], bob[0]);
  auto [trace, rest] = split_trace(alice[0]);
  // Two recipients: no Delivered-To, no "for" (as Dovecot).
  EXPECT_TRUE(std::regex_match(trace, std::regex(expected_trace_regex("s@example.org", "", id)))) << trace;
  EXPECT_EQ(rest, body);
}

TEST_F(LmtpSessionTest, SingleRecipientGetsDeliveredToAndFor) {
  start();
  send("LHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
  std::string replies = send("Subject: x\r\n\r\nbody\r\n.\r\n");
  std::string id = id_of(replies);
  ASSERT_FALSE(id.empty()) << replies;
  auto alice = messages("alice", "INBOX");
  ASSERT_EQ(alice.size(), 1u);
  auto [trace, rest] = split_trace(alice[0]);
  EXPECT_TRUE(std::regex_match(trace, std::regex(expected_trace_regex("", "alice@example.com", id))))
      << trace;
  EXPECT_EQ(rest, "Subject: x\r\n\r\nbody\r\n");
}

TEST_F(LmtpSessionTest, DetailGoesToExistingFolderElseInbox) {
  store_->user("alice")->create_mailbox("Lists");
  start();
  EXPECT_EQ(
      send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice+Lists@x>\r\nRCPT TO:<bob+Missing@x>\r\n"
           "RCPT TO:<alice+inbox@x>\r\nDATA\r\n"),
      std::string(kLhloReply) + "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 OK\r\n");
  std::string replies = send("Subject: d\r\n\r\n.\r\n");
  EXPECT_TRUE(std::regex_match(replies, std::regex("(250 2\\.0\\.0 <[^>]+> \\S{22} Saved\r\n){3}")))
      << replies;
  EXPECT_EQ(messages("alice", "Lists").size(), 1u);
  EXPECT_EQ(messages("alice", "INBOX").size(), 1u);
  EXPECT_EQ(messages("bob", "INBOX").size(), 1u);
}

TEST_F(LmtpSessionTest, DotUnstuffing) {
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
  std::string replies = send("Subject: dots\r\n\r\n..\r\n...two\r\n.x\r\nmid.dle\r\n.\r\n");
  ASSERT_FALSE(id_of(replies).empty()) << replies;
  auto alice = messages("alice", "INBOX");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(split_trace(alice[0]).second, "Subject: dots\r\n\r\n.\r\n..two\r\nx\r\nmid.dle\r\n");
}

TEST_F(LmtpSessionTest, BareLfDataIsAcceptedAndStoredWithCrlf) {
  start();
  send("LHLO client.test\nMAIL FROM:<s@x>\nRCPT TO:<alice@x>\nDATA\n");
  std::string replies = send("Subject: lf\n\nline\n..dot\n.\nNOOP\n");
  EXPECT_TRUE(
      std::regex_match(replies, std::regex("250 2\\.0\\.0 <alice@x> \\S{22} Saved\r\n250 2\\.0\\.0 OK\r\n")))
      << replies;
  auto alice = messages("alice", "INBOX");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(split_trace(alice[0]).second, "Subject: lf\r\n\r\nline\r\n.dot\r\n");
}

TEST_F(LmtpSessionTest, SizeParameterAboveLimitIsRefused) {
  start();
  send("LHLO client.test\r\n");
  EXPECT_EQ(send("MAIL FROM:<s@x> SIZE=1000001\r\n"),
            "552 5.2.3 Message size exceeds administrative limit\r\n");
  EXPECT_EQ(send("RCPT TO:<alice@x>\r\n"), "503 5.5.0 MAIL needed first\r\n");
  EXPECT_EQ(send("MAIL FROM:<s@x> SIZE=1000000 BODY=8BITMIME\r\n"), "250 2.1.0 OK\r\n");
  EXPECT_EQ(send("MAIL FROM:<s@x> SIZE=x\r\n"), "503 5.5.0 MAIL already given\r\n");
  EXPECT_EQ(send("RSET\r\nMAIL FROM:<s@x> SIZE=x\r\n"),
            "250 2.0.0 OK\r\n501 5.5.4 Invalid SIZE parameter\r\n");
}

// DATA payloads of all sessions share Options::message_memory: a payload
// that finds no room is read to its end and refused with a temporary
// failure per recipient, and its room is given back for the next one.
TEST_F(LmtpSessionTest, DataWithoutRoomInTheServersMessageMemoryIsRefusedForNow) {
  util::ByteBudget budget(200 * 1024);
  util::ByteBudget::Lease other(&budget);
  ASSERT_TRUE(other.grow_to(100 * 1024));  // another session's upload
  options_.message_memory = &budget;
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nRCPT TO:<bob@x>\r\nDATA\r\n");
  std::string line(1000, 'x');
  line += "\r\n";
  for (int i = 0; i < 150; ++i) EXPECT_EQ(send(line), "");
  EXPECT_LE(budget.in_use(), 200u * 1024);
  EXPECT_EQ(send(".\r\n"),
            "452 4.3.1 <alice@x> Insufficient system resources, try again later\r\n"
            "452 4.3.1 <bob@x> Insufficient system resources, try again later\r\n");
  EXPECT_TRUE(messages("alice", "INBOX").empty());
  EXPECT_EQ(budget.in_use(), 100u * 1024);
  // The same message once the other upload is done.
  other.release();
  send("MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
  for (int i = 0; i < 150; ++i) EXPECT_EQ(send(line), "");
  EXPECT_GT(budget.in_use(), 150u * 1000);  // held while the payload is in memory
  EXPECT_FALSE(id_of(send(".\r\n")).empty());
  EXPECT_EQ(messages("alice", "INBOX").size(), 1u);
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST_F(LmtpSessionTest, OversizedDataIsDiscardedAndRefusedPerRecipient) {
  options_.max_message_size = 100;
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nRCPT TO:<bob@x>\r\nDATA\r\n");
  std::string line(1000, 'x');
  line += "\r\n";
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(send(line), "");
    EXPECT_TRUE(host_->in.empty());  // consumed, not buffered
  }
  EXPECT_EQ(send(".\r\n"),
            "552 5.2.3 <alice@x> Message size exceeds administrative limit\r\n"
            "552 5.2.3 <bob@x> Message size exceeds administrative limit\r\n");
  EXPECT_TRUE(messages("alice", "INBOX").empty());
  EXPECT_TRUE(messages("bob", "INBOX").empty());
  // The transaction is over; the session goes on.
  EXPECT_EQ(send("RCPT TO:<alice@x>\r\n"), "503 5.5.0 MAIL needed first\r\n");
  send("MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
  EXPECT_FALSE(id_of(send("small\r\n.\r\n")).empty());
  EXPECT_EQ(messages("alice", "INBOX").size(), 1u);
}

const char kScript[] =
    "LHLO client.test\r\n"
    "MAIL FROM:<s@example.org> BODY=8BITMIME\r\n"
    "RCPT TO:<alice@x>\r\n"
    "RCPT TO:<ghost@x>\r\n"
    "RCPT TO:<bob+Nope@x>\r\n"
    "DATA\r\n"
    "Subject: pipelined\r\n"
    "\r\n"
    "..stuffed\r\n"
    ".\r\n"
    "NOOP\r\n"
    "QUIT\r\n";

const char kScriptReplies[] =
    "250 2.1.0 OK\r\n"
    "250 2.1.5 OK\r\n"
    "550 5.1.1 <ghost@x> User doesn't exist: ghost@x\r\n"
    "250 2.1.5 OK\r\n"
    "354 OK\r\n"
    "250 2.0.0 <alice@x> ID Saved\r\n"
    "250 2.0.0 <bob+Nope@x> ID Saved\r\n"
    "250 2.0.0 OK\r\n"
    "221 2.0.0 Bye\r\n";

std::string mask_ids(const std::string& s) {
  return std::regex_replace(s, std::regex("> [A-Za-z0-9+/]{22} Saved"), "> ID Saved");
}

TEST_F(LmtpSessionTest, PipelinedCommandsInOneChunk) {
  start();
  std::string out = send(kScript);
  EXPECT_EQ(mask_ids(out), std::string(kLhloReply) + kScriptReplies);
  EXPECT_TRUE(host_->closed);
  EXPECT_GE(host_->pauses, 1);  // input was held while lookups and delivery ran
  auto alice = messages("alice", "INBOX");
  auto bob = messages("bob", "INBOX");
  ASSERT_EQ(alice.size(), 1u);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(alice[0], bob[0]);
  EXPECT_EQ(split_trace(alice[0]).second, "Subject: pipelined\r\n\r\n.stuffed\r\n");
}

TEST_F(LmtpSessionTest, InputSplitAtEveryByte) {
  start();
  std::string script = kScript;
  std::string out;
  for (char c : script) {
    host_->feed(std::string_view(&c, 1));
    out += host_->take_output();
  }
  EXPECT_EQ(mask_ids(out), std::string(kLhloReply) + kScriptReplies);
  EXPECT_TRUE(host_->closed);
  auto alice = messages("alice", "INBOX");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(split_trace(alice[0]).second, "Subject: pipelined\r\n\r\n.stuffed\r\n");
  EXPECT_EQ(messages("bob", "INBOX").size(), 1u);
}

TEST_F(LmtpSessionTest, RsetEndsTheTransaction) {
  start();
  send("LHLO client.test\r\n");
  EXPECT_EQ(send("MAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nRSET\r\n"),
            "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK\r\n");
  EXPECT_EQ(send("RCPT TO:<alice@x>\r\n"), "503 5.5.0 MAIL needed first\r\n");
  EXPECT_EQ(send("DATA\r\n"), "503 5.5.0 MAIL needed first\r\n");
  EXPECT_EQ(send("RSET now\r\n"), "501 5.5.4 Invalid parameters\r\n");
  EXPECT_EQ(send("MAIL FROM:<s@x>\r\nDATA\r\n"), "250 2.1.0 OK\r\n503 5.5.0 No valid recipients\r\n");
  EXPECT_TRUE(messages("alice", "INBOX").empty());
}

TEST_F(LmtpSessionTest, LhloIsRequired) {
  start();
  EXPECT_EQ(send("MAIL FROM:<s@x>\r\n"), "503 5.5.1 LHLO needed first\r\n");
  EXPECT_EQ(send("HELO client.test\r\n"), "500 5.5.1 Unknown command\r\n");
  EXPECT_EQ(send("EHLO client.test\r\n"), "500 5.5.1 Unknown command\r\n");
  EXPECT_EQ(send("LHLO\r\n"), "501 Missing hostname\r\n");
  EXPECT_EQ(send("NOOP\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(send("lhlo client.test\r\nmail from:<s@x>\r\n"), std::string(kLhloReply) + "250 2.1.0 OK\r\n");
  // A second LHLO resets the transaction.
  EXPECT_EQ(send("LHLO again.test\r\nRCPT TO:<alice@x>\r\n"),
            std::string(kLhloReply) + "503 5.5.0 MAIL needed first\r\n");
}

TEST_F(LmtpSessionTest, OtherCommands) {
  start();
  EXPECT_EQ(send("VRFY alice\r\n"), "252 2.3.3 Try RCPT instead\r\n");
  EXPECT_EQ(send("VRFY\r\n"), "501 5.5.4 Invalid parameters\r\n");
  EXPECT_EQ(send("BDAT 10 LAST\r\n"), "500 5.5.1 Unknown command\r\n");
  EXPECT_EQ(send("STARTTLS\r\n"), "500 5.5.1 Unknown command\r\n");
  EXPECT_EQ(send("\r\n"), "500 5.5.1 Unknown command\r\n");
  EXPECT_EQ(send("QUIT now\r\n"), "501 5.5.4 Invalid parameters\r\n");
  EXPECT_FALSE(host_->closed);
  EXPECT_EQ(send("QUIT\r\nNOOP\r\n"), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(host_->closed);
}

TEST_F(LmtpSessionTest, OverlongLineIsRefusedWithBoundedMemory) {
  start();
  send("LHLO client.test\r\n");
  EXPECT_EQ(send("NOOP " + std::string(5000, 'x') + "\r\nNOOP\r\n"),
            "500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n");
  // Arriving in pieces: refused once, the rest of the line discarded as it
  // comes, the buffer never holding more than a line's worth.
  std::string out = send("MAIL FROM:<");
  for (int i = 0; i < 200; ++i) {
    out += send(std::string(1000, 'a'));
    ASSERT_LE(host_->in.size(), 4097u + 1000u);
  }
  out += send("@x>\r\nNOOP\r\n");
  EXPECT_EQ(out, "500 5.5.2 Line too long\r\n250 2.0.0 OK\r\n");
  // A line of exactly the maximum is fine.
  std::string max_line = "NOOP " + std::string(4096 - 5, 'y');
  EXPECT_EQ(send(max_line + "\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(send(max_line + "z\r\n"), "500 5.5.2 Line too long\r\n");
}

TEST_F(LmtpSessionTest, TooManyRecipients) {
  options_.max_recipients = 2;
  start();
  EXPECT_EQ(send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nRCPT TO:<bob@x>\r\nRCPT "
                 "TO:<alice+a@x>\r\n"),
            std::string(kLhloReply) +
                "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n452 4.5.3 Too many recipients\r\n");
}

TEST_F(LmtpSessionTest, DuplicateRecipientIsDeliveredOnce) {
  start();
  EXPECT_EQ(
      send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x.example>\r\nRCPT TO:<alice@X.EXAMPLE>\r\n"
           "DATA\r\n"),
      std::string(kLhloReply) + "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 OK\r\n");
  std::string replies = send("x\r\n.\r\n");
  EXPECT_TRUE(std::regex_match(replies, std::regex("250 2\\.0\\.0 <alice@x\\.example> \\S{22} Saved\r\n"
                                                   "250 2\\.0\\.0 <alice@X\\.EXAMPLE> \\S{22} Saved\r\n")))
      << replies;
  EXPECT_EQ(messages("alice", "INBOX").size(), 1u);
}

TEST_F(LmtpSessionTest, MalformedRecipients) {
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\n");
  EXPECT_EQ(send("RCPT TO:alice@x\r\n"), "501 5.5.4 Invalid TO: Missing '<' at beginning of path\r\n");
  EXPECT_EQ(send("RCPT TO:<>\r\n"), "501 5.5.4 Invalid TO: Null path not allowed\r\n");
  EXPECT_EQ(send("RCPT TO:<alice@x> NOTIFY=NEVER\r\n"), "555 5.5.4 Unsupported parameters\r\n");
  EXPECT_EQ(send("RCPT TO:<\"al ice\"@x>\r\n"),
            "550 5.1.1 <\"al ice\"@x> User doesn't exist: \"al ice\"@x\r\n");
  EXPECT_EQ(send("RCPT TO:<Alice>\r\n"), "250 2.1.5 OK\r\n");
}

// As Dovecot's smtp-server: more than 10 consecutive 500/501/503 replies
// close the connection; any other reply starts the count again.
TEST_F(LmtpSessionTest, TooManyInvalidCommandsCloseTheConnection) {
  start();
  std::string ten_bad, ten_replies;
  for (int i = 0; i < 10; ++i) {
    ten_bad += "\x01garbage\xff\r\n";
    ten_replies += "500 5.5.1 Unknown command\r\n";
  }
  EXPECT_EQ(send(ten_bad + "NOOP\r\n" + ten_bad), ten_replies + "250 2.0.0 OK\r\n" + ten_replies);
  EXPECT_FALSE(host_->closed);
  EXPECT_EQ(send("MAIL FROM:<s@x>\r\nNOOP\r\n"),
            "503 5.5.1 LHLO needed first\r\n421 4.7.0 mx.test Too many invalid commands.\r\n");
  EXPECT_TRUE(host_->closed);
}

TEST_F(LmtpSessionTest, IdleTimeout) {
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\n");
  session_->on_timeout();
  EXPECT_EQ(host_->take_output(), "421 4.4.2 mx.test Disconnected for inactivity\r\n");
  EXPECT_TRUE(host_->closed);
}

TEST_F(LmtpSessionTest, BackedUpOutputPausesInput) {
  start();
  host_->output_pending_value = 10 << 20;  // the client is not reading
  host_->feed("NOOP\r\nNOOP\r\n");
  EXPECT_TRUE(host_->paused);
  EXPECT_EQ(host_->take_output(), "");
  EXPECT_EQ(host_->in, "NOOP\r\nNOOP\r\n");
  host_->output_pending_value = 0;
  session_->on_output_drained();
  EXPECT_FALSE(host_->paused);
  host_->pump();
  EXPECT_EQ(host_->take_output(), "250 2.0.0 OK\r\n250 2.0.0 OK\r\n");
}

TEST_F(LmtpSessionTest, ClientNotReadingRepliesIsThrottledNotBuffered) {
  start();
  host_->set_socket_capacity(512 << 10);
  const size_t n = 150000;
  std::string batch;
  for (size_t i = 0; i < n; ++i) batch += "NOOP\r\n";
  batch += "QUIT\r\n";
  host_->feed(batch);
  int rounds = 0;
  while (!host_->closed && rounds < 1000) {
    // Unsent output stays bounded however much the client pipelines.
    ASSERT_LE(host_->output_pending(), (512u << 10) + (64u << 10)) << rounds;
    ASSERT_TRUE(host_->paused) << "stalled with input left: " << host_->in.size();
    host_->client_reads();
    host_->pump();
    ++rounds;
  }
  ASSERT_TRUE(host_->closed);
  EXPECT_GT(rounds, 1);
  std::string out = host_->take_output();
  size_t replies = 0;
  for (size_t at = out.find("250 2.0.0 OK\r\n"); at != std::string::npos;
       at = out.find("250 2.0.0 OK\r\n", at + 1))
    ++replies;
  EXPECT_EQ(replies, n);
  EXPECT_TRUE(out.ends_with("221 2.0.0 Bye\r\n"));
}

// ---- Store failures ----------------------------------------------------------------

// A store whose users fail in chosen ways; "alice" and "bob" are real.
class FailingStore : public store::Store {
 public:
  explicit FailingStore(store::Store& real) : real_(real) {}
  std::shared_ptr<store::UserStore> user(const std::string& name) override {
    if (name == "bob") return std::make_shared<FailingUser>();
    return real_.user(name);
  }
  void remove_user(const std::string&) override {}
  void notify_external(const std::string&, const std::string&) override {}

  // append() fails according to the mailbox it is asked for.
  class FailingUser : public store::UserStore {
   public:
    const std::string& user() const override { return name_; }
    std::vector<store::MailboxInfo> list_mailboxes() override { return {}; }
    bool mailbox_exists(std::string_view name) override { return name == "Big" || name == "Crash"; }
    void create_mailbox(std::string_view, std::string_view) override {}
    void delete_mailbox(std::string_view) override {}
    void rename_mailbox(std::string_view, std::string_view) override {}
    void set_subscribed(std::string_view, bool) override {}
    store::MailboxStatus status(std::string_view) override { return {}; }
    std::vector<store::MessageInfo> list_messages(std::string_view) override { return {}; }
    store::MessageFile open_message(std::string_view, uint32_t) override { return {}; }
    uint32_t append(std::string_view mailbox, const store::NewMessage&) override {
      if (mailbox == "Big") throw store::StoreError(store::ErrorCode::kTooLarge, "too large");
      if (mailbox == "Crash") throw std::runtime_error("unexpected");
      throw store::StoreError(store::ErrorCode::kTemporary, "disk full");
    }
    std::vector<store::MessageInfo> store_flags(std::string_view, std::span<const uint32_t>, int, uint32_t,
                                                std::span<const std::string>) override {
      return {};
    }
    std::vector<uint32_t> expunge(std::string_view, std::span<const uint32_t>) override { return {}; }
    std::vector<uint32_t> copy(std::string_view, std::span<const uint32_t>, std::string_view) override {
      return {};
    }
    store::MailboxChanges changes_since(std::string_view, uint64_t) override { return {}; }
    size_t scan_new(std::string_view) override { return 0; }
    std::unique_ptr<store::Subscription> subscribe(std::function<void(const std::string&)>) override {
      return nullptr;
    }

   private:
    std::string name_ = "bob";
  };

 private:
  store::Store& real_;
};

TEST_F(LmtpSessionTest, StoreErrorsAreAnsweredPerRecipient) {
  FailingStore failing(*store_);
  start_with(failing);
  send(
      "LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<bob@x>\r\nRCPT TO:<alice@x>\r\nRCPT TO:<bob+Big@x>\r\n"
      "RCPT TO:<bob+Crash@x>\r\nDATA\r\n");
  std::string replies = send("Subject: f\r\n\r\n.\r\n");
  EXPECT_TRUE(std::regex_match(
      replies, std::regex("451 4\\.3\\.0 <bob@x> Temporary internal error\r\n"
                          "250 2\\.0\\.0 <alice@x> \\S{22} Saved\r\n"
                          "552 5\\.2\\.3 <bob\\+Big@x> Message size exceeds administrative limit\r\n"
                          "451 4\\.3\\.0 <bob\\+Crash@x> Temporary internal error\r\n")))
      << replies;
  EXPECT_EQ(messages("alice", "INBOX").size(), 1u);
  EXPECT_EQ(send("NOOP\r\n"), "250 2.0.0 OK\r\n");
}

TEST_F(LmtpSessionTest, DeliveryRunsWithInputPausedAndIdleTimerOff) {
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
  host_->run_completions = false;
  host_->feed("x\r\n.\r\nNOOP\r\n");
  EXPECT_TRUE(host_->paused);
  EXPECT_EQ(host_->idle_timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(host_->in, "NOOP\r\n");  // waits its turn
  EXPECT_EQ(host_->take_output(), "");
  host_->run_completions = true;
  host_->pump();
  EXPECT_TRUE(std::regex_match(host_->take_output(),
                               std::regex("250 2\\.0\\.0 <alice@x> \\S{22} Saved\r\n250 2\\.0\\.0 OK\r\n")));
  EXPECT_FALSE(host_->paused);
  EXPECT_EQ(host_->idle_timeout, std::chrono::milliseconds(300000));
}

TEST_F(LmtpSessionTest, ConnectionClosedDuringDeliveryStillStores) {
  start();
  send("LHLO client.test\r\nMAIL FROM:<s@x>\r\nRCPT TO:<alice@x>\r\nDATA\r\n");
  host_->run_completions = false;
  host_->feed("x\r\n.\r\n");
  host_->close();  // the peer went away while the job runs
  session_->on_close();
  host_->run_completions = true;
  host_->pump();  // the job finishes; its `done` is dropped
  EXPECT_EQ(host_->take_output(), "");
  EXPECT_EQ(messages("alice", "INBOX").size(), 1u);
}

}  // namespace
}  // namespace loft::lmtp

// RETR and TOP: byte-exact content, dot-stuffing, the terminator, TOP line
// counts, and streaming of large messages with bounded buffering.
#include "pop3/session.h"
#include "pop3_test_support.h"

namespace loft::pop3::testing {
namespace {

using namespace std::chrono_literals;

// Reference dot-stuffing, line by line.
std::string stuffed(const std::string& msg) {
  std::string out;
  size_t pos = 0;
  while (pos < msg.size()) {
    size_t nl = msg.find('\n', pos);
    size_t end = nl == std::string::npos ? msg.size() : nl + 1;
    if (msg[pos] == '.') out += '.';
    out.append(msg, pos, end - pos);
    pos = end;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out + ".\r\n";
}

std::string stored_body(store::Store& s, uint32_t uid) {
  auto f = s.user("alice")->open_message("INBOX", uid);
  return f.read(0, f.size());
}

TEST_F(Pop3Test, RetrIsByteExactAndDotStuffed) {
  const std::string msg = "Subject: dots\r\n\r\n.leading\r\n..two\r\nmiddle.dot\r\n.\r\nend\r\n";
  uint32_t uid = deliver(msg);
  ASSERT_EQ(stored_body(*store_, uid), msg);
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 1"),
            "+OK " + std::to_string(msg.size()) + " octets\r\n" +
                "Subject: dots\r\n\r\n..leading\r\n...two\r\nmiddle.dot\r\n..\r\nend\r\n.\r\n");
}

TEST_F(Pop3Test, RetrAddsCrlfWhenMessageDoesNotEndWithOne) {
  uint32_t uid = deliver("Subject: b\r\n\r\nnoeol");
  std::string body = stored_body(*store_, uid);
  auto c = login();
  std::string r = c->cmd("RETR 1");
  EXPECT_EQ(r, "+OK " + std::to_string(body.size()) + " octets\r\n" + stuffed(body));
  EXPECT_EQ(r.find("noeol\r\n.\r\n"), r.size() - 10);
}

TEST_F(Pop3Test, RetrOfMessageEndingInDotLineWithoutCrlf) {
  uint32_t uid = deliver("Subject: b\r\n\r\nx\r\n.");
  std::string body = stored_body(*store_, uid);
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 1"), "+OK " + std::to_string(body.size()) + " octets\r\n" + stuffed(body));
}

TEST_F(Pop3Test, TopLineCounts) {
  deliver("Subject: a\r\nFrom: x@y\r\n\r\nline1\r\n.dot\r\nline3\r\n");
  deliver("Subject: c\r\n");
  auto c = login();
  EXPECT_EQ(c->cmd("TOP 1 0"), "+OK\r\nSubject: a\r\nFrom: x@y\r\n\r\n.\r\n");
  EXPECT_EQ(c->cmd("TOP 1 1"), "+OK\r\nSubject: a\r\nFrom: x@y\r\n\r\nline1\r\n.\r\n");
  EXPECT_EQ(c->cmd("TOP 1 2"), "+OK\r\nSubject: a\r\nFrom: x@y\r\n\r\nline1\r\n..dot\r\n.\r\n");
  EXPECT_EQ(c->cmd("TOP 1 3"), "+OK\r\nSubject: a\r\nFrom: x@y\r\n\r\nline1\r\n..dot\r\nline3\r\n.\r\n");
  EXPECT_EQ(c->cmd("TOP 1 18446744073709551615"), c->cmd("TOP 1 3"));
  EXPECT_EQ(c->cmd("top  2  0"), "+OK\r\nSubject: c\r\n.\r\n");
}

TEST_F(Pop3Test, PipelinedCommandWaitsForRetrToFinish) {
  std::string big(300 * 1024, 'x');
  for (size_t i = 76; i < big.size(); i += 78) big[i] = '\r', big[i + 1] = '\n';
  std::string msg = "Subject: big\r\n\r\n" + big + "\r\n";
  uint32_t uid = deliver(msg);
  std::string body = stored_body(*store_, uid);
  auto c = login();
  std::string r = c->send_raw("RETR 1\r\nNOOP\r\n");
  EXPECT_EQ(r, "+OK " + std::to_string(body.size()) + " octets\r\n" + stuffed(body) + "+OK\r\n");
}

TEST_F(Pop3Test, LargeMessageStreamsWithBoundedBuffering) {
  // ~20 MB with dot lines of varying length so that dots, CRs and LFs fall on
  // every kind of 64 KiB chunk boundary.
  std::string msg = "Subject: large\r\n\r\n";
  msg.reserve(21 << 20);
  for (int i = 0; msg.size() < (20u << 20); ++i) {
    if (i % 5 == 0) msg += '.';
    msg.append(static_cast<size_t>(i % 97), static_cast<char>('a' + i % 26));
    msg += "\r\n";
  }
  uint32_t uid = deliver(msg);
  msg.clear();
  msg.shrink_to_fit();
  std::string body = stored_body(*store_, uid);
  std::string expected = "+OK " + std::to_string(body.size()) + " octets\r\n" + stuffed(body) + "+OK\r\n";
  body.clear();
  body.shrink_to_fit();

  auto c = login();
  c->host.take();
  c->host.auto_drain = false;  // the client reads only when the test says so
  c->host.max_pending = 0;
  c->host.feed("RETR 1\r\nNOOP\r\n");
  int rounds = 0;
  while (c->host.pending > 0 && rounds < 10000) {
    c->host.drain();
    c->host.run();
    ++rounds;
  }
  EXPECT_GT(rounds, 40);  // it really waited for the client
  // At most the high-water mark plus one stuffed chunk is ever queued.
  EXPECT_LE(c->host.max_pending, Pop3Session::kHighWater + 2 * Pop3Session::kChunk);
  EXPECT_EQ(c->host.out.size(), expected.size());
  EXPECT_TRUE(c->host.out == expected);
}

TEST_F(Pop3Test, DropDuringStreamingIsHarmless) {
  std::string msg = "Subject: x\r\n\r\n" + std::string(2 << 20, 'y') + "\r\n";
  deliver(msg);
  deliver("Subject: z\r\n\r\nz\r\n");
  auto c = login();
  c->host.auto_drain = false;
  c->host.feed("DELE 2\r\nRETR 1\r\n");
  EXPECT_GT(c->host.pending, 0u);
  c->host.drop();
  EXPECT_FALSE(locks_.is_locked("alice"));
  EXPECT_EQ(store_->user("alice")->list_messages("INBOX").size(), 2u);
  auto d = login();
  EXPECT_EQ(d->cmd("STAT").rfind("+OK 2 ", 0), 0u);
}

TEST_F(Pop3Test, TimeoutDuringStreamingClosesWithoutCorruptingTheAnswer) {
  deliver("Subject: x\r\n\r\n" + std::string(2 << 20, 'y') + "\r\n");
  auto c = login();
  c->host.auto_drain = false;
  c->host.take();
  c->host.feed("RETR 1\r\n");
  size_t before = c->host.out.size();
  c->session->on_timeout();
  c->host.pending = 0;
  c->host.run();
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(c->host.out.size(), before);  // no "-ERR" inside the message data
  EXPECT_FALSE(locks_.is_locked("alice"));
}

// The read-ahead of the next messages (session_fetch.cc): a download in
// order is served with a worker trip per batch, not per message, and never
// serves the wrong message, a deleted one, or a failure that has passed.
class Pop3ReadAheadTest : public Pop3Test {
 protected:
  void SetUp() override {
    Pop3Test::SetUp();
    add(3);
  }
  void add(size_t count, size_t body_size = 0) {
    while (count-- > 0) {
      const std::string n = std::to_string(msgs_.size() + 1);
      msgs_.push_back("Subject: m" + n + "\r\n\r\n.body " + n + "\r\n" + std::string(body_size, 'b') + "\r\n");
      deliver(msgs_.back());
    }
  }
  std::string answer(size_t n) const {
    const std::string& m = msgs_[n - 1];
    return "+OK " + std::to_string(m.size()) + " octets\r\n" + stuffed(m);
  }
  std::vector<std::string> msgs_;
};

TEST_F(Pop3ReadAheadTest, ADownloadInOrderTakesOneWorkerTripPerBatch) {
  auto c = login();
  const size_t before = c->host.offloads;
  EXPECT_EQ(c->cmd("RETR 1"), answer(1));
  EXPECT_EQ(c->host.offloads, before + 2);  // message 1, and message 2 read ahead
  EXPECT_EQ(c->cmd("RETR 2"), answer(2));
  EXPECT_EQ(c->host.offloads, before + 3);  // and message 3 (the batch grows: 2, but 3 is the last)
  // Message 3 was read before opening failed: served all the same.
  faults_.open = true;
  EXPECT_EQ(c->cmd("RETR 3"), answer(3));
  EXPECT_EQ(c->host.offloads, before + 3);
  // Taken out of the batch: asked for again, a message is read anew.
  EXPECT_EQ(c->cmd("RETR 3").rfind("-ERR [SYS/TEMP]", 0), 0u);
  faults_.open = false;
  EXPECT_EQ(c->cmd("RETR 3"), answer(3));
  EXPECT_EQ(c->cmd("TOP 1 0"), "+OK\r\nSubject: m1\r\n\r\n.\r\n");
}

TEST_F(Pop3ReadAheadTest, BatchesGrowToABoundInCountAndBytes) {
  add(37);  // 40 small messages: 1, then batches of 1, 2, 8, 16 and 12
  auto c = login();
  size_t before = c->host.offloads;
  for (size_t n = 1; n <= 40; ++n) ASSERT_EQ(c->cmd("RETR " + std::to_string(n)), answer(n)) << n;
  EXPECT_EQ(c->host.offloads, before + 6);
  EXPECT_EQ(c->cmd("QUIT").rfind("+OK", 0), 0u);

  // Messages larger than a chunk: a batch reads the first kChunk of each,
  // so kReadAheadBytes holds 4 of them; each one's rest is a trip of its own.
  static_assert(Pop3Session::kReadAheadBytes == 4 * Pop3Session::kChunk);
  add(12, Pop3Session::kChunk + 1000);
  auto d = login();
  before = d->host.offloads;
  for (size_t n = 41; n <= 52; ++n) ASSERT_TRUE(d->cmd("RETR " + std::to_string(n)) == answer(n)) << n;
  // 41 on its own, batches 42, 43-44, 45-48 (8 were asked for: the byte
  // bound stops it at 4) and 49-52, and a second chunk for each of the
  // twelve.
  EXPECT_EQ(d->host.offloads, before + 1 + 4 + 12);
}

TEST_F(Pop3ReadAheadTest, ReadingOutOfOrderReadsOneMessageAhead) {
  add(7);  // 10 messages, read newest first
  auto c = login();
  const size_t before = faults_.opened;
  for (size_t n = 10; n >= 1; --n) ASSERT_EQ(c->cmd("RETR " + std::to_string(n)), answer(n)) << n;
  // Each RETR opens its message, and reads the one after it ahead (none after 10).
  EXPECT_EQ(faults_.opened, before + 10 + 9);
  // After a run in order (the batch grown to 16; 5-10 held), a jump back
  // starts again at one.
  for (size_t n = 1; n <= 5; ++n) ASSERT_EQ(c->cmd("RETR " + std::to_string(n)), answer(n)) << n;
  const size_t in_order = faults_.opened;
  EXPECT_EQ(c->cmd("RETR 2"), answer(2));
  EXPECT_EQ(faults_.opened, in_order + 2);  // 2, and 3 ahead
}

TEST_F(Pop3ReadAheadTest, AFailedBatchLeavesEachMessageToItsOwnRead) {
  faults_.open_many = true;
  auto c = login();
  const size_t before = c->host.offloads;
  EXPECT_EQ(c->cmd("RETR 1"), answer(1));
  EXPECT_EQ(c->host.offloads, before + 2);  // message 1, and the batch that failed
  EXPECT_EQ(c->cmd("RETR 2"), answer(2));
  EXPECT_EQ(c->host.offloads, before + 4);  // message 2, and a new batch (failed again)
  faults_.open = true;
  EXPECT_EQ(c->cmd("RETR 3").rfind("-ERR [SYS/TEMP]", 0), 0u);
  faults_.open = faults_.open_many = false;
  EXPECT_EQ(c->cmd("RETR 3"), answer(3));
}

TEST_F(Pop3ReadAheadTest, AMessageExpungedBeforeItsBatchIsAnsweredAsExpunged) {
  auto c = login();
  store_->user("alice")->expunge("INBOX", std::vector<uint32_t>{2});  // by IMAP, say
  EXPECT_EQ(c->cmd("RETR 1"), answer(1));                              // reads 2 (gone) and 3 ahead
  EXPECT_EQ(c->cmd("RETR 2"), "-ERR Message 2 expunged.\r\n");
  EXPECT_EQ(c->cmd("RETR 3"), answer(3));
}

TEST_F(Pop3ReadAheadTest, PipelinedRetrsWaitForTheReadAhead) {
  auto c = login();
  EXPECT_EQ(c->send_raw("RETR 1\r\nRETR 2\r\nTOP 3 0\r\nRETR 3\r\n"),
            answer(1) + answer(2) + "+OK\r\nSubject: m3\r\n\r\n.\r\n" + answer(3));
}

TEST_F(Pop3ReadAheadTest, NeverServesAnotherOrADeletedMessage) {
  auto c = login();
  EXPECT_EQ(c->cmd("RETR 1"), answer(1));  // 2 and 3 read ahead
  EXPECT_EQ(c->cmd("RETR 3"), answer(3));
  EXPECT_EQ(c->cmd("RETR 1"), answer(1));  // 2 still held
  EXPECT_EQ(c->cmd("DELE 2"), "+OK Marked to be deleted.\r\n");
  EXPECT_EQ(c->cmd("RETR 2").rfind("-ERR", 0), 0u);
  EXPECT_EQ(c->cmd("RSET").rfind("+OK", 0), 0u);
  EXPECT_EQ(c->cmd("RETR 2"), answer(2));
}

}  // namespace
}  // namespace loft::pop3::testing

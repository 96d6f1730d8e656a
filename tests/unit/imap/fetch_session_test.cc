// FETCH and UID FETCH over a real session and Maildir store: every item,
// partials, \Seen, CONDSTORE / QRESYNC, expunged messages, BINARY, streaming
// of large literals, bad arguments. Expected bytes are Dovecot 2.3's answers
// to the same requests.
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

const char kSimple[] =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.com\r\n"
    "Subject: Hello\r\n"
    "Date: Mon, 01 Jan 2020 10:00:00 +0000\r\n"
    "Message-ID: <1@example.com>\r\n"
    "\r\n"
    "Hello Bob\r\n";

const char kMultipart[] =
    "Subject: h\r\n"
    "Content-Type: multipart/mixed; boundary=x\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "pre\r\n"
    "--x\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "X-A: 1\r\n"
    "\r\n"
    "AAEC\r\n"
    "--x\r\n"
    "\r\n"
    "plain\0nul\r\n"
    "--x--\r\n"
    "epi\r\n";

class FetchTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  uint32_t add(std::string_view text, uint32_t flags = 0, int64_t date = 1577880000, int32_t tz = 0) {
    store::NewMessage m;
    m.pieces.push_back(text);
    m.flags = flags;
    m.internal_date = date;
    m.internal_tz = tz;
    return alice()->append("INBOX", m);
  }
  uint32_t flags_of(uint32_t uid) {
    for (const auto& m : alice()->list_messages("INBOX"))
      if (m.uid == uid) return m.flags;
    return ~0u;
  }
};

TEST_F(FetchTest, SimpleItemsInDovecotsOrder) {
  add(kSimple, store::kSeen, 1577880000, 120);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1 (RFC822.SIZE UID FLAGS INTERNALDATE)"),
            "* 1 FETCH (RFC822.SIZE 151 UID 1 FLAGS (\\Seen) INTERNALDATE \"01-Jan-2020 14:00:00 +0200\")\r\n"
            "a OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("b FETCH 1 (ENVELOPE FLAGS)"),
            "* 1 FETCH (FLAGS (\\Seen) ENVELOPE (\"Mon, 01 Jan 2020 10:00:00 +0000\" \"Hello\" "
            "((\"Alice\" NIL \"alice\" \"example.com\")) ((\"Alice\" NIL \"alice\" \"example.com\")) "
            "((\"Alice\" NIL \"alice\" \"example.com\")) ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL "
            "\"<1@example.com>\"))\r\n"
            "b OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("c FETCH 1 (BODY BODYSTRUCTURE)"),
            "* 1 FETCH (BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1) "
            "BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1 NIL NIL NIL "
            "NIL))\r\n"
            "c OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("d FETCH 1 FAST"),
            "* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \"01-Jan-2020 14:00:00 +0200\" RFC822.SIZE 151)\r\n"
            "d OK Fetch completed.\r\n");
}

TEST_F(FetchTest, BodySectionsAndPartials) {
  add(kSimple, store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1 (BODY[TEXT] BODY[]<5.4> BODY[HEADER.FIELDS (subject \"To\")])"),
            "* 1 FETCH (BODY[TEXT] {11}\r\nHello Bob\r\n BODY[]<5> {4}\r\n Ali "
            "BODY[HEADER.FIELDS (SUBJECT \"TO\")] {39}\r\nTo: bob@example.com\r\nSubject: Hello\r\n\r\n)\r\n"
            "a OK Fetch completed.\r\n");
  std::string hdr(kSimple, std::string_view(kSimple).find("\r\n\r\n") + 4);
  EXPECT_EQ(c->cmd("b FETCH 1 (RFC822.HEADER BODY.PEEK[1] BODY[2] BODY[1]<100>)"),
            "* 1 FETCH (RFC822.HEADER {" + std::to_string(hdr.size()) + "}\r\n" + hdr +
                " BODY[1] {11}\r\nHello Bob\r\n BODY[2] {0}\r\n BODY[1]<100> {0}\r\n)\r\n"
                "b OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("c FETCH 1 BODY[HEADER.FIELDS.NOT (From To Date Message-ID)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] {18}\r\nSubject: Hello\r\n\r\n)\r\n"
            "c OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("d FETCH 1 RFC822"),
            "* 1 FETCH (RFC822 {151}\r\n" + std::string(kSimple) + ")\r\nd OK Fetch completed.\r\n");
}

TEST_F(FetchTest, NestedMessageSections) {
  std::string msg =
      "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n"
      "--b--\r\n";
  add(msg, store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1 (BODY[1] BODY[1.MIME] BODY[2.HEADER] BODY[2.TEXT] BODY[2.1] BODY[2.MIME])"),
            "* 1 FETCH (BODY[1] {5}\r\nfirst BODY[1.MIME] {28}\r\nContent-Type: text/plain\r\n\r\n"
            " BODY[2.HEADER] {18}\r\nSubject: inner\r\n\r\n BODY[2.TEXT] {10}\r\ninner body"
            " BODY[2.1] {10}\r\ninner body BODY[2.MIME] {32}\r\nContent-Type: message/rfc822\r\n\r\n)\r\n"
            "a OK Fetch completed.\r\n");
}

TEST_F(FetchTest, NulsInBodyLiteralsAreSentAs0x80) {
  add(std::string("Subject: n\r\n\r\na\0b\r\n", 19), store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1 BODY[TEXT]"),
            "* 1 FETCH (BODY[TEXT] {5}\r\na\x80"
            "b\r\n)\r\na OK Fetch completed.\r\n");
}

TEST_F(FetchTest, BinaryDecodesLikeDovecot) {
  add(std::string(kMultipart, sizeof(kMultipart) - 1), store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])"),
            std::string("* 1 FETCH (BINARY[1] ~{3}\r\n") + std::string("\0\x01\x02", 3) +
                " BINARY.SIZE[1] 3)\r\na OK Fetch completed.\r\n");
  std::string whole = std::string(
                          "Subject: h\r\nContent-Type: multipart/mixed; "
                          "boundary=x\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                          "pre\r\n--x\r\nX-A: 1\r\nContent-Transfer-Encoding: binary\r\n\r\n") +
                      std::string("\x00\x01\x02", 3) + "\r\n--x\r\n\r\nplain" + std::string(1, '\0') +
                      "nul\r\n--x--\r\nepi\r\n";
  // BINARY.SIZE[] is Dovecot's own arithmetic (91), not the size sent (182).
  EXPECT_EQ(c->cmd("b FETCH 1 (BINARY.PEEK[] BINARY.SIZE[])"),
            "* 1 FETCH (BINARY[] ~{182}\r\n" + whole + " BINARY.SIZE[] 91)\r\nb OK Fetch completed.\r\n");
  EXPECT_EQ(whole.size(), 182u);
  EXPECT_EQ(c->cmd("c FETCH 1 (BINARY.PEEK[2] BINARY.PEEK[1]<1.1> BINARY.PEEK[3] BINARY.SIZE[TEXT])"),
            "* 1 FETCH (BINARY[2] ~{9}\r\nplain" + std::string(1, '\0') +
                "nul BINARY[1]<1> ~{1}\r\n\x01 BINARY[3] {0}\r\n"
                " BINARY.SIZE[TEXT] 18446744073709551615)\r\nc OK Fetch completed.\r\n");
}

TEST_F(FetchTest, BinaryErrors) {
  add("Subject: u\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nabc\r\n", store::kSeen);
  add("Subject: b\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD!REVG\r\n", store::kSeen);
  add("Subject: d\r\nContent-Transfer-Encoding: BASE64 (comment)\r\n\r\nQUJD\r\n", store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1 BINARY.PEEK[1]"),
            "* 1 FETCH (UID 1)\r\na NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.\r\n");
  EXPECT_EQ(c->cmd("b FETCH 1 (FLAGS BINARY.PEEK[])"),
            "* 1 FETCH (FLAGS (\\Seen))\r\nb NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.\r\n");
  EXPECT_EQ(c->cmd("c FETCH 2 BINARY.PEEK[1]"),
            "* 2 FETCH (UID 2)\r\nc NO [PARSE] Invalid data in MIME part.\r\n");
  EXPECT_EQ(c->cmd("d FETCH 2 BINARY.SIZE[1]"),
            "* 2 FETCH (UID 2)\r\nd NO [PARSE] Invalid data in MIME part.\r\n");
  EXPECT_EQ(c->cmd("e FETCH 3 (BINARY.PEEK[] BINARY.PEEK[HEADER])"),
            "* 3 FETCH (BINARY[] ~{52}\r\nSubject: d\r\nContent-Transfer-Encoding: binary\r\n\r\nABC "
            "BINARY[HEADER] {59}\r\nSubject: d\r\nContent-Transfer-Encoding: BASE64 (comment)\r\n\r\n)\r\n"
            "e OK Fetch completed.\r\n");
  // The FETCH stops at the failing message.
  EXPECT_EQ(c->cmd("f FETCH 1:3 BINARY.SIZE[1]"),
            "* 1 FETCH (UID 1)\r\nf NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding.\r\n");
}

TEST_F(FetchTest, NonPeekSectionSetsSeenAndAddsFlags) {
  uint32_t uid = add(kSimple);
  auto c = select();
  EXPECT_EQ(
      c->cmd("a FETCH 1 (UID BODY[HEADER.FIELDS (SUBJECT)])"),
      "* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Hello\r\n\r\n)\r\n"
      "a OK Fetch completed.\r\n");
  EXPECT_EQ(flags_of(uid), store::kSeen);
  // Seen now: no FLAGS added, and no unsolicited FETCH for our own change.
  EXPECT_EQ(c->cmd("b FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Hello\r\n\r\n)\r\nb OK Fetch "
            "completed.\r\n");
  EXPECT_EQ(c->cmd("c NOOP"), "c OK NOOP completed.\r\n");
}

TEST_F(FetchTest, Rfc822TextSetsSeenPeekAndHeaderDoNot) {
  uint32_t u1 = add(kSimple);
  uint32_t u2 = add(kSimple);
  auto c = select();
  c->cmd("a FETCH 1 (BODY.PEEK[] RFC822.HEADER BINARY.PEEK[1] BINARY.SIZE[1])");
  EXPECT_EQ(flags_of(u1), 0u);
  EXPECT_EQ(c->cmd("b FETCH 2 (FLAGS RFC822.TEXT)"),
            "* 2 FETCH (FLAGS (\\Seen) RFC822.TEXT {11}\r\nHello Bob\r\n)\r\nb OK Fetch completed.\r\n");
  EXPECT_EQ(flags_of(u2), store::kSeen);
}

TEST_F(FetchTest, ExamineNeverSetsSeen) {
  uint32_t uid = add(kSimple);
  auto c = login();
  c->cmd("s EXAMINE INBOX");
  EXPECT_EQ(c->cmd("a FETCH 1 BODY[TEXT]"),
            "* 1 FETCH (BODY[TEXT] {11}\r\nHello Bob\r\n)\r\na OK Fetch completed.\r\n");
  EXPECT_EQ(flags_of(uid), 0u);
}

TEST_F(FetchTest, UidFetchAlwaysHasUid) {
  add(kSimple, store::kSeen);
  uint32_t u2 = add(kSimple, store::kSeen | store::kFlagged);
  auto c = select();
  EXPECT_EQ(c->cmd("a UID FETCH " + std::to_string(u2) + ":* FLAGS"),
            "* 2 FETCH (UID 2 FLAGS (\\Flagged \\Seen))\r\na OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("b UID FETCH 7 FLAGS"), "b OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("c FETCH 1:2 (FLAGS UID)"),
            "* 1 FETCH (FLAGS (\\Seen) UID 1)\r\n* 2 FETCH (FLAGS (\\Flagged \\Seen) UID 2)\r\nc OK Fetch "
            "completed.\r\n");
}

TEST_F(FetchTest, ModseqChangedSinceAndSeenModseqUpdate) {
  add(kSimple, store::kSeen);
  add(kSimple);
  auto c = select();
  uint64_t m1 = 0, m2 = 0;
  for (const auto& m : alice()->list_messages("INBOX")) (m.uid == 1 ? m1 : m2) = m.modseq;
  // FETCH MODSEQ enables CONDSTORE, which announces HIGHESTMODSEQ first.
  EXPECT_EQ(c->cmd("a FETCH 1 (MODSEQ)"), "* OK [HIGHESTMODSEQ " + std::to_string(std::max(m1, m2)) +
                                              "] Highest\r\n* 1 FETCH (MODSEQ (" + std::to_string(m1) +
                                              "))\r\na OK Fetch completed.\r\n");
  // CHANGEDSINCE filters and adds MODSEQ after the asked items.
  EXPECT_EQ(c->cmd("b FETCH 1:2 (FLAGS) (CHANGEDSINCE " + std::to_string(m1) + ")"),
            "* 2 FETCH (FLAGS () MODSEQ (" + std::to_string(m2) + "))\r\nb OK Fetch completed.\r\n");
  // Setting \Seen: the response has the old MODSEQ, the new one follows.
  std::string r = c->cmd("c FETCH 2 (MODSEQ BODY[HEADER.FIELDS (X)])");
  uint64_t now = 0;
  for (const auto& m : alice()->list_messages("INBOX"))
    if (m.uid == 2) now = m.modseq;
  EXPECT_GT(now, m2);
  EXPECT_EQ(r, "* 2 FETCH (MODSEQ (" + std::to_string(m2) +
                   ") FLAGS (\\Seen) BODY[HEADER.FIELDS (X)] {2}\r\n\r\n)\r\n"
                   "* 2 FETCH (MODSEQ (" +
                   std::to_string(now) + "))\r\nc OK Fetch completed.\r\n");
  EXPECT_EQ(c->cmd("d NOOP"), "d OK NOOP completed.\r\n");
}

TEST_F(FetchTest, VanishedEarlier) {
  add(kSimple);
  uint32_t u2 = add(kSimple);
  add(kSimple);
  uint64_t before = alice()->status("INBOX").highest_modseq;
  auto c = login();
  EXPECT_EQ(c->cmd("e ENABLE QRESYNC"), "* ENABLED QRESYNC\r\ne OK Enabled.\r\n");
  c->cmd("s SELECT INBOX");
  std::vector<uint32_t> gone{u2};
  alice()->expunge("INBOX", gone);
  c->cmd("n NOOP");  // VANISHED 2
  EXPECT_EQ(c->cmd("b FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)"),
            "b BAD Error in IMAP command FETCH: Unknown FETCH modifier\r\n");
  EXPECT_EQ(c->cmd("a UID FETCH 1:* FLAGS (CHANGEDSINCE " + std::to_string(before) + " VANISHED)"),
            "* VANISHED (EARLIER) 2\r\na OK Fetch completed.\r\n");
}

TEST_F(FetchTest, MessageExpungedByAnotherSession) {
  add(kSimple, store::kSeen);
  uint32_t u2 = add(kSimple, store::kSeen);
  auto c = select();
  std::vector<uint32_t> gone{u2};
  alice()->expunge("INBOX", gone);
  // No EXPUNGE during FETCH: message 2 is still there, without its data.
  EXPECT_EQ(
      c->cmd("a FETCH 1:2 (UID RFC822.SIZE BODY.PEEK[TEXT] ENVELOPE)"),
      "* 1 FETCH (UID 1 RFC822.SIZE 151 BODY[TEXT] {11}\r\nHello Bob\r\n ENVELOPE (\"Mon, 01 Jan 2020 "
      "10:00:00 +0000\" "
      "\"Hello\" ((\"Alice\" NIL \"alice\" \"example.com\")) ((\"Alice\" NIL \"alice\" \"example.com\")) "
      "((\"Alice\" NIL \"alice\" \"example.com\")) ((NIL NIL \"bob\" \"example.com\")) NIL NIL NIL "
      "\"<1@example.com>\"))\r\n"
      "* 2 FETCH (UID 2 RFC822.SIZE 0 BODY[TEXT] NIL ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"
      "a OK [EXPUNGEISSUED] Some messages were already expunged.\r\n");
  EXPECT_EQ(c->cmd("b NOOP"), "* 2 EXPUNGE\r\nb OK NOOP completed.\r\n");
}

TEST_F(FetchTest, BadArguments) {
  add(kSimple);
  auto c = select();
  EXPECT_EQ(c->cmd("a FETCH 1"), "a BAD Error in IMAP command FETCH: Invalid arguments\r\n");
  EXPECT_EQ(c->cmd("b FETCH 5 FLAGS"), "b BAD Error in IMAP command FETCH: Invalid messageset\r\n");
  EXPECT_EQ(c->cmd("c FETCH 1 BODY[FOO]"), "c BAD Error in IMAP command FETCH: Invalid BODY[..] section\r\n");
  EXPECT_EQ(c->cmd("d FETCH 1 XYZ"), "d BAD Error in IMAP command FETCH: Unknown parameter: XYZ\r\n");
  EXPECT_EQ(c->cmd("e UID FETCH 1 FLAGS (VANISHED)"),
            "e BAD Error in IMAP command UID FETCH: QRESYNC not enabled\r\n");
  auto d = login();
  EXPECT_EQ(d->cmd("f FETCH 1 FLAGS"), "f BAD No mailbox selected.\r\n");
  EXPECT_EQ(flags_of(1), 0u);
}

TEST_F(FetchTest, LargeMessageIsStreamedInChunks) {
  std::string body;
  for (int i = 0; body.size() < (5u << 20); ++i)
    body += "line " + std::to_string(i) + " of a large message\r\n";
  std::string msg = "Subject: big\r\n\r\n" + body;
  add(msg, store::kSeen);
  auto c = select();
  c->host.auto_drain = false;
  c->host.take();
  c->host.feed("a FETCH 1 BODY.PEEK[]\r\n");
  std::string out = c->host.take();
  // Only a bounded part is queued until the client reads.
  EXPECT_LT(out.size(), 1u << 20);
  EXPECT_LT(c->host.max_pending, 1u << 20);
  int rounds = 0;
  while (out.find("a OK") == std::string::npos && rounds < 1000) {
    c->host.drain();
    c->host.run();
    out += c->host.take();
    ++rounds;
  }
  EXPECT_GT(rounds, 10);
  EXPECT_EQ(out, "* 1 FETCH (BODY[] {" + std::to_string(msg.size()) + "}\r\n" + msg +
                     ")\r\na OK Fetch completed.\r\n");
}

TEST_F(FetchTest, ManyMessagesInBatchesAndCloseMidStream) {
  for (int i = 0; i < 450; ++i)
    add("Subject: m" + std::to_string(i) + "\r\n\r\n" + std::string(2000, 'x') + "\r\n", store::kSeen);
  auto c = select();
  // The fake client reads only between loop turns: drain until the end.
  c->host.take();
  c->host.feed("a FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])\r\n");
  std::string r = c->host.take();
  for (int i = 0; r.find("a OK") == std::string::npos && i < 100; ++i) {
    c->host.drain();
    c->host.run();
    r += c->host.take();
  }
  EXPECT_NE(r.find("* 450 FETCH (UID 450 BODY[HEADER.FIELDS (SUBJECT)] {17}\r\nSubject: m449\r\n\r\n"),
            std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 23), "a OK Fetch completed.\r\n");
  size_t count = 0;
  for (size_t at = r.find(" FETCH ("); at != std::string::npos; at = r.find(" FETCH (", at + 1)) ++count;
  EXPECT_EQ(count, 450u);
  // The client goes away in the middle: nothing crashes, nothing more is sent.
  c->host.auto_drain = false;
  c->host.take();
  c->host.feed("b FETCH 1:* BODY.PEEK[]\r\n");
  c->host.drop();
  EXPECT_EQ(c->host.take().find("b OK"), std::string::npos);
}

}  // namespace
}  // namespace loft::imap::testing

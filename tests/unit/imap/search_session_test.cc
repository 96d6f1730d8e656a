// SEARCH and UID SEARCH through a real session over a real Maildir store:
// every key on crafted messages (RFC 2047 headers, QP and base64 bodies in
// ISO-8859-1 and UTF-8, multipart, nested message/rfc822), OR/NOT/nesting,
// ESEARCH, SAVE and "$", MODSEQ, IMAP4rev2 and bad arguments. Expected
// answers are what Dovecot 2.3.19 gave for the same messages and commands.
#include <gtest/gtest.h>

#include "imap/dates.h"
#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

// UIDs 2..5 (UID 1 is expunged first, so UIDs and sequence numbers differ).
const std::string kMsg1 =
    "From: Alice Smith <alice@example.com>\r\n"
    "To: \"Bob, Jr\" <bob@y.com>, carol@z.com\r\n"
    "Cc: dave@cc.org\r\n"
    "Subject: =?UTF-8?B?w6l0w6kgU3RyYcOfZQ==?= report\r\n"
    "Date: Thu, 05 Mar 2020 23:30:00 -0500\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "\r\n"
    "plain body with Kangaroo\r\n";
const std::string kMsg2 =
    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@x.org>\r\n"
    "Date: garbage\r\n"
    "Subject: latin\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Caf=E9 na=EFve soft=\r\nbreak\r\n";
const std::string kMsg3 =
    "Subject: mp\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=XX\r\n"
    "\r\n"
    "preamblew\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "w5xiZXJncsO2w59l\r\n"
    "--XX\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<b>bold</b>\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream\r\n"
    "X-Part: yes\r\n"
    "\r\n"
    "binarystuff\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner subj\r\n"
    "From: inner@x.org\r\n"
    "\r\n"
    "inner body word\r\n"
    "--XX--\r\n"
    "epiloguew text\r\n";
const std::string kMsg4 =
    "Subject: folded\r\n"
    "\tline  two\r\n"
    "X-Tag: alpha\r\n"
    "Bcc: secret@hidden.net\r\n"
    "Content-Type: application/pdf\r\n"
    "\r\n"
    "hiddenpdf short\r\n";

class ImapSearchTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }

  uint32_t add(const std::string& text, uint32_t flags, std::vector<std::string> keywords,
               const char* date_time) {
    store::NewMessage m;
    m.pieces.push_back(text);
    m.flags = flags;
    m.keywords = std::move(keywords);
    std::optional<DateTime> dt = ParseImapDateTime(date_time);
    EXPECT_TRUE(dt) << date_time;
    m.internal_date = dt->utc;
    m.internal_tz = dt->zone;
    return alice()->append("INBOX", m);
  }

  // The four messages above as sequence numbers 1..4, UIDs 2..5.
  std::unique_ptr<Client> fixture() {
    uint32_t gone = deliver("Subject: gone\r\n\r\nx\r\n");
    std::vector<uint32_t> uids{gone};
    alice()->expunge("INBOX", uids);
    add(kMsg1, store::kSeen, {"$Label1"}, "05-Mar-2020 12:00:00 +0000");
    add(kMsg2, store::kFlagged, {"Project_X"}, "06-Mar-2020 23:30:00 -0500");
    add(kMsg3, store::kAnswered, {}, "07-Mar-2020 12:00:00 +0000");
    add(kMsg4, store::kDeleted | store::kDraft, {"$label1"}, "01-Jan-2021 00:00:00 +0000");
    return select();
  }

  // The "* SEARCH" line (without CRLF) of a command that must succeed.
  std::string search(Client& c, const std::string& args) {
    std::string r = c.cmd("t " + args);
    size_t ok = r.find("t OK Search completed.\r\n");
    EXPECT_NE(ok, std::string::npos) << args << "\n" << r;
    size_t start = r.find("* SEARCH");
    if (start == std::string::npos) start = r.find("* ESEARCH");
    if (start == std::string::npos) return "<none>";
    return r.substr(start, r.find("\r\n", start) - start);
  }
};

TEST_F(ImapSearchTest, AllAndFlags) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH ALL"), "* SEARCH 1 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH SEEN"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH UNSEEN"), "* SEARCH 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH FLAGGED"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH UNFLAGGED"), "* SEARCH 1 3 4");
  EXPECT_EQ(search(*c, "SEARCH ANSWERED"), "* SEARCH 3");
  EXPECT_EQ(search(*c, "SEARCH UNANSWERED"), "* SEARCH 1 2 4");
  EXPECT_EQ(search(*c, "SEARCH DELETED"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH DRAFT"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH UNDELETED UNDRAFT"), "* SEARCH 1 2 3");
  // Nothing is \Recent yet.
  EXPECT_EQ(search(*c, "SEARCH RECENT"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH NEW"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH OLD"), "* SEARCH 1 2 3 4");
}

TEST_F(ImapSearchTest, Keywords) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH KEYWORD $Label1"), "* SEARCH 1 4");
  EXPECT_EQ(search(*c, "SEARCH KEYWORD project_x"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH UNKEYWORD Project_X"), "* SEARCH 1 3 4");
  EXPECT_EQ(search(*c, "SEARCH KEYWORD Nope"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH KEYWORD \"\\\\Seen\""), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH UNKEYWORD \"\\\\Seen\""), "* SEARCH 1 2 3 4");
  // Keywords are handed to the evaluation only when a key needs them:
  // found inside OR, NOT and parentheses too.
  EXPECT_EQ(search(*c, "SEARCH OR KEYWORD project_x SEEN"), "* SEARCH 1 2");
  EXPECT_EQ(search(*c, "SEARCH NOT KEYWORD $Label1"), "* SEARCH 2 3");
  EXPECT_EQ(search(*c, "SEARCH (UNSEEN (KEYWORD $Label1))"), "* SEARCH 4");
}

TEST_F(ImapSearchTest, SequenceAndUidSets) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH 2:3"), "* SEARCH 2 3");
  EXPECT_EQ(search(*c, "SEARCH 1,3,5:*"), "* SEARCH 1 3");
  EXPECT_EQ(search(*c, "SEARCH *"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH *:3"), "* SEARCH 3 4");
  EXPECT_EQ(search(*c, "SEARCH 3:10"), "* SEARCH 3 4");
  // Dovecot: a range from beyond the last message to "*" names nothing.
  EXPECT_EQ(search(*c, "SEARCH 10:*"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH 10"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH NOT 2:3"), "* SEARCH 1 4");
  EXPECT_EQ(search(*c, "SEARCH UID 2:3"), "* SEARCH 1 2");
  EXPECT_EQ(search(*c, "SEARCH UID 1"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH UID 100:*"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH UID *:100"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH NOT UID 2,5"), "* SEARCH 2 3");
  EXPECT_EQ(search(*c, "UID SEARCH ALL"), "* SEARCH 2 3 4 5");
  EXPECT_EQ(search(*c, "UID SEARCH 2:3"), "* SEARCH 3 4");
  EXPECT_EQ(search(*c, "UID SEARCH UID 3:4"), "* SEARCH 3 4");
}

TEST_F(ImapSearchTest, SizesAndInternalDates) {
  auto c = fixture();
  const std::string n1 = std::to_string(kMsg1.size());
  EXPECT_EQ(search(*c, "SEARCH LARGER " + n1), "* SEARCH 3");  // only the multipart is bigger
  EXPECT_EQ(search(*c, "SEARCH LARGER " + std::to_string(kMsg1.size() - 1)), "* SEARCH 1 3");
  EXPECT_EQ(search(*c, "SEARCH SMALLER " + n1), "* SEARCH 2 4");
  EXPECT_EQ(search(*c, "SEARCH NOT LARGER " + n1 + " SMALLER " + std::to_string(kMsg1.size() + 1)),
            "* SEARCH 1 2 4");
  EXPECT_EQ(search(*c, "SEARCH ON 5-Mar-2020"), "* SEARCH 1");
  // 06-Mar-2020 23:30 -0500 is the 6th in its own zone (the 7th in UTC).
  EXPECT_EQ(search(*c, "SEARCH ON 6-Mar-2020"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH ON 7-Mar-2020"), "* SEARCH 3");
  EXPECT_EQ(search(*c, "SEARCH BEFORE 7-Mar-2020"), "* SEARCH 1 2");
  EXPECT_EQ(search(*c, "SEARCH SINCE 7-Mar-2020"), "* SEARCH 3 4");
  EXPECT_EQ(search(*c, "SEARCH SINCE 1-Jan-2021"), "* SEARCH 4");
  // WITHIN: everything here is years old.
  EXPECT_EQ(search(*c, "SEARCH OLDER 1"), "* SEARCH 1 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH YOUNGER 100000"), "* SEARCH");
}

TEST_F(ImapSearchTest, YoungerMatchesFreshMail) {
  deliver("Subject: now\r\n\r\nx\r\n");
  auto c = select();
  EXPECT_EQ(search(*c, "SEARCH YOUNGER 3600"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH OLDER 3600"), "* SEARCH");
}

TEST_F(ImapSearchTest, SentDates) {
  auto c = fixture();
  // The Date: header's day in its own zone (-0500: still the 5th).
  EXPECT_EQ(search(*c, "SEARCH SENTON 5-Mar-2020"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH SENTON 6-Mar-2020"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH SENTSINCE 1-Jan-2000"), "* SEARCH 1");
  // Missing or broken Date: 1970-01-01 (Dovecot; not the internal date).
  EXPECT_EQ(search(*c, "SEARCH SENTBEFORE 1-Jan-2000"), "* SEARCH 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH SENTON 1-Jan-1970"), "* SEARCH 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH NOT SENTBEFORE 1-Jan-2000"), "* SEARCH 1");
}

TEST_F(ImapSearchTest, HeaderKeys) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH HEADER X-Tag alpha"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH HEADER x-tag ALPH"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH HEADER X-Tag beta"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH HEADER X-Tag \"\""), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH NOT HEADER X-Tag \"\""), "* SEARCH 1 2 3");
  EXPECT_EQ(search(*c, "SEARCH HEADER Message-ID example.com"), "* SEARCH 1");
  // Only the top-level header counts.
  EXPECT_EQ(search(*c, "SEARCH HEADER X-Part yes"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH FROM \"\""), "* SEARCH 1 2");
  // HEADER keeps blank runs, SUBJECT compresses them.
  EXPECT_EQ(search(*c, "SEARCH HEADER Subject \"folded line  two\""), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH SUBJECT \"folded line two\""), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH SUBJECT \"line  two\""), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH SUBJECT REPORT"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH SUBJECT inner"), "* SEARCH");
}

TEST_F(ImapSearchTest, EncodedWordsAndCaseFolding) {
  auto c = fixture();
  // "été Straße" in base64 UTF-8; a literal carries the 8-bit key.
  EXPECT_EQ(search(*c, "SEARCH CHARSET UTF-8 SUBJECT {5}\r\n\xc3\x89T\xc3\x89"), "* SEARCH 1");
  EXPECT_EQ(search(*c,
                   "SEARCH CHARSET UTF-8 SUBJECT {7}\r\nstra\xc3\x9f"
                   "e"),
            "* SEARCH 1");
  // No full case folding: ss is not ß.
  EXPECT_EQ(search(*c, "SEARCH SUBJECT strasse"), "* SEARCH");
  // Decomposition: "andre" finds "André" (from ISO-8859-1 Q-encoding).
  EXPECT_EQ(search(*c, "SEARCH FROM ANDRE"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH CHARSET UTF-8 FROM {6}\r\nandr\xc3\xa9"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH CHARSET UTF-8 FROM {6}\r\nandr\xc3\xa8"), "* SEARCH");
}

TEST_F(ImapSearchTest, AddressHeadersMatchDovecotsRewrittenForm) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH FROM smith"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH FROM alice@example.com"), "* SEARCH 1");
  // Written as "Alice Smith" <alice@example.com>: the name is quoted.
  EXPECT_EQ(search(*c, "SEARCH FROM \"Smith <alice\""), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH FROM \"Smith\\\" <alice\""), "* SEARCH 1");
  // "Bob, Jr" <bob@y.com>, <carol@z.com>
  EXPECT_EQ(search(*c, "SEARCH TO \"bob@y.com>, <carol\""), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH TO \"bob@y.com>, carol\""), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH HEADER TO \"bob@y.com>, carol\""), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH CC dave"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH BCC secret@hidden"), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH BCC dave"), "* SEARCH");
}

TEST_F(ImapSearchTest, BodyAndText) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH BODY kangaroo"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH BODY Kangaroo"), "* SEARCH 1");
  // QP ISO-8859-1, soft line break joined.
  EXPECT_EQ(search(*c, "SEARCH CHARSET UTF-8 BODY {5}\r\nCAF\xc3\x89"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH CHARSET UTF-8 BODY {6}\r\nna\xc3\xafve"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH BODY softbreak"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH BODY =EF"), "* SEARCH");
  // base64 UTF-8 part of a multipart; HTML is searched as it is.
  EXPECT_EQ(search(*c,
                   "SEARCH CHARSET UTF-8 BODY {12}\r\n\xc3\xbc"
                   "bergr\xc3\xb6\xc3\x9f"
                   "e"),
            "* SEARCH 3");
  EXPECT_EQ(search(*c, "SEARCH BODY w5xi"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH BODY <b>bold"), "* SEARCH 3");
  // Preamble, epilogue and non-text parts are not searched.
  EXPECT_EQ(search(*c, "SEARCH BODY preamblew"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH BODY epiloguew"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH BODY binarystuff"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH TEXT hiddenpdf"), "* SEARCH");
  // The nested message: its body is body, its header only TEXT.
  EXPECT_EQ(search(*c, "SEARCH BODY \"inner body\""), "* SEARCH 3");
  EXPECT_EQ(search(*c, "SEARCH BODY \"inner subj\""), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH TEXT \"inner subj\""), "* SEARCH 3");
  // TEXT: header lines as "Name: value", bodies too; decoded.
  EXPECT_EQ(search(*c, "SEARCH TEXT \"X-Tag: alpha\""), "* SEARCH 4");
  EXPECT_EQ(search(*c, "SEARCH TEXT \"X-Part: yes\""), "* SEARCH 3");
  EXPECT_EQ(search(*c, "SEARCH TEXT kangaroo"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH CHARSET UTF-8 TEXT {5}\r\n\xc3\xa9t\xc3\xa9"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH BODY \"\""), "* SEARCH 1 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH CHARSET US-ASCII BODY kangaroo"), "* SEARCH 1");
}

TEST_F(ImapSearchTest, OrNotAndNesting) {
  auto c = fixture();
  EXPECT_EQ(search(*c, "SEARCH OR SEEN FLAGGED"), "* SEARCH 1 2");
  EXPECT_EQ(search(*c, "SEARCH NOT (OR SEEN FLAGGED)"), "* SEARCH 3 4");
  EXPECT_EQ(search(*c, "SEARCH OR (SEEN FLAGGED) NOT ANSWERED"), "* SEARCH 1 2 4");
  EXPECT_EQ(search(*c, "SEARCH OR BODY kangaroo SUBJECT mp"), "* SEARCH 1 3");
  EXPECT_EQ(search(*c, "SEARCH NOT OR BODY kangaroo SUBJECT mp"), "* SEARCH 2 4");
  EXPECT_EQ(search(*c, "SEARCH (UNSEEN (OR BODY \"inner body\" HEADER X-Tag alpha)) NOT DELETED"),
            "* SEARCH 3");
  EXPECT_EQ(search(*c, "SEARCH NOT NOT SEEN"), "* SEARCH 1");
  EXPECT_EQ(search(*c, "SEARCH OR OR SEEN FLAGGED OR ANSWERED DELETED"), "* SEARCH 1 2 3 4");
  EXPECT_EQ(search(*c, "SEARCH 2:4 OR SUBJECT latin TEXT alpha"), "* SEARCH 2 4");
}

TEST_F(ImapSearchTest, Esearch) {
  auto c = fixture();
  EXPECT_EQ(c->cmd("a SEARCH RETURN (MIN MAX COUNT ALL) 1:3"),
            "* ESEARCH (TAG \"a\") MIN 1 MAX 3 ALL 1:3 COUNT 3\r\na OK Search completed.\r\n");
  EXPECT_EQ(c->cmd("b UID SEARCH RETURN (MIN MAX COUNT ALL) 1,3:4"),
            "* ESEARCH (TAG \"b\") UID MIN 2 MAX 5 ALL 2,4:5 COUNT 3\r\nb OK Search completed.\r\n");
  EXPECT_EQ(search(*c, "SEARCH RETURN () ALL"), "* ESEARCH (TAG \"t\") ALL 1:4");
  EXPECT_EQ(search(*c, "SEARCH RETURN (COUNT) SUBJECT nomatch"), "* ESEARCH (TAG \"t\") COUNT 0");
  EXPECT_EQ(search(*c, "SEARCH RETURN (MIN) SUBJECT nomatch"), "* ESEARCH (TAG \"t\")");
  EXPECT_EQ(search(*c, "UID SEARCH RETURN (MIN MAX) SUBJECT nomatch"), "* ESEARCH (TAG \"t\") UID");
  EXPECT_EQ(search(*c, "SEARCH RETURN (COUNT MAX ALL MIN) OR SEEN ANSWERED"),
            "* ESEARCH (TAG \"t\") MIN 1 MAX 3 ALL 1,3 COUNT 2");
  EXPECT_EQ(c->cmd("c SEARCH RETURN (BOGUS) ALL"),
            "c BAD Error in IMAP command SEARCH: Unknown SEARCH return option\r\n");
}

TEST_F(ImapSearchTest, SaveAndDollar) {
  auto c = fixture();
  // SAVE alone answers nothing.
  EXPECT_EQ(c->cmd("a SEARCH RETURN (SAVE) 2:3"), "a OK Search completed.\r\n");
  EXPECT_EQ(search(*c, "UID SEARCH UID $"), "* SEARCH 3 4");
  EXPECT_EQ(search(*c, "SEARCH $"), "* SEARCH 2 3");
  // "$" is the previous result while this one is saved.
  EXPECT_EQ(search(*c, "SEARCH RETURN (SAVE ALL) OR $ 1"), "* ESEARCH (TAG \"t\") ALL 1:3");
  EXPECT_EQ(search(*c, "UID SEARCH $"), "* SEARCH 2 3 4");
  // MIN/MAX only: just those are saved.
  EXPECT_EQ(search(*c, "SEARCH RETURN (MIN SAVE MAX) 1:4"), "* ESEARCH (TAG \"t\") MIN 1 MAX 4");
  EXPECT_EQ(search(*c, "UID SEARCH UID $"), "* SEARCH 2 5");
  EXPECT_EQ(search(*c, "SEARCH RETURN (SAVE MIN) 2:4"), "* ESEARCH (TAG \"t\") MIN 2");
  EXPECT_EQ(search(*c, "SEARCH $"), "* SEARCH 2");
  EXPECT_EQ(search(*c, "SEARCH RETURN (SAVE COUNT) 2:4"), "* ESEARCH (TAG \"t\") COUNT 3");
  EXPECT_EQ(search(*c, "SEARCH $"), "* SEARCH 2 3 4");
  // A failed parse keeps the saved result.
  EXPECT_EQ(c->cmd("b SEARCH RETURN (SAVE) BADKEY"),
            "b BAD Error in IMAP command SEARCH: Unknown argument BADKEY\r\n");
  EXPECT_EQ(search(*c, "SEARCH $"), "* SEARCH 2 3 4");
  EXPECT_EQ(c->cmd("d SEARCH RETURN (SAVE) SUBJECT nomatch"), "d OK Search completed.\r\n");
  EXPECT_EQ(search(*c, "UID SEARCH UID $"), "* SEARCH");
  // Reselecting forgets it.
  EXPECT_EQ(c->cmd("e SEARCH RETURN (SAVE) 1"), "e OK Search completed.\r\n");
  c->cmd("f SELECT INBOX");
  EXPECT_EQ(search(*c, "SEARCH $"), "* SEARCH");
}

TEST_F(ImapSearchTest, ModSeq) {
  auto c = fixture();
  std::vector<store::MessageInfo> infos = alice()->list_messages("INBOX");
  ASSERT_EQ(infos.size(), 4u);
  const uint64_t highest = alice()->status("INBOX").highest_modseq;
  uint64_t max_mod = 0;
  for (const auto& i : infos) max_mod = std::max(max_mod, i.modseq);
  // The first MODSEQ turns CONDSTORE on and announces HIGHESTMODSEQ.
  EXPECT_EQ(c->cmd("a SEARCH MODSEQ 1"), "* OK [HIGHESTMODSEQ " + std::to_string(highest) +
                                             "] Highest\r\n* SEARCH 1 2 3 4 (MODSEQ " +
                                             std::to_string(max_mod) + ")\r\na OK Search completed.\r\n");
  const uint64_t m3 = infos[2].modseq;
  EXPECT_EQ(search(*c, "SEARCH MODSEQ " + std::to_string(m3)),
            "* SEARCH 3 4 (MODSEQ " + std::to_string(infos[3].modseq) + ")");
  EXPECT_EQ(search(*c, "SEARCH MODSEQ " + std::to_string(max_mod + 1)), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH NOT MODSEQ 1"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH MODSEQ \"/flags/\\\\draft\" all " + std::to_string(m3)),
            "* SEARCH 3 4 (MODSEQ " + std::to_string(infos[3].modseq) + ")");
  EXPECT_EQ(search(*c, "SEARCH RETURN (ALL) MODSEQ 1"),
            "* ESEARCH (TAG \"t\") ALL 1:4 MODSEQ " + std::to_string(max_mod));
  EXPECT_EQ(search(*c, "SEARCH RETURN (MIN) MODSEQ 1"),
            "* ESEARCH (TAG \"t\") MIN 1 MODSEQ " + std::to_string(infos[0].modseq));
  EXPECT_EQ(search(*c, "SEARCH RETURN (COUNT) MODSEQ 1"),
            "* ESEARCH (TAG \"t\") COUNT 4 MODSEQ " + std::to_string(max_mod));
  EXPECT_EQ(search(*c, "SEARCH RETURN (ALL) MODSEQ 999999"), "* ESEARCH (TAG \"t\")");
  // Without a MODSEQ key no MODSEQ is reported.
  EXPECT_EQ(search(*c, "SEARCH SEEN"), "* SEARCH 1");
  EXPECT_EQ(c->cmd("b SEARCH MODSEQ x"), "b BAD Error in IMAP command SEARCH: Invalid MODSEQ value\r\n");
}

TEST_F(ImapSearchTest, Imap4rev2AnswersEsearch) {
  auto c = fixture();
  c->cmd("e ENABLE IMAP4rev2");
  EXPECT_EQ(search(*c, "SEARCH SEEN"), "* ESEARCH (TAG \"t\") ALL 1");
  EXPECT_EQ(search(*c, "UID SEARCH UNSEEN"), "* ESEARCH (TAG \"t\") UID ALL 3:5");
  EXPECT_EQ(search(*c, "SEARCH KEYWORD nope"), "* ESEARCH (TAG \"t\")");
  EXPECT_EQ(search(*c, "SEARCH RETURN (COUNT) ALL"), "* ESEARCH (TAG \"t\") COUNT 4");
}

TEST_F(ImapSearchTest, BadArgumentsAndState) {
  auto c = login();
  EXPECT_EQ(c->cmd("a SEARCH ALL"), "a BAD No mailbox selected.\r\n");
  c = fixture();
  EXPECT_EQ(c->cmd("b SEARCH"), "b BAD Error in IMAP command SEARCH: Missing search parameters\r\n");
  EXPECT_EQ(c->cmd("c SEARCH FOO"), "c BAD Error in IMAP command SEARCH: Unknown argument FOO\r\n");
  EXPECT_EQ(c->cmd("d UID SEARCH SINCE 32-Foo-2020"),
            "d BAD Error in IMAP command UID SEARCH: Invalid search date parameter\r\n");
  EXPECT_EQ(c->cmd("e SEARCH CHARSET KOI8-R BODY x"),
            "e NO [BADCHARSET (UTF-8 US-ASCII)] Unknown charset\r\n");
  EXPECT_EQ(c->cmd("f SEARCH OR SEEN"), "f BAD Error in IMAP command SEARCH: Missing argument\r\n");
  EXPECT_EQ(c->cmd("g SEARCH LARGER x"),
            "g BAD Error in IMAP command SEARCH: Invalid search size parameter\r\n");
  // The session still works.
  EXPECT_EQ(search(*c, "SEARCH SEEN"), "* SEARCH 1");
}

TEST_F(ImapSearchTest, ExpungedMessagesNeverMatch) {
  auto c = fixture();
  std::vector<uint32_t> uids{3};  // sequence 2
  alice()->expunge("INBOX", uids);
  // The first command after the expunge learns of it; no EXPUNGE is sent
  // during SEARCH, the sequence numbers stay.
  std::string r = c->cmd("a SEARCH BODY a");
  EXPECT_EQ(r.find("EXPUNGE"), std::string::npos) << r;
  EXPECT_EQ(search(*c, "SEARCH ALL"), "* SEARCH 1 3 4");
  EXPECT_EQ(search(*c, "SEARCH FLAGGED"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH 2"), "* SEARCH");
  // UID SEARCH without sequence numbers may announce the expunge (Dovecot).
  r = c->cmd("b UID SEARCH ALL");
  EXPECT_EQ(r, "* SEARCH 2 4 5\r\n* 2 EXPUNGE\r\nb OK Search completed.\r\n");
  EXPECT_EQ(search(*c, "SEARCH ALL"), "* SEARCH 1 2 3");
}

TEST_F(ImapSearchTest, NewMailIsAnnouncedAfterTheResult) {
  auto c = fixture();
  add("Subject: late\r\n\r\nlate body\r\n", 0, {}, "01-Feb-2021 00:00:00 +0000");
  std::string r = c->cmd("a SEARCH BODY late");
  EXPECT_EQ(r, "* SEARCH\r\n* 5 EXISTS\r\na OK Search completed.\r\n");
  EXPECT_EQ(search(*c, "SEARCH BODY late"), "* SEARCH 5");
}

TEST_F(ImapSearchTest, EmptyMailbox) {
  auto c = select();
  EXPECT_EQ(search(*c, "SEARCH ALL"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH *"), "* SEARCH");
  EXPECT_EQ(search(*c, "UID SEARCH UID 1:*"), "* SEARCH");
  EXPECT_EQ(search(*c, "SEARCH RETURN (MIN MAX COUNT) BODY x"), "* ESEARCH (TAG \"t\") COUNT 0");
}

TEST_F(ImapSearchTest, ContentSearchOverManyMessagesInBatches) {
  // More messages than one batch holds (256): every one is still decided.
  for (int i = 0; i < 300; ++i) {
    store::NewMessage m;
    std::string text =
        "Subject: n" + std::to_string(i) + "\r\n\r\n" + (i % 7 == 0 ? "needle\r\n" : "hay\r\n");
    m.pieces.push_back(text);
    alice()->append("INBOX", m);
  }
  auto c = select();
  std::string expected = "* ESEARCH (TAG \"t\") COUNT 43";
  EXPECT_EQ(search(*c, "SEARCH RETURN (COUNT) BODY needle"), expected);
  EXPECT_EQ(search(*c, "SEARCH RETURN (MIN MAX) TEXT needle"), "* ESEARCH (TAG \"t\") MIN 1 MAX 295");
}

}  // namespace
}  // namespace loft::imap::testing

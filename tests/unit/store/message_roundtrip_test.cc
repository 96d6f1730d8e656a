// Append / list / open round trips: byte-exact content, CRLF normalisation,
// sizes, dates, flags, limits.
#include <dirent.h>

#include <fstream>
#include <sstream>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;

TEST_F(StoreTest, AppendThenOpenGivesCrlfNormalisedBytes) {
  const std::string raw = "Subject: hi\nFrom: a@b\r\n\nline1\nline2\r\nend";
  uint32_t uid = user_->append("INBOX", message_of(raw));
  EXPECT_EQ(uid, 1u);
  const std::string expected = "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\nline2\r\nend";
  EXPECT_EQ(read_message(*user_, "INBOX", uid), expected);
  auto list = user_->list_messages("INBOX");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].uid, uid);
  EXPECT_EQ(list[0].size, expected.size());
  EXPECT_EQ(user_->open_message("INBOX", uid).size(), expected.size());
}

TEST_F(StoreTest, NulBytesAndBareCrAreKept) {
  const std::string raw("a\0b\rc\r\r\nd\n\n\0", 13);
  uint32_t uid = user_->append("INBOX", message_of(raw));
  const std::string expected("a\0b\rc\r\r\nd\r\n\r\n\0", 15);
  EXPECT_EQ(read_message(*user_, "INBOX", uid), expected);
  EXPECT_EQ(user_->list_messages("INBOX")[0].size, 15u);
}

TEST_F(StoreTest, PiecesAreConcatenatedAndCrAtPieceEndCounts) {
  // "X\r" + "\nY": the LF is preceded by CR from the previous piece.
  NewMessage m;
  std::string a = "Received: x\n", b = "X\r", c = "\nY\n";
  m.pieces = {a, b, c};
  uint32_t uid = user_->append("INBOX", m);
  EXPECT_EQ(read_message(*user_, "INBOX", uid), "Received: x\r\nX\r\nY\r\n");
}

TEST_F(StoreTest, EmptyMessageIsStored) {
  uint32_t uid = user_->append("INBOX", message_of(""));
  EXPECT_EQ(read_message(*user_, "INBOX", uid), "");
  EXPECT_EQ(user_->list_messages("INBOX")[0].size, 0u);
}

TEST_F(StoreTest, LargeMessageRoundTrip) {
  std::string raw;
  for (int i = 0; i < 50000; ++i) raw += "line " + std::to_string(i) + (i % 3 ? "\n" : "\r\n");
  uint32_t uid = user_->append("Archive", message_of(raw));
  EXPECT_EQ(read_message(*user_, "Archive", uid), to_crlf(raw));
}

TEST_F(StoreTest, CorpusMessagesRoundTripByteExact) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(LOFT_CORPUS_DIR)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.size() > 150) files.resize(150);
  ASSERT_FALSE(files.empty());
  std::vector<std::pair<uint32_t, std::string>> stored;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    stored.emplace_back(user_->append("INBOX", message_of(ss.str())), to_crlf(ss.str()));
  }
  reopen();
  auto list = user_->list_messages("INBOX");
  ASSERT_EQ(list.size(), stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(list[i].uid, stored[i].first);
    EXPECT_EQ(list[i].size, stored[i].second.size());
    EXPECT_EQ(read_message(*user_, "INBOX", stored[i].first), stored[i].second) << files[i];
  }
}

TEST_F(StoreTest, MessageFileReadAtOffsets) {
  uint32_t uid = user_->append("INBOX", message_of("0123456789"));
  MessageFile f = user_->open_message("INBOX", uid);
  EXPECT_EQ(f.read(3, 4), "3456");
  EXPECT_EQ(f.read(8, 100), "89");
  EXPECT_EQ(f.read(10, 5), "");
  EXPECT_EQ(f.read(1000, 5), "");
  MessageFile moved = std::move(f);
  EXPECT_EQ(f.fd(), -1);
  EXPECT_EQ(moved.read(0, 2), "01");
  MessageFile other;
  other = std::move(moved);
  EXPECT_EQ(other.read(0, 1), "0");
}

TEST_F(StoreTest, OpenUnknownUidOrMailboxIsNotFound) {
  user_->append("INBOX", message_of("x"));
  EXPECT_STORE_ERROR(user_->open_message("INBOX", 2), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->open_message("INBOX", 0), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->open_message("Nope", 1), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->append("Nope", message_of("x")), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->list_messages("Nope"), ErrorCode::kNotFound);
}

// open_messages(): the Maildir backend's one-transaction batch and the
// default that other backends inherit (open_message() per UID) agree.
TEST_F(StoreTest, OpenMessagesGivesEachInTheOrderAskedAndNothingForTheGone) {
  for (const char* body : {"one", "two", "three", "four"}) user_->append("INBOX", message_of(body));
  user_->expunge("INBOX", std::vector<uint32_t>{2});
  ForwardingUserStore by_default(user_);
  for (UserStore* u : {static_cast<UserStore*>(user_.get()), static_cast<UserStore*>(&by_default)}) {
    const std::vector<uint32_t> uids{4, 2, 1, 9, 4, 3};
    std::vector<std::optional<MessageFile>> files = u->open_messages("inbox", uids);
    ASSERT_EQ(files.size(), uids.size());
    std::vector<std::string> got;
    for (auto& f : files) got.push_back(f ? f->read(0, static_cast<size_t>(f->size())) : "(gone)");
    EXPECT_THAT(got, ElementsAre("four", "(gone)", "one", "(gone)", "four", "three"));
    EXPECT_TRUE(u->open_messages("INBOX", {}).empty());
    EXPECT_STORE_ERROR(u->open_messages("Nope", uids), ErrorCode::kNotFound);
  }
}

TEST_F(StoreTest, InternalDateFlagsAndKeywordsAreStored) {
  NewMessage m = message_of("x", kSeen | kDraft | (1u << 20), {"$Forwarded", "Work"});
  m.internal_date = 1700000000;
  m.internal_tz = -300;
  uint32_t uid = user_->append("Drafts", m);
  time_t before = time(nullptr);
  uint32_t uid2 = user_->append("Drafts", message_of("y"));
  auto list = user_->list_messages("Drafts");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].uid, uid);
  EXPECT_EQ(list[0].internal_date, 1700000000);
  EXPECT_EQ(list[0].internal_tz, -300);
  EXPECT_EQ(list[0].flags, kSeen | kDraft);  // unknown bits dropped
  EXPECT_THAT(list[0].keywords, ElementsAre("$Forwarded", "Work"));
  EXPECT_EQ(list[1].uid, uid2);
  EXPECT_GE(list[1].internal_date, before - 1);
  EXPECT_LE(list[1].internal_date, time(nullptr) + 1);
  EXPECT_EQ(list[1].flags, 0u);
}

TEST_F(StoreTest, InvalidKeywordIsRejected) {
  EXPECT_STORE_ERROR(user_->append("INBOX", message_of("x", 0, {"bad word"})), ErrorCode::kInvalidName);
  EXPECT_STORE_ERROR(user_->append("INBOX", message_of("x", 0, {""})), ErrorCode::kInvalidName);
  EXPECT_STORE_ERROR(user_->append("INBOX", message_of("x", 0, {"\\Seen"})), ErrorCode::kInvalidName);
  EXPECT_TRUE(user_->list_messages("INBOX").empty());
}

TEST_F(StoreTest, MaxMessageSizeCountsNormalisedBytes) {
  MaildirOptions o = options();
  o.max_message_size = 10;
  auto store = open_maildir_store(o);
  auto u = store->user("bob");
  EXPECT_EQ(u->append("INBOX", message_of("12345678\n")), 1u);  // 10 octets with CRLF
  EXPECT_STORE_ERROR(u->append("INBOX", message_of("123456789\n")), ErrorCode::kTooLarge);
  EXPECT_STORE_ERROR(u->append("INBOX", message_of("12345\n\n\n")), ErrorCode::kTooLarge);
  EXPECT_EQ(u->list_messages("INBOX").size(), 1u);
  EXPECT_EQ(u->status("INBOX").uidnext, 2u);
  // Nothing of the refused messages is left anywhere in the Maildir.
  EXPECT_EQ(files_below(o.root / "bob" / "Maildir").size(), 1u);
}

}  // namespace
}  // namespace loft::store::testing

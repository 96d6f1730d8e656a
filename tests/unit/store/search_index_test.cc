// The search index (search_index.h): what it answers after appends, COPY,
// expunge, mailbox delete/rename/recreate, a lost or damaged file, and
// messages stored while no indexer ran.
#include "store/search_index.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "mime/casemap.h"
#include "store/search_index_db.h"
#include "store/user_store.h"
#include "../support/forked_together.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using internal::SearchIndex;

std::string Msg(std::string_view from, std::string_view subject, std::string_view body) {
  return "From: " + std::string(from) + "\r\nTo: bob@example.org\r\nSubject: " + std::string(subject) +
         "\r\nMessage-ID: <x@y>\r\n\r\n" + std::string(body) + "\r\n";
}

class SearchIndexTest : public StoreTest {
 protected:
  uint32_t Add(std::string_view mailbox, const std::string& text) { return user_->append(mailbox, message_of(text)); }

  // The index's answer (brought up to date first), or {999999} when it declines.
  std::vector<uint32_t> Find(std::string_view mailbox, SearchField field, std::string_view needle) {
    (void)user_->update_search_index(mailbox);
    std::unique_ptr<MailboxSearchIndex> idx = user_->search_index(mailbox);
    if (!idx) return {999999};
    std::optional<std::vector<uint32_t>> r = idx->find(field, mime::SearchCasemap(needle));
    if (!r) return {999999};
    return *r;
  }
  fs::path index_file() const { return user_dir() / "search.sqlite"; }
};

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

TEST_F(SearchIndexTest, AnswersEveryFieldCaseInsensitively) {
  uint32_t a = Add("INBOX", Msg("Alice Ärger <alice@example.com>", "Quarterly budget", "The r\xc3\xa9sum\xc3\xa9 is attached"));
  uint32_t b = Add("INBOX", Msg("carol@example.net", "Lunch", "nothing to see"));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "RESUME"), ElementsAre());  // é is E + accent: no match
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "R\xc3\x89SUM\xc3\x89"), ElementsAre(a));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "see"), ElementsAre(b));
  EXPECT_THAT(Find("INBOX", SearchField::kFrom, "\xc3\xa4rger"), ElementsAre(a));
  EXPECT_THAT(Find("INBOX", SearchField::kFrom, "<alice@"), ElementsAre(a));
  EXPECT_THAT(Find("INBOX", SearchField::kTo, "bob@EXAMPLE"), ElementsAre(a, b));
  EXPECT_THAT(Find("INBOX", SearchField::kSubject, "budget"), ElementsAre(a));
  EXPECT_THAT(Find("INBOX", SearchField::kCc, "bob"), IsEmpty());
  EXPECT_THAT(Find("INBOX", SearchField::kText, "subject: lunch"), ElementsAre(b));
  EXPECT_THAT(Find("INBOX", SearchField::kText, "nothing"), ElementsAre(b));
  EXPECT_THAT(Find("INBOX", SearchField::kPartHeaders, "nothing"), IsEmpty());
  // Too short, or spanning a part's header and body: not the index's to answer.
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "th"), ElementsAre(999999u));
  EXPECT_THAT(Find("INBOX", SearchField::kText, "\r\n\r\nnothing"), ElementsAre(999999u));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "\r\nnothing"), IsEmpty());  // bodies start after the blank line
}

// A message above kMaxIndexedBytes is not read by the indexer (memory, and
// a quick stop), yet every search finds in it what a scan would.
TEST_F(SearchIndexTest, AMessageTooBigToIndexIsReadByEverySearch) {
  uint32_t small = Add("INBOX", Msg("a@b", "small", "needle here"));
  std::string body;
  while (body.size() <= internal::kMaxIndexedBytes) body += "filler line of a big message\r\n";
  body += "the needle at the end, and a hapax legomenon\r\n";
  uint32_t big = Add("INBOX", Msg("big@sender", "huge", body));
  uint32_t after = Add("INBOX", Msg("c@d", "after", "needle again"));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "needle"), ElementsAre(small, big, after));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "hapax legomenon"), ElementsAre(big));
  EXPECT_THAT(Find("INBOX", SearchField::kFrom, "big@"), ElementsAre(big));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "nowhere at all"), IsEmpty());
  // Its UID is indexed past: what came after it is answered from the index.
  std::unique_ptr<MailboxSearchIndex> idx = user_->search_index("INBOX");
  ASSERT_NE(idx, nullptr);
  EXPECT_EQ(idx->indexed_through(), after);
}

TEST_F(SearchIndexTest, BodiesAndFieldsAreNotJoinedIntoMatches) {
  std::string multi =
      "From: a@b\r\nTo: x@y, z@w\r\nTo: second@field\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
      "--BB\r\nContent-Type: text/plain\r\n\r\nendofone\r\n--BB\r\nContent-Type: text/plain\r\n\r\nstartoftwo\r\n--BB--\r\n";
  uint32_t uid = Add("INBOX", multi);
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "endofone"), ElementsAre(uid));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "startoftwo"), ElementsAre(uid));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "onestart"), IsEmpty());
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "one startoftwo"), IsEmpty());
  EXPECT_THAT(Find("INBOX", SearchField::kTo, "<z@w>"), ElementsAre(uid));
  EXPECT_THAT(Find("INBOX", SearchField::kTo, "w>"), ElementsAre(999999u));
  EXPECT_THAT(Find("INBOX", SearchField::kTo, "w><second"), IsEmpty());
  EXPECT_THAT(Find("INBOX", SearchField::kTo, "<second@field>"), ElementsAre(uid));
}

TEST_F(SearchIndexTest, ExpungedCopiedAndMovedMessages) {
  uint32_t a = Add("INBOX", Msg("a@b", "one", "apple pie"));
  uint32_t b = Add("INBOX", Msg("a@b", "two", "apple tart"));
  const uint32_t uids[] = {a};
  std::vector<uint32_t> copied = user_->copy("INBOX", uids, "Archive");
  EXPECT_THAT(Find("Archive", SearchField::kBody, "apple"), ElementsAre(copied[0]));
  user_->expunge("INBOX", uids);
  // Stale rows may stay (SEARCH asks only about the view), but never for a
  // live message that does not match, and every live match is there.
  std::vector<uint32_t> found = Find("INBOX", SearchField::kBody, "apple");
  EXPECT_TRUE(std::find(found.begin(), found.end(), b) != found.end());
  const uint32_t move_uids[] = {b};
  std::vector<uint32_t> moved = user_->move("INBOX", move_uids, "Drafts");
  EXPECT_THAT(Find("Drafts", SearchField::kBody, "tart"), ElementsAre(moved[0]));
  EXPECT_THAT(Find("Archive", SearchField::kBody, "tart"), IsEmpty());
}

TEST_F(SearchIndexTest, RecreatedAndRenamedMailboxesNeverSeeOldRows) {
  user_->create_mailbox("Work");
  uint32_t old_uid = Add("Work", Msg("a@b", "old", "secret plans"));
  ASSERT_THAT(Find("Work", SearchField::kBody, "secret"), ElementsAre(old_uid));
  user_->delete_mailbox("Work");
  user_->create_mailbox("Work");
  uint32_t new_uid = Add("Work", Msg("a@b", "new", "public notes"));
  EXPECT_EQ(new_uid, old_uid);  // same name, same UID, new UIDVALIDITY
  EXPECT_THAT(Find("Work", SearchField::kBody, "secret"), IsEmpty());
  EXPECT_THAT(Find("Work", SearchField::kBody, "public"), ElementsAre(new_uid));

  user_->rename_mailbox("Work", "Play");
  EXPECT_THAT(Find("Play", SearchField::kBody, "public"), ElementsAre(new_uid));

  uint32_t inbox_uid = Add("INBOX", Msg("a@b", "in", "inbox words"));
  user_->rename_mailbox("INBOX", "Old");
  EXPECT_THAT(Find("Old", SearchField::kBody, "inbox words"), ElementsAre(1u));
  std::vector<uint32_t> stale = Find("INBOX", SearchField::kBody, "inbox words");
  // INBOX keeps its UIDVALIDITY; the moved message's old row is stale but
  // its UID is never used again in INBOX.
  uint32_t next = Add("INBOX", Msg("a@b", "fresh", "fresh words"));
  EXPECT_GT(next, inbox_uid);
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "fresh words"), ElementsAre(next));
  for (uint32_t u : stale) EXPECT_LE(u, inbox_uid);
}

TEST_F(SearchIndexTest, RebuiltAfterTheFileIsDeletedOrDamaged) {
  uint32_t a = Add("INBOX", Msg("a@b", "x", "kiwi fruit"));
  ASSERT_THAT(Find("INBOX", SearchField::kBody, "kiwi"), ElementsAre(a));
  reopen();
  internal::SearchIndexDb::Remove(index_file());
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "kiwi"), ElementsAre(a));
  reopen();
  {
    std::ofstream f(index_file(), std::ios::binary | std::ios::trunc);
    f << std::string(8192, 'x');  // not a database at all
  }
  internal::SearchIndexDb::Remove(index_file().string() + "-wal");
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "kiwi"), ElementsAre(a));
  uint32_t b = Add("INBOX", Msg("a@b", "y", "kiwi juice"));
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "kiwi"), ElementsAre(a, b));
}

TEST_F(SearchIndexTest, IndexOfAnotherFormatIsRebuilt) {
  uint32_t a = Add("INBOX", Msg("a@b", "x", "mango"));
  ASSERT_THAT(Find("INBOX", SearchField::kBody, "mango"), ElementsAre(a));
  user_.reset();
  store_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(index_file().c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  store_ = open_maildir_store(options());
  user_ = store_->user("alice");
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "mango"), ElementsAre(a));
}

// Several processes (the server's indexer, `loft check`, `loft index`) may
// open a user's search index before it exists: each switches the new file
// to WAL, which needs a moment of exclusive access that SQLite's busy
// handler does not cover.
TEST(SearchIndexDbOpen, ManyProcessesOpenAFreshIndexAtOnce) {
  TempDir dir;
  constexpr int kRounds = 12, kOpeners = 8;
  for (int round = 0; round < kRounds; ++round) {
    const fs::path file = dir.path() / ("search" + std::to_string(round) + ".sqlite");
    const int failed = loft::testing::run_forked_together(
        kOpeners, [&](int t) { internal::SearchIndexDb(file).create_box({t + 1, 1}); });
    ASSERT_EQ(failed, 0) << "round " << round;
    // Nobody took the file for damaged and started it again: every box is there.
    EXPECT_EQ(internal::SearchIndexDb(file).boxes().size(), static_cast<size_t>(kOpeners))
        << "round " << round;
  }
}

// A feed over a fixed list of messages, and a SearchIndex without a
// background thread: what a catch-up does by itself.
class FakeFeed : public internal::SearchIndexFeed {
 public:
  std::optional<internal::SearchMailboxKey> mailbox_key(const std::string& name) override {
    if (name != "box" || gone) return std::nullopt;
    return key;
  }
  std::vector<internal::SearchMailboxKey> mailbox_keys() override {
    if (gone) return {};
    return {key};
  }
  std::optional<internal::MessagesToIndex> messages_after(const internal::SearchMailboxKey& k, uint32_t after,
                                                          size_t max_messages, uint64_t) override {
    if (gone || !(k == key)) return std::nullopt;
    internal::MessagesToIndex out;
    for (const auto& [uid, text] : messages) {
      if (uid <= after) continue;
      if (out.messages.size() == max_messages) break;
      ++reads;
      out.messages.push_back({uid, text, mime::ParseMessage(text).Serialize()});
      out.last_uid = uid;
    }
    return out;
  }
  uint64_t count_after(const internal::SearchMailboxKey&, uint32_t after) override {
    ++counts;
    return static_cast<uint64_t>(std::distance(messages.upper_bound(after), messages.end()));
  }
  uint64_t message_count(const internal::SearchMailboxKey&) override { return messages.size(); }
  std::optional<internal::MessageToIndex> message(const internal::SearchMailboxKey& k, uint32_t uid) override {
    auto it = messages.find(uid);
    if (gone || !(k == key) || it == messages.end()) return std::nullopt;
    return internal::MessageToIndex{uid, it->second, mime::ParseMessage(it->second).Serialize()};
  }

  internal::SearchMailboxKey key{7, 1234};
  std::map<uint32_t, std::string> messages;
  bool gone = false;
  size_t reads = 0;
  size_t counts = 0;  // count_after() calls
};

TEST(SearchIndexCatchUpTest, IndexesWhatWasStoredWhileNoIndexerRan) {
  TempDir dir;
  FakeFeed feed;
  for (uint32_t uid = 1; uid <= 600; ++uid)
    feed.messages[uid] = Msg("a@b", "s", uid % 3 == 0 ? "fizz word" : "plain word");
  SearchIndex::Options opts;
  opts.background = false;
  opts.batch_messages = 50;
  opts.scan_backlog = 0;  // SEARCH always catches up
  {
    auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
    auto reader = index->open("box");
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->indexed_through(), 600u);
    EXPECT_EQ(reader->find(SearchField::kBody, "FIZZ")->size(), 200u);
    EXPECT_EQ(feed.reads, 600u);
  }
  // More arrive while nothing runs; a new index object indexes only those.
  feed.messages[601] = Msg("a@b", "s", "fizz late");
  feed.messages[605] = Msg("a@b", "s", "late only");
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
  auto reader = index->open("box");
  EXPECT_EQ(reader->indexed_through(), 605u);
  EXPECT_EQ(feed.reads, 602u);
  EXPECT_EQ(reader->find(SearchField::kBody, "FIZZ")->size(), 201u);
  EXPECT_THAT(*reader->find(SearchField::kBody, "LATE"), ElementsAre(601u, 605u));

  // UIDVALIDITY changed: a new box, nothing old answers.
  feed.key.uidvalidity = 99;
  feed.messages = {{1, Msg("a@b", "s", "other")}};
  auto fresh = index->open("box");
  EXPECT_THAT(*fresh->find(SearchField::kBody, "FIZZ"), IsEmpty());
  EXPECT_THAT(*fresh->find(SearchField::kBody, "OTHER"), ElementsAre(1u));
  feed.gone = true;
  EXPECT_EQ(index->open("box"), nullptr);
}

// SEARCH does not index a few new messages itself (it reads them: cheaper
// than indexing them on the spot); a bigger backlog it does index.
TEST(SearchIndexCatchUpTest, ASmallBacklogIsLeftToTheBackground) {
  TempDir dir;
  FakeFeed feed;
  for (uint32_t uid = 1; uid <= 5; ++uid) feed.messages[uid] = Msg("a@b", "s", "fizz");
  SearchIndex::Options opts;
  opts.background = false;
  opts.scan_backlog = 10;
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
  EXPECT_EQ(index->open("box")->indexed_through(), 0u);
  EXPECT_EQ(feed.reads, 0u);

  for (uint32_t uid = 6; uid <= 20; ++uid) feed.messages[uid] = Msg("a@b", "s", "fizz");
  const size_t counts = feed.counts;
  auto reader = index->open("box");
  EXPECT_EQ(feed.counts - counts, 1u);  // the backlog is counted once, not again under the lock
  EXPECT_EQ(reader->indexed_through(), 20u);
  EXPECT_EQ(reader->find(SearchField::kBody, "FIZZ")->size(), 20u);

  for (uint32_t uid = 21; uid <= 23; ++uid) feed.messages[uid] = Msg("a@b", "s", "fizz");
  EXPECT_EQ(index->open("box")->indexed_through(), 20u);
  EXPECT_EQ(feed.reads, 20u);
  EXPECT_EQ(index->catch_up_all("box"), 23u);
}

TEST(SearchIndexCatchUpTest, MergedAndFreshPostingsAnswerTogether) {
  TempDir dir;
  FakeFeed feed;
  for (uint32_t uid = 1; uid <= 2500; ++uid)
    feed.messages[uid] = Msg("a@b", "s", std::string(uid % 3 == 0 ? "fizz" : "plain") + " word" +
                                             (uid % 250 == 0 ? " rare-" + std::to_string(uid) : ""));
  SearchIndex::Options opts;
  opts.background = false;
  opts.batch_messages = 100;
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
  ASSERT_EQ(index->catch_up_all("box"), 2500u);
  {
    // The first 2000 messages' postings were merged, the rest are per batch.
    internal::SearchIndexDb db(dir.path() / "s.sqlite");
    internal::SearchIndexDb::Sizes sizes = db.sizes(1);
    EXPECT_GT(sizes.posting_rows, 0u);
    EXPECT_GT(sizes.fresh_rows, 0u);
  }
  auto reader = index->open("box");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->find(SearchField::kBody, "FIZZ")->size(), 833u);
  EXPECT_EQ(reader->find(SearchField::kBody, "IZZ WOR")->size(), 833u);  // candidates read and checked
  EXPECT_THAT(*reader->find(SearchField::kBody, "RARE-25"), ElementsAre(250u, 2500u));
  EXPECT_THAT(*reader->find(SearchField::kBody, "RARE-2500"), ElementsAre(2500u));
  EXPECT_THAT(*reader->find(SearchField::kBody, "WORD RARE-2"), ElementsAre(250u, 2000u, 2250u, 2500u));
  EXPECT_THAT(*reader->find(SearchField::kBody, "ZZ WORD RARE-2"), ElementsAre(2250u));
  EXPECT_THAT(*reader->find(SearchField::kBody, "ZZ  WORD"), IsEmpty());
  // More candidates than are worth reading: the scan's.
  EXPECT_EQ(reader->find(SearchField::kBody, "N WORD"), std::nullopt);
}

TEST(SearchIndexCatchUpTest, ABudgetLeavesTheRestUnknown) {
  TempDir dir;
  FakeFeed feed;
  for (uint32_t uid = 1; uid <= 300; ++uid) feed.messages[uid] = Msg("a@b", "s", "word");
  SearchIndex::Options opts;
  opts.background = false;
  opts.batch_messages = 10;
  opts.search_budget = std::chrono::milliseconds(0);
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
  auto reader = index->open("box");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->indexed_through(), 10u);  // one batch, then the budget is spent
  EXPECT_EQ(reader->find(SearchField::kBody, "WORD")->size(), 10u);
  EXPECT_EQ(index->catch_up_all("box"), 300u);
}

// What the store's changes announce to the search index's settle: the
// messages they add, and nothing for changes that add none.
TEST_F(SearchIndexTest, OnlyNewMessagesCountTowardsTheSettle) {
  auto* maildir = dynamic_cast<internal::MaildirUserStore*>(user_.get());
  ASSERT_NE(maildir, nullptr);
  SearchIndex& index = maildir->search_index_internal();
  user_->create_mailbox("Other");
  const auto start = std::chrono::steady_clock::now();
  std::vector<size_t> counts;
  uint32_t a = Add("INBOX", Msg("a@b", "one", "x"));
  counts.push_back(index.new_messages_announced());
  user_->store_flags("INBOX", std::vector<uint32_t>{a}, +1, kSeen, {});
  counts.push_back(index.new_messages_announced());
  const std::string second = Msg("a@b", "two", "x"), third = Msg("a@b", "three", "x");
  std::vector<NewMessage> two = {message_of(second), message_of(third)};  // views into the strings above
  std::vector<uint32_t> bc = user_->append_many("INBOX", two);
  counts.push_back(index.new_messages_announced());
  user_->copy("INBOX", bc, "Other");
  counts.push_back(index.new_messages_announced());
  user_->move("INBOX", std::vector<uint32_t>{a}, "Other");
  counts.push_back(index.new_messages_announced());
  user_->expunge("INBOX", bc);
  counts.push_back(index.new_messages_announced());
  // The background thread takes the count when its settle (5 s) ends.
  if (std::chrono::steady_clock::now() - start > std::chrono::seconds(4)) {
    GTEST_SKIP() << "slower than the settle: the counts may have been taken meanwhile";
  }
  EXPECT_THAT(counts, ElementsAre(1u, 1u, 3u, 5u, 6u, 6u));
}

// The index keeps its statements prepared, a few per mailbox and at most
// 256 in all; past that they are dropped and made again. Answers stay
// exact across the drops, and for a mailbox deleted and made again under
// the same name (a new box; the old one waits for garbage collection).
TEST_F(SearchIndexTest, ManyMailboxesKeepExactAnswersAsKeptStatementsTurnOver) {
  constexpr int kBoxes = 100;  // three statements each per connection: more than 256
  std::vector<std::string> names;
  std::vector<std::vector<uint32_t>> uids(kBoxes);
  for (int i = 0; i < kBoxes; ++i) {
    names.push_back("box" + std::to_string(i));
    user_->create_mailbox(names.back());
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kBoxes; ++i) {
      uids[i].push_back(Add(names[i], Msg("a@b", "s", "common mark" + std::to_string(i) + "z round" +
                                                          std::to_string(round) + "q")));
    }
    for (int i = 0; i < kBoxes; ++i) {
      SCOPED_TRACE(names[i]);
      EXPECT_EQ(Find(names[i], SearchField::kBody, "mark" + std::to_string(i) + "z"), uids[i]);
      EXPECT_THAT(Find(names[i], SearchField::kBody, "round" + std::to_string(round) + "q"),
                  ElementsAre(uids[i].back()));
      EXPECT_EQ(Find(names[i], SearchField::kBody, "COMMON"), uids[i]);
    }
  }
  // A mailbox deleted and made again under the same name: a new box.
  user_->delete_mailbox(names[3]);
  user_->create_mailbox(names[3]);
  uint32_t again = Add(names[3], Msg("a@b", "s", "mark3z anew"));
  EXPECT_THAT(Find(names[3], SearchField::kBody, "mark3z"), ElementsAre(again));
  EXPECT_THAT(Find(names[4], SearchField::kBody, "mark4z"), ElementsAreArray(uids[4]));
}

TEST_F(SearchIndexTest, StaleRowsAreDroppedWhenTheyDominate) {
  std::vector<uint32_t> uids;
  for (int i = 0; i < 1100; ++i) uids.push_back(Add("INBOX", Msg("a@b", "s", "gone " + std::to_string(i))));
  auto* maildir = dynamic_cast<internal::MaildirUserStore*>(user_.get());
  ASSERT_NE(maildir, nullptr);
  ASSERT_EQ(maildir->search_index_internal().catch_up_all("INBOX"), uids.back());
  user_->expunge("INBOX", uids);
  uint32_t kept = Add("INBOX", Msg("a@b", "s", "gone but kept"));
  maildir->search_index_internal().catch_up_all("INBOX");
  // The rebuilt box holds only the live message.
  EXPECT_THAT(Find("INBOX", SearchField::kBody, "gone"), ElementsAre(kept));
}

// A FakeFeed that stops once, inside messages_after (pause_reading: an
// indexer reading its batch) or mailbox_keys (pause_listing: the background
// thread's clean-up, which holds the writer's lock), until resume is set.
class PausingFeed : public FakeFeed {
 public:
  std::optional<internal::MessagesToIndex> messages_after(const internal::SearchMailboxKey& k, uint32_t after,
                                                          size_t max_messages, uint64_t max_bytes) override {
    pause_if(pause_reading);
    return FakeFeed::messages_after(k, after, max_messages, max_bytes);
  }
  std::vector<internal::SearchMailboxKey> mailbox_keys() override {
    pause_if(pause_listing);
    return FakeFeed::mailbox_keys();
  }

  std::atomic<bool> pause_reading{false}, pause_listing{false};
  std::promise<void> paused, resume;

 private:
  void pause_if(std::atomic<bool>& flag) {
    if (!flag.exchange(false)) return;
    paused.set_value();
    resumed_.wait();
  }
  std::shared_future<void> resumed_ = resume.get_future().share();
};

// A SEARCH opens the index while the feed is paused. Returns its reader
// when it answered within 10 s, else null; the feed is resumed either way.
std::unique_ptr<MailboxSearchIndex> OpenWhilePaused(PausingFeed& feed, SearchIndex& index) {
  feed.paused.get_future().wait();
  auto search = std::async(std::launch::async, [&] { return index.open("box"); });
  const bool answered = search.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  feed.resume.set_value();
  std::unique_ptr<MailboxSearchIndex> reader = search.get();
  return answered ? std::move(reader) : nullptr;
}

// Reading the messages and making their documents is done without the
// index's lock: a SEARCH opening the index while the background indexer
// reads a batch is not held up by it, and the two catch-ups end with every
// message indexed once.
TEST(SearchIndexCatchUpTest, ASearchDoesNotWaitForAnotherIndexersReading) {
  TempDir dir;
  PausingFeed feed;
  for (uint32_t uid = 1; uid <= 40; ++uid) feed.messages[uid] = Msg("a@b", "s", uid % 2 ? "odd" : "even");
  SearchIndex::Options opts;
  opts.background = false;
  opts.scan_backlog = 0;  // the SEARCH indexes for itself
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);

  feed.pause_reading = true;
  std::future<std::optional<uint32_t>> indexer = std::async(std::launch::async, [&] { return index->catch_up_all("box"); });
  std::unique_ptr<MailboxSearchIndex> reader = OpenWhilePaused(feed, *index);  // while the indexer reads
  ASSERT_NE(reader, nullptr) << "the SEARCH waited for the indexer's reading";
  EXPECT_EQ(reader->indexed_through(), 40u);
  // The indexer's batch lost the race: it starts from what the SEARCH did.
  EXPECT_EQ(indexer.get(), 40u);
  EXPECT_EQ(reader->find(SearchField::kBody, "ODD")->size(), 20u);
  auto again = index->open("box");
  EXPECT_EQ(again->find(SearchField::kBody, "EVEN")->size(), 20u);
  EXPECT_EQ(feed.reads, 80u);  // both read the 40; the indexer's were wasted
}

// Nor for the writer's lock: with the box indexed, a SEARCH reads its row on
// the reader connection while the background thread holds the lock (here
// for its clean-up of deleted mailboxes' boxes, paused inside).
TEST(SearchIndexCatchUpTest, ASearchDoesNotWaitForTheWritersLock) {
  TempDir dir;
  PausingFeed feed;
  for (uint32_t uid = 1; uid <= 40; ++uid) feed.messages[uid] = Msg("a@b", "s", uid % 2 ? "odd" : "even");
  SearchIndex::Options opts;
  opts.settle = std::chrono::milliseconds(0);
  opts.scan_backlog = 10;
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
  ASSERT_EQ(index->catch_up_all("box"), 40u);
  feed.messages[41] = Msg("a@b", "s", "odd");

  feed.pause_listing = true;
  index->kick("box", 1);  // indexes 41, then takes the lock to collect garbage
  std::unique_ptr<MailboxSearchIndex> reader = OpenWhilePaused(feed, *index);
  ASSERT_NE(reader, nullptr) << "the SEARCH waited for the writer's lock";
  EXPECT_EQ(reader->indexed_through(), 41u);
  EXPECT_EQ(reader->find(SearchField::kBody, "ODD")->size(), 21u);
  index->stop();
}


// The background thread waits for a burst of commits to end (settle), but
// not past settle_messages new messages: under a steady stream of
// deliveries the backlog a SEARCH finds stays small. Commits that add no
// message (flag changes) do not end it: they give the indexer nothing to do.
TEST(SearchIndexCatchUpTest, ManyNewMessagesEndTheSettleEarly) {
  TempDir dir;
  FakeFeed feed;
  for (uint32_t uid = 1; uid <= 3; ++uid) feed.messages[uid] = Msg("a@b", "s", "word");
  SearchIndex::Options opts;
  opts.settle = std::chrono::hours(1);
  opts.settle_messages = 3;
  opts.scan_backlog = 1000;  // open() only looks
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);
  index->kick("box", 2);
  for (int i = 0; i < 10; ++i) index->kick("box", 0);  // flag changes
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(index->open("box")->indexed_through(), 0u);  // still settling
  index->kick("box", 1);
  uint32_t through = 0;
  for (int i = 0; i < 1000 && through == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    through = index->open("box")->indexed_through();
  }
  EXPECT_EQ(through, 3u);
  index->stop();
}


// Two SEARCHes that find a big backlog (after a rebuild: the whole
// mailbox) do not both index it: the second waits for the first and finds
// nothing left.
TEST(SearchIndexCatchUpTest, ConcurrentSearchesIndexABacklogOnce) {
  TempDir dir;
  PausingFeed feed;
  for (uint32_t uid = 1; uid <= 40; ++uid) feed.messages[uid] = Msg("a@b", "s", "word");
  SearchIndex::Options opts;
  opts.background = false;
  opts.scan_backlog = 5;
  auto index = std::make_shared<SearchIndex>(dir.path() / "s.sqlite", feed, opts);

  feed.pause_reading = true;
  auto first = std::async(std::launch::async, [&] { return index->open("box"); });
  feed.paused.get_future().wait();
  auto second = std::async(std::launch::async, [&] { return index->open("box"); });
  // It waits for the first (it would be done by now if it indexed itself).
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  feed.resume.set_value();
  EXPECT_EQ(first.get()->indexed_through(), 40u);
  EXPECT_EQ(second.get()->indexed_through(), 40u);
  EXPECT_EQ(feed.reads, 40u);
}

}  // namespace
}  // namespace loft::store::testing

// Reads do not wait for writes: a user store reads through connections of
// its own (IndexReaders), so a FETCH, STATUS or LIST is not held up by an
// APPEND that waits for the index's write lock or for its commit's fsync.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "index_sql.h"
#include "store/index_readers.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(StoreTest, ReadsGoOnWhileAnAppendWaitsForTheIndexWriteLock) {
  const uint32_t first = user_->append("INBOX", message_of("Subject: one\n\nfirst\n"));
  user_->create_mailbox("Projects", "");
  const size_t mailboxes = user_->list_mailboxes().size();

  // Another process (standing in: a connection of the test's own) holds the
  // index's write lock, so this store's next write waits in SQLite's busy
  // handler, holding the store's writer lock meanwhile.
  IndexSql other(user_dir() / "index.sqlite");
  other.exec("BEGIN IMMEDIATE");
  std::atomic<bool> appended{false};
  auto append = std::async(std::launch::async, [&] {
    uint32_t uid = user_->append("INBOX", message_of("Subject: two\n\nsecond\n"));
    appended = true;
    return uid;
  });
  std::this_thread::sleep_for(300ms);  // the append is now waiting for the lock
  ASSERT_FALSE(appended);

  // Every read completes meanwhile, and sees the last commit.
  auto reads = std::async(std::launch::async, [&] {
    EXPECT_EQ(user_->status("INBOX").messages, 1u);
    auto snap = user_->snapshot("INBOX");
    EXPECT_EQ(uids_of(snap->messages), std::vector<uint32_t>{first});
    EXPECT_EQ(uids_of(user_->list_messages("INBOX")), std::vector<uint32_t>{first});
    EXPECT_EQ(user_->changes_since("INBOX", 0).added_or_changed.size(), 1u);
    EXPECT_EQ(read_message(*user_, "INBOX", first), to_crlf("Subject: one\n\nfirst\n"));
    EXPECT_FALSE(user_->parsed_message("INBOX", first).empty());
    EXPECT_TRUE(user_->mailbox_exists("Projects"));
    EXPECT_EQ(user_->list_mailboxes().size(), mailboxes);
    EXPECT_FALSE(user_->list_subscriptions().empty());
  });
  const bool reads_done = reads.wait_for(5s) == std::future_status::ready;
  EXPECT_FALSE(appended) << "the append did not wait: the test proved nothing";
  other.exec("ROLLBACK");  // lets the append (and, with the old lock, the reads) finish
  EXPECT_TRUE(reads_done) << "reads waited for the writer";
  reads.get();
  const uint32_t second = append.get();

  // Once the append returned, every read sees it.
  EXPECT_EQ(user_->status("INBOX").messages, 2u);
  EXPECT_EQ(uids_of(user_->snapshot("INBOX")->messages), (std::vector<uint32_t>{first, second}));
}

TEST_F(StoreTest, IndexReadersReuseTheirConnectionsAndKeepFewIdle) {
  internal::IndexReaders readers(user_dir() / "index.sqlite");
  {
    auto a = readers.acquire();
    EXPECT_TRUE(a->mailbox_by_name("INBOX").has_value());
  }
  {
    auto b = readers.acquire();  // the same connection again
    EXPECT_EQ(readers.open_count(), 1u);
  }
  {
    std::vector<std::unique_ptr<internal::IndexReaders::Lease>> many;
    for (int i = 0; i < 7; ++i) {
      // new, not make_unique: a Lease is not movable, and only a prvalue initialises it.
      many.emplace_back(new internal::IndexReaders::Lease(readers.acquire()));
    }
    EXPECT_EQ(readers.open_count(), 7u);
  }
  EXPECT_EQ(readers.open_count(), internal::IndexReaders::kKeptIdle);
}

TEST_F(StoreTest, AnIndexReaderCannotWrite) {
  const size_t subscribed = user_->list_subscriptions().size();
  internal::IndexReaders readers(user_dir() / "index.sqlite");
  auto db = readers.acquire();
  EXPECT_THROW(
      {
        internal::Transaction tx(*db, internal::Transaction::kWrite);
        db->set_subscribed("Nowhere", true);
        tx.commit();
      },
      StoreError);
  EXPECT_EQ(user_->list_subscriptions().size(), subscribed);
}

}  // namespace
}  // namespace loft::store::testing

// Subscriptions are names kept apart from the mailboxes (RFC 3501 6.3.6,
// RFC 9051 6.3.7-9): they outlive a DELETE, follow a RENAME, and an index
// of schema version 2 (subscription flag on the mailbox row) is migrated.
#include <algorithm>

#include "index_sql.h"
#include "store/store.h"
#include "store_test_util.h"
#include "old_schemas.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

bool listed_as_subscribed(UserStore& u, std::string_view name) {
  for (const MailboxInfo& m : u.list_mailboxes())
    if (m.name == name) return m.subscribed;
  return false;
}

bool listed(UserStore& u, std::string_view name) {
  auto all = u.list_mailboxes();
  return std::any_of(all.begin(), all.end(), [&](const MailboxInfo& m) { return m.name == name; });
}

TEST_F(StoreTest, DefaultMailboxesAreSubscribedInboxFirst) {
  EXPECT_THAT(user_->list_subscriptions(), ElementsAre("INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"));
}

TEST_F(StoreTest, SubscriptionSurvivesDeleteAndRecreate) {
  user_->create_mailbox("gone");
  user_->create_mailbox("gone/kid");
  user_->set_subscribed("gone", true);
  user_->set_subscribed("gone/kid", true);
  user_->delete_mailbox("gone/kid");
  user_->delete_mailbox("gone");
  EXPECT_FALSE(listed(*user_, "gone"));
  auto subs = user_->list_subscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "gone"), subs.end());
  EXPECT_NE(std::find(subs.begin(), subs.end(), "gone/kid"), subs.end());
  reopen();
  subs = user_->list_subscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "gone"), subs.end());
  // A mailbox created again under the name is subscribed at once.
  user_->create_mailbox("gone");
  EXPECT_TRUE(listed_as_subscribed(*user_, "gone"));
  // Unsubscribing a name without a mailbox works and is idempotent.
  user_->set_subscribed("gone/kid", false);
  user_->set_subscribed("gone/kid", false);
  user_->set_subscribed("never-there", false);
  subs = user_->list_subscriptions();
  EXPECT_EQ(std::find(subs.begin(), subs.end(), "gone/kid"), subs.end());
}

TEST_F(StoreTest, SubscribingNeedsAMailboxAndAValidName) {
  EXPECT_STORE_ERROR(user_->set_subscribed("Nope", true), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->set_subscribed("../x", false), ErrorCode::kInvalidName);
  auto subs = user_->list_subscriptions();
  EXPECT_EQ(std::find(subs.begin(), subs.end(), "Nope"), subs.end());
  // INBOX in any case is INBOX.
  user_->set_subscribed("inbox", false);
  EXPECT_FALSE(listed_as_subscribed(*user_, "INBOX"));
  user_->set_subscribed("InBox", true);
  EXPECT_EQ(user_->list_subscriptions().front(), "INBOX");
}

TEST_F(StoreTest, SubscriptionChangesAreAnnouncedOnlyWhenSomethingChanged) {
  user_->create_mailbox("Lists");
  std::vector<std::string> heard;
  auto sub = user_->subscribe([&](const std::string& m) { heard.push_back(m); });
  user_->set_subscribed("Lists", true);
  user_->set_subscribed("Lists", true);
  user_->set_subscribed("Lists", false);
  user_->set_subscribed("Lists", false);
  EXPECT_THAT(heard, ElementsAre("Lists", "Lists"));
}

TEST_F(StoreTest, RenameMovesSubscriptionsOfTheNameAndItsChildren) {
  user_->create_mailbox("a");
  user_->create_mailbox("a/x");
  user_->create_mailbox("a/gone");
  user_->create_mailbox("ab");
  for (const char* n : {"a", "a/x", "a/gone", "ab"}) user_->set_subscribed(n, true);
  user_->delete_mailbox("a/gone");  // subscribed, no mailbox
  user_->rename_mailbox("a", "b");
  auto subs = user_->list_subscriptions();
  auto has = [&](std::string_view n) { return std::find(subs.begin(), subs.end(), n) != subs.end(); };
  EXPECT_TRUE(has("b"));
  EXPECT_TRUE(has("b/x"));
  EXPECT_TRUE(has("b/gone"));
  EXPECT_TRUE(has("ab"));  // not below "a"
  EXPECT_FALSE(has("a"));
  EXPECT_FALSE(has("a/x"));
  EXPECT_FALSE(has("a/gone"));
  EXPECT_TRUE(listed_as_subscribed(*user_, "b/x"));
  EXPECT_FALSE(listed(*user_, "b/gone"));
}

TEST_F(StoreTest, RenameOntoOwnParentLevelKeepsSubscriptionsStraight) {
  // "x/y" -> "x": "x/y/y" becomes "x/y", the source's old name.
  user_->create_mailbox("x/y");
  user_->create_mailbox("x/y/y");
  user_->set_subscribed("x/y/y", true);
  user_->rename_mailbox("x/y", "x");
  auto subs = user_->list_subscriptions();
  EXPECT_NE(std::find(subs.begin(), subs.end(), "x/y"), subs.end());
  EXPECT_EQ(std::find(subs.begin(), subs.end(), "x/y/y"), subs.end());
  EXPECT_EQ(std::find(subs.begin(), subs.end(), "x"), subs.end());  // "x/y" was not subscribed
}

TEST_F(StoreTest, RenameInboxLeavesSubscriptionsAlone) {
  user_->create_mailbox("INBOX/kid");
  user_->set_subscribed("INBOX/kid", true);
  user_->rename_mailbox("INBOX", "Old");
  auto subs = user_->list_subscriptions();
  EXPECT_EQ(subs.front(), "INBOX");
  EXPECT_NE(std::find(subs.begin(), subs.end(), "INBOX/kid"), subs.end());
  EXPECT_EQ(std::find(subs.begin(), subs.end(), "Old"), subs.end());
}

TEST(StoreMigration, Version2SubscriptionFlagsBecomeSubscriptions) {
  Version2User old({".Lists", ".Quiet"},
                   "INSERT INTO meta VALUES ('last_uidvalidity', 1700000002);"
                   "INSERT INTO mailboxes "
                   "(id, name, dir, uidvalidity, uidnext, highest_modseq, special_use, subscribed) "
                   "VALUES (1, 'INBOX', '', 1700000000, 1, 1, '', 1), (2, 'Lists', '.Lists', 1700000001, 1, 1, '', 1), "
                   "(3, 'Quiet', '.Quiet', 1700000002, 1, 1, '', 0);");
  auto store = open_maildir_store(old.opts);
  auto user = store->user("old");
  IndexSql db(old.user_dir / "index.sqlite");
  EXPECT_EQ(db.count("SELECT MAX(version) FROM schema_version"), 4);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM pragma_table_info('mailboxes') WHERE name='subscribed'"), 0);
  EXPECT_THAT(user->list_subscriptions(), ElementsAre("INBOX", "Lists"));
  EXPECT_TRUE(listed_as_subscribed(*user, "Lists"));
  EXPECT_FALSE(listed_as_subscribed(*user, "Quiet"));
  EXPECT_EQ(user->status("Lists").uidvalidity, 1700000001u);
  // And it behaves like a new index afterwards.
  user->delete_mailbox("Lists");
  EXPECT_THAT(user->list_subscriptions(), ElementsAre("INBOX", "Lists"));
  user.reset();
  store = open_maildir_store(old.opts);
  EXPECT_THAT(store->user("old")->list_subscriptions(), ElementsAre("INBOX", "Lists"));
}

TEST(StoreMigration, NewIndexHasTheSubscriptionsTableOnly) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = false;
  auto store = open_maildir_store(opts);
  store->user("fresh");
  IndexSql db(opts.root / "fresh" / "index.sqlite");
  EXPECT_EQ(db.count("SELECT MAX(version) FROM schema_version"), 4);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM subscriptions"), 6);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM pragma_table_info('mailboxes') WHERE name='subscribed'"), 0);
}

}  // namespace
}  // namespace loft::store::testing

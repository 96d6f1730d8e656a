// Mailbox management: defaults, create, rename (with children, INBOX),
// delete, subscriptions, on-disk layout.
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> names_of(const std::vector<MailboxInfo>& list) {
  std::vector<std::string> out;
  for (const auto& m : list) out.push_back(m.name);
  return out;
}

const MailboxInfo* find(const std::vector<MailboxInfo>& list, std::string_view name) {
  for (const auto& m : list) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

TEST_F(StoreTest, NewUserHasDefaultMailboxesSubscribed) {
  auto list = user_->list_mailboxes();
  EXPECT_THAT(names_of(list), ElementsAre("INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"));
  EXPECT_EQ(find(list, "INBOX")->special_use, "");
  EXPECT_EQ(find(list, "Drafts")->special_use, "\\Drafts");
  EXPECT_EQ(find(list, "Sent")->special_use, "\\Sent");
  EXPECT_EQ(find(list, "Trash")->special_use, "\\Trash");
  EXPECT_EQ(find(list, "Junk")->special_use, "\\Junk");
  EXPECT_EQ(find(list, "Archive")->special_use, "\\Archive");
  for (const auto& m : list) EXPECT_TRUE(m.subscribed) << m.name;
  // Layout: index + Maildir root with cur/new/tmp, Maildir++ subfolders.
  EXPECT_TRUE(fs::is_regular_file(user_dir() / "index.sqlite"));
  for (const char* d :
       {"cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp", ".Drafts/cur", ".Trash/tmp"}) {
    EXPECT_TRUE(fs::is_directory(maildir() / d)) << d;
  }
  // Reopening does not create them again.
  reopen();
  EXPECT_EQ(user_->list_mailboxes().size(), 6u);
}

TEST_F(StoreTest, InboxIsCaseInsensitive) {
  uint32_t uid = user_->append("inbox", message_of("x"));
  EXPECT_EQ(read_message(*user_, "InBoX", uid), "x");
  EXPECT_TRUE(user_->mailbox_exists("iNbOx"));
  EXPECT_STORE_ERROR(user_->create_mailbox("Inbox"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->delete_mailbox("inbox"), ErrorCode::kNotPermitted);
  user_->create_mailbox("inbox/Sub");
  EXPECT_TRUE(user_->mailbox_exists("INBOX/Sub"));
  EXPECT_TRUE(user_->mailbox_exists("Inbox/Sub"));
  EXPECT_FALSE(user_->mailbox_exists("INBOX/sub"));  // only INBOX itself folds case
  // Other names are case-sensitive.
  user_->create_mailbox("Work");
  user_->create_mailbox("work");
  EXPECT_NE(user_->status("Work").uidvalidity, user_->status("work").uidvalidity);
}

TEST_F(StoreTest, CreateRejectsDuplicatesAndKeepsSpecialUse) {
  user_->create_mailbox("Lists/Rust", "\\Flagged");
  EXPECT_STORE_ERROR(user_->create_mailbox("Lists/Rust"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->create_mailbox("Sent"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->create_mailbox("X", "\\Bogus"), ErrorCode::kNotPermitted);
  EXPECT_FALSE(user_->mailbox_exists("X"));
  auto list = user_->list_mailboxes();
  ASSERT_NE(find(list, "Lists/Rust"), nullptr);
  EXPECT_EQ(find(list, "Lists/Rust")->special_use, "\\Flagged");
  EXPECT_FALSE(find(list, "Lists/Rust")->subscribed);
  EXPECT_EQ(find(list, "Lists"), nullptr);  // parents are not created
  auto st = user_->status("Lists/Rust");
  EXPECT_EQ(st.messages, 0u);
  EXPECT_EQ(st.uidnext, 1u);
  EXPECT_TRUE(fs::is_directory(maildir() / ".Lists%2FRust" / "cur"));
}

TEST_F(StoreTest, DirectoryNamesAreEncodedAndCollisionsGetSuffix) {
  user_->create_mailbox("a.b");
  user_->create_mailbox("a%2Eb");  // would encode like "a.b" if '%' were kept
  user_->create_mailbox("Été");
  EXPECT_TRUE(fs::is_directory(maildir() / ".a%2Eb"));
  EXPECT_TRUE(fs::is_directory(maildir() / ".a%252Eb"));
  EXPECT_TRUE(fs::is_directory(maildir() / ".%C3%89t%C3%A9"));
  // Same encoding after a long name is cut: the second gets "~2".
  std::string long1(400, 'x'), long2(400, 'x');
  long1 += "1";
  long2 += "2";
  user_->create_mailbox(long1);
  user_->create_mailbox(long2);
  uint32_t uid = user_->append(long2, message_of("long"));
  EXPECT_EQ(read_message(*user_, long2, uid), "long");
  EXPECT_THAT(user_->list_messages(long1), IsEmpty());
  int with_suffix = 0;
  for (const auto& e : fs::directory_iterator(maildir())) {
    std::string n = e.path().filename().string();
    EXPECT_LE(n.size(), 255u);
    if (n.find('~') != std::string::npos) ++with_suffix;
  }
  EXPECT_EQ(with_suffix, 1);
}

TEST_F(StoreTest, DeleteMailboxRemovesMessagesAndDirectoryButKeepsChildren) {
  user_->create_mailbox("P");
  user_->create_mailbox("P/child");
  user_->append("P", message_of("parent msg"));
  user_->append("P/child", message_of("child msg"));
  ASSERT_TRUE(fs::is_directory(maildir() / ".P"));
  user_->delete_mailbox("P");
  EXPECT_FALSE(user_->mailbox_exists("P"));
  EXPECT_FALSE(fs::exists(maildir() / ".P"));
  EXPECT_TRUE(user_->mailbox_exists("P/child"));
  EXPECT_EQ(read_message(*user_, "P/child", 1), "child msg");
  EXPECT_STORE_ERROR(user_->delete_mailbox("P"), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->status("P"), ErrorCode::kNotFound);
  // Recreated: empty, new UIDVALIDITY, UIDs from 1.
  user_->create_mailbox("P");
  EXPECT_THAT(user_->list_messages("P"), IsEmpty());
  EXPECT_EQ(user_->append("P", message_of("again")), 1u);
  // Special-use mailboxes may go too.
  user_->delete_mailbox("Junk");
  EXPECT_FALSE(user_->mailbox_exists("Junk"));
}

TEST_F(StoreTest, RenameMovesChildrenAndKeepsDirectories) {
  user_->create_mailbox("a");
  user_->create_mailbox("a/x");
  user_->create_mailbox("a/x/y");
  user_->create_mailbox("ab");  // not a child of "a"
  user_->append("a/x", message_of("in a/x"));
  user_->set_subscribed("a/x", true);
  auto dirs_before = files_below(maildir());
  user_->rename_mailbox("a", "b");
  EXPECT_FALSE(user_->mailbox_exists("a"));
  EXPECT_FALSE(user_->mailbox_exists("a/x"));
  EXPECT_TRUE(user_->mailbox_exists("b"));
  EXPECT_TRUE(user_->mailbox_exists("b/x"));
  EXPECT_TRUE(user_->mailbox_exists("b/x/y"));
  EXPECT_TRUE(user_->mailbox_exists("ab"));
  EXPECT_EQ(read_message(*user_, "b/x", 1), "in a/x");
  EXPECT_TRUE(find(user_->list_mailboxes(), "b/x")->subscribed);
  // Only the index changed: every file is where it was.
  EXPECT_EQ(files_below(maildir()), dirs_before);
  // The old name is free again, with a fresh directory.
  user_->create_mailbox("a");
  EXPECT_THAT(user_->list_messages("a"), IsEmpty());
  reopen();
  EXPECT_EQ(read_message(*user_, "b/x", 1), "in a/x");
}

TEST_F(StoreTest, RenameErrors) {
  user_->create_mailbox("a");
  user_->create_mailbox("a/x");
  user_->create_mailbox("c");
  user_->create_mailbox("d/x");
  EXPECT_STORE_ERROR(user_->rename_mailbox("nope", "z"), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->rename_mailbox("a", "c"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->rename_mailbox("a", "inbox"), ErrorCode::kAlreadyExists);
  EXPECT_STORE_ERROR(user_->rename_mailbox("a", "a/sub"), ErrorCode::kNotPermitted);
  // A child's new name is taken: nothing is renamed.
  EXPECT_STORE_ERROR(user_->rename_mailbox("a", "d"), ErrorCode::kAlreadyExists);
  EXPECT_TRUE(user_->mailbox_exists("a"));
  EXPECT_TRUE(user_->mailbox_exists("a/x"));
  EXPECT_FALSE(user_->mailbox_exists("d"));
  EXPECT_STORE_ERROR(user_->rename_mailbox("a", "../evil"), ErrorCode::kInvalidName);
}

TEST_F(StoreTest, RenameToOwnParentLevelSwapsNamesSafely) {
  // "x/y" -> "x": the child "x/y/y" becomes "x/y", the old name of the source.
  user_->create_mailbox("x/y");
  user_->create_mailbox("x/y/y");
  user_->append("x/y/y", message_of("deep"));
  user_->rename_mailbox("x/y", "x");
  EXPECT_TRUE(user_->mailbox_exists("x"));
  EXPECT_TRUE(user_->mailbox_exists("x/y"));
  EXPECT_FALSE(user_->mailbox_exists("x/y/y"));
  EXPECT_EQ(read_message(*user_, "x/y", 1), "deep");
}

TEST_F(StoreTest, RenameInboxMovesMessagesAndLeavesInboxEmpty) {
  user_->create_mailbox("INBOX/kid");
  uint32_t a = user_->append("INBOX", message_of("first", kSeen, {"Work"}));
  uint32_t b = user_->append("INBOX", message_of("second"));
  auto before = user_->status("INBOX");
  user_->rename_mailbox("INBOX", "Old Inbox");

  auto moved = user_->list_messages("Old Inbox");
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(read_message(*user_, "Old Inbox", moved[0].uid), "first");
  EXPECT_EQ(read_message(*user_, "Old Inbox", moved[1].uid), "second");
  EXPECT_EQ(moved[0].flags, kSeen);
  EXPECT_THAT(moved[0].keywords, ElementsAre("Work"));
  EXPECT_NE(user_->status("Old Inbox").uidvalidity, before.uidvalidity);

  auto after = user_->status("INBOX");
  EXPECT_EQ(after.messages, 0u);
  EXPECT_EQ(after.uidvalidity, before.uidvalidity);
  EXPECT_EQ(after.uidnext, before.uidnext);  // UIDs are not reused
  EXPECT_GT(after.highest_modseq, before.highest_modseq);
  EXPECT_THAT(user_->changes_since("INBOX", before.highest_modseq).expunged, ElementsAre(a, b));
  EXPECT_TRUE(user_->mailbox_exists("INBOX/kid"));
  EXPECT_THAT(files_below(maildir() / "cur"), IsEmpty());
  EXPECT_EQ(user_->append("INBOX", message_of("new")), before.uidnext);
}

TEST_F(StoreTest, SubscribeAndUnsubscribe) {
  user_->create_mailbox("Lists");
  EXPECT_FALSE(find(user_->list_mailboxes(), "Lists")->subscribed);
  user_->set_subscribed("Lists", true);
  EXPECT_TRUE(find(user_->list_mailboxes(), "Lists")->subscribed);
  user_->set_subscribed("Sent", false);
  reopen();
  EXPECT_TRUE(find(user_->list_mailboxes(), "Lists")->subscribed);
  EXPECT_FALSE(find(user_->list_mailboxes(), "Sent")->subscribed);
  EXPECT_STORE_ERROR(user_->set_subscribed("Nope", true), ErrorCode::kNotFound);
}

TEST_F(StoreTest, UsersAreSeparateAndRemovable) {
  auto bob = store_->user("bob");
  bob->append("INBOX", message_of("for bob"));
  EXPECT_THAT(user_->list_messages("INBOX"), IsEmpty());
  EXPECT_EQ(store_->user("bob"), bob);  // cached while held
  bob.reset();
  store_->remove_user("bob");
  EXPECT_FALSE(fs::exists(dir_.path() / "mail" / "bob"));
  EXPECT_THAT(files_below(dir_.path() / "mail"), ::testing::Each(::testing::StartsWith("alice/")));
  // A removed user starts afresh.
  EXPECT_THAT(store_->user("bob")->list_messages("INBOX"), IsEmpty());
  store_->remove_user("never-opened");  // no-op
}

}  // namespace
}  // namespace loft::store::testing

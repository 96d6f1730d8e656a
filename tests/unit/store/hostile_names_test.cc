// Hostile mailbox and user names: rejected, and nothing ever created
// outside the user's Maildir.
#include "store/mailbox_names.h"
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using internal::canonical_mailbox_name;
using internal::encode_mailbox_dir;
using internal::is_safe_mailbox_dir;

const std::vector<std::string>& hostile_names() {
  static const std::vector<std::string> names = {
      "",
      "../../etc",
      "a/../../b",
      "..",
      ".",
      "a/./b",
      "a/..",
      "/abs",
      "trailing/",
      "a//b",
      std::string("nul\0byte", 8),
      std::string("\0", 1),
      "\xff",
      "bad\xc3(utf8",
      "\xc0\xaf",          // overlong '/'
      "\xed\xa0\x80",      // surrogate
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "tab\there",
      "new\nline",
      "del\x7f",
      "c1\xc2\x85",  // NEL, a C1 control
      std::string(5000, 'a'),
      std::string(1001, 'b'),
  };
  return names;
}

std::string too_deep() {
  std::string n = "a";
  for (int i = 0; i < 20; ++i) n += "/a";
  return n;  // 21 levels
}

TEST(MailboxNames, ValidNamesPassAndInboxIsCanonical) {
  EXPECT_EQ(canonical_mailbox_name("inbox"), "INBOX");
  EXPECT_EQ(canonical_mailbox_name("iNBOX/Sub"), "INBOX/Sub");
  EXPECT_EQ(canonical_mailbox_name("Inboxes"), "Inboxes");
  EXPECT_EQ(canonical_mailbox_name("Été/日本語"), "Été/日本語");
  EXPECT_EQ(canonical_mailbox_name("a.b/..c/d.."), "a.b/..c/d..");  // dots inside components are fine
  EXPECT_EQ(canonical_mailbox_name(std::string(1000, 'x')), std::string(1000, 'x'));
  std::string deep = "a";
  for (int i = 0; i < 19; ++i) deep += "/a";
  EXPECT_EQ(canonical_mailbox_name(deep), deep);  // 20 levels
}

TEST(MailboxNames, HostileNamesAreRejected) {
  for (const auto& name : hostile_names()) {
    EXPECT_STORE_ERROR(canonical_mailbox_name(name), ErrorCode::kInvalidName);
  }
  EXPECT_STORE_ERROR(canonical_mailbox_name(too_deep()), ErrorCode::kInvalidName);
}

TEST(MailboxNames, EncodedDirectoriesAreAlwaysSafe) {
  for (std::string name : {"../../etc", "a/b", "%41", "~", ".hidden", "Ünï", "x y"}) {
    std::string dir = encode_mailbox_dir(name);
    EXPECT_TRUE(is_safe_mailbox_dir(dir)) << dir;
    EXPECT_EQ(dir.find('/'), std::string::npos);
    EXPECT_EQ(dir[0], '.');
    EXPECT_NE(dir, "..");
  }
  EXPECT_EQ(encode_mailbox_dir("a/b.c%d_e-f"), ".a%2Fb%2Ec%25d_e-f");
  EXPECT_LE(encode_mailbox_dir(std::string(1000, '/')).size(), 200u);
  EXPECT_FALSE(is_safe_mailbox_dir(".."));
  EXPECT_FALSE(is_safe_mailbox_dir("."));
  EXPECT_FALSE(is_safe_mailbox_dir("./x"));
  EXPECT_FALSE(is_safe_mailbox_dir("../x"));
  EXPECT_FALSE(is_safe_mailbox_dir("cur"));
}

TEST_F(StoreTest, HostileNamesNeverReachTheFilesystem) {
  auto outside_before = files_below(dir_.path());
  for (const auto& name : hostile_names()) {
    EXPECT_STORE_ERROR(user_->create_mailbox(name), ErrorCode::kInvalidName);
    EXPECT_STORE_ERROR(user_->append(name, message_of("x")), ErrorCode::kInvalidName);
    EXPECT_STORE_ERROR(user_->rename_mailbox("Sent", name), ErrorCode::kInvalidName);
    EXPECT_STORE_ERROR(user_->delete_mailbox(name), ErrorCode::kInvalidName);
    EXPECT_STORE_ERROR(user_->status(name), ErrorCode::kInvalidName);
    EXPECT_STORE_ERROR(user_->scan_new(name), ErrorCode::kInvalidName);
    EXPECT_FALSE(user_->mailbox_exists(name));
  }
  EXPECT_STORE_ERROR(user_->create_mailbox(too_deep()), ErrorCode::kInvalidName);
  EXPECT_EQ(files_below(dir_.path()), outside_before);
  EXPECT_EQ(user_->list_mailboxes().size(), 6u);
  // Only the user's own directory exists below the data directory.
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(dir_.path())) top.push_back(e.path().filename().string());
  EXPECT_THAT(top, ::testing::ElementsAre("mail"));
}

TEST_F(StoreTest, DotDotLookalikesStayInsideTheMaildir) {
  // Legal names that look like paths: all end up as ".<encoded>" subfolders.
  for (std::string name : {"..a", "a..", "...", "%2E%2E", "a.b/c..d", "~1", "-"}) {
    user_->create_mailbox(name);
    EXPECT_EQ(user_->append(name, message_of(name)), 1u);
    EXPECT_EQ(read_message(*user_, name, 1), name);
  }
  for (const auto& e : fs::directory_iterator(maildir())) {
    std::string n = e.path().filename().string();
    EXPECT_TRUE(n == "cur" || n == "new" || n == "tmp" || internal::is_safe_mailbox_dir(n)) << n;
  }
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(dir_.path() / "mail"))
    top.push_back(e.path().filename().string());
  EXPECT_THAT(top, ::testing::ElementsAre("alice"));
}

TEST_F(StoreTest, HostileUserNamesAreRejected) {
  for (std::string name :
       {std::string(""), std::string("."), std::string(".."), std::string("../x"), std::string("a/b"),
        std::string("nul\0x", 5), std::string(300, 'u'), std::string(".hidden"), std::string("ctl\n")}) {
    EXPECT_STORE_ERROR(store_->user(name), ErrorCode::kInvalidName);
    EXPECT_STORE_ERROR(store_->remove_user(name), ErrorCode::kInvalidName);
  }
  store_->notify_external("../x", "INBOX");  // ignored, no crash
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(dir_.path() / "mail"))
    top.push_back(e.path().filename().string());
  EXPECT_THAT(top, ::testing::ElementsAre("alice"));
  // Ordinary address-like user names work.
  EXPECT_EQ(store_->user("carol@example.org")->append("INBOX", message_of("x")), 1u);
}

}  // namespace
}  // namespace loft::store::testing

// copy(): all or nothing, hard links, metadata carried over.
#include <sys/stat.h>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(StoreTest, CopyCarriesContentFlagsKeywordsAndDate) {
  NewMessage m = message_of("first\n", kSeen | kFlagged, {"Work"});
  m.internal_date = 1234567890;
  m.internal_tz = 120;
  uint32_t a = user_->append("INBOX", m);
  uint32_t b = user_->append("INBOX", message_of("second\n"));
  user_->append("Archive", message_of("already there\n"));
  std::vector<uint32_t> uids = {b, a};  // order of the result follows this
  auto new_uids = user_->copy("INBOX", uids, "Archive");
  EXPECT_THAT(new_uids, ElementsAre(2, 3));
  EXPECT_EQ(read_message(*user_, "Archive", 2), "second\r\n");
  EXPECT_EQ(read_message(*user_, "Archive", 3), "first\r\n");
  auto list = user_->list_messages("Archive");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2].flags, kSeen | kFlagged);
  EXPECT_THAT(list[2].keywords, ElementsAre("Work"));
  EXPECT_EQ(list[2].internal_date, 1234567890);
  EXPECT_EQ(list[2].internal_tz, 120);
  EXPECT_EQ(list[2].size, 7u);
  EXPECT_GT(list[2].modseq, list[0].modseq);
  // Source untouched.
  EXPECT_EQ(user_->list_messages("INBOX").size(), 2u);
  // Hard links: the INBOX files now have two names.
  for (const auto& f : files_below(maildir() / "cur")) {
    struct stat st;
    ASSERT_EQ(stat((maildir() / "cur" / f).c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);
  }
  // Expunging the source leaves the copies intact.
  std::vector<uint32_t> both = {a, b};
  user_->expunge("INBOX", both);
  EXPECT_EQ(read_message(*user_, "Archive", 3), "first\r\n");
  // Flags are per message, not per file.
  std::vector<uint32_t> three = {3};
  std::vector<std::string> none;
  user_->store_flags("Archive", three, 0, 0, none);
  reopen();
  EXPECT_EQ(user_->list_messages("Archive")[2].flags, 0u);
}

TEST_F(StoreTest, CopyIsAllOrNothing) {
  uint32_t a = user_->append("INBOX", message_of("a"));
  auto before = user_->status("Trash");
  std::vector<uint32_t> uids = {a, 42};
  EXPECT_STORE_ERROR(user_->copy("INBOX", uids, "Trash"), ErrorCode::kNotFound);
  EXPECT_THAT(user_->list_messages("Trash"), IsEmpty());
  EXPECT_THAT(files_below(maildir() / ".Trash"), IsEmpty());
  auto after = user_->status("Trash");
  EXPECT_EQ(after.uidnext, before.uidnext);
  EXPECT_EQ(after.highest_modseq, before.highest_modseq);
  std::vector<uint32_t> just_a = {a};
  EXPECT_STORE_ERROR(user_->copy("INBOX", just_a, "Nope"), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->copy("Nope", just_a, "Trash"), ErrorCode::kNotFound);
  EXPECT_THAT(user_->copy("INBOX", std::vector<uint32_t>{}, "Trash"), IsEmpty());
}

TEST_F(StoreTest, CopyIntoTheSameMailbox) {
  uint32_t a = user_->append("INBOX", message_of("self"));
  std::vector<uint32_t> uids = {a};
  EXPECT_THAT(user_->copy("INBOX", uids, "inbox"), ElementsAre(2));
  EXPECT_EQ(read_message(*user_, "INBOX", 2), "self");
  EXPECT_EQ(user_->status("INBOX").messages, 2u);
}

}  // namespace
}  // namespace loft::store::testing

// append_many(), move() and store_flags_unchanged_since(): the all-or-nothing
// calls behind IMAP MULTIAPPEND, MOVE and STORE UNCHANGEDSINCE, in the
// Maildir backend and in the default (wrapper) implementations.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

size_t files_in(const fs::path& dir) { return files_below(dir).size(); }

TEST_F(StoreTest, AppendManyStoresAllInOneChange) {
  user_->append("INBOX", message_of("before\n"));
  uint64_t before = user_->status("INBOX").highest_modseq;
  std::vector<NewMessage> msgs = {message_of("one\n", kSeen, {"Work"}), message_of("two\n"),
                                  message_of("three\n", kDraft)};
  msgs[1].internal_date = 1000000000;
  msgs[1].internal_tz = -300;
  std::vector<uint32_t> uids = user_->append_many("INBOX", msgs);
  EXPECT_THAT(uids, ElementsAre(2, 3, 4));
  auto list = user_->list_messages("INBOX");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(read_message(*user_, "INBOX", 2), "one\r\n");
  EXPECT_EQ(read_message(*user_, "INBOX", 4), "three\r\n");
  EXPECT_EQ(list[1].flags, kSeen);
  EXPECT_THAT(list[1].keywords, ElementsAre("Work"));
  EXPECT_EQ(list[2].internal_date, 1000000000);
  EXPECT_EQ(list[2].internal_tz, -300);
  EXPECT_EQ(list[3].flags, kDraft);
  // One MODSEQ for the whole batch, as for a COPY.
  EXPECT_EQ(list[1].modseq, before + 1);
  EXPECT_EQ(list[3].modseq, before + 1);
  MailboxStatus st = user_->status("INBOX");
  EXPECT_EQ(st.uidnext, 5u);
  EXPECT_EQ(st.highest_modseq, before + 1);
  // Parse trees cached like append()'s.
  EXPECT_FALSE(user_->parsed_message("INBOX", 3).empty());
}

TEST_F(StoreTest, AppendManyWithOneTooLargeStoresNothing) {
  MaildirOptions o = options();
  o.max_message_size = 10;
  store_ = open_maildir_store(o);
  user_ = store_->user("alice");
  std::vector<NewMessage> msgs = {message_of("small\n"), message_of("far too large for it\n")};
  EXPECT_STORE_ERROR(user_->append_many("INBOX", msgs), ErrorCode::kTooLarge);
  EXPECT_THAT(user_->list_messages("INBOX"), IsEmpty());
  EXPECT_EQ(files_in(maildir() / "cur"), 0u);
  EXPECT_EQ(files_in(maildir() / "tmp"), 0u);
  EXPECT_EQ(user_->status("INBOX").uidnext, 1u);
}

TEST_F(StoreTest, AppendManyRefusesBadKeywordAndMissingMailboxWithoutFiles) {
  std::vector<NewMessage> msgs = {message_of("a\n"), message_of("b\n", 0, {"bad keyword"})};
  EXPECT_STORE_ERROR(user_->append_many("INBOX", msgs), ErrorCode::kInvalidName);
  std::vector<NewMessage> ok = {message_of("a\n"), message_of("b\n")};
  EXPECT_STORE_ERROR(user_->append_many("Nope", ok), ErrorCode::kNotFound);
  EXPECT_THAT(user_->list_messages("INBOX"), IsEmpty());
  EXPECT_EQ(files_in(maildir()), 0u);
}

TEST_F(StoreTest, MoveRemovesSourcesInTheSameChange) {
  user_->create_mailbox("Stash");
  uint32_t a = user_->append("INBOX", message_of("first\n", kSeen, {"Work"}));
  uint32_t b = user_->append("INBOX", message_of("second\n"));
  uint32_t c = user_->append("INBOX", message_of("third\n"));
  uint64_t inbox_modseq = user_->status("INBOX").highest_modseq;
  std::vector<uint32_t> uids = {c, a};
  EXPECT_THAT(user_->move("INBOX", uids, "Stash"), ElementsAre(1, 2));
  EXPECT_THAT(uids_of(user_->list_messages("INBOX")), ElementsAre(b));
  auto moved = user_->list_messages("Stash");
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(read_message(*user_, "Stash", 1), "third\r\n");
  EXPECT_EQ(read_message(*user_, "Stash", 2), "first\r\n");
  EXPECT_EQ(moved[1].flags, kSeen);
  EXPECT_THAT(moved[1].keywords, ElementsAre("Work"));
  // The source's change is an expunge (tombstones for QRESYNC).
  MailboxChanges ch = user_->changes_since("INBOX", inbox_modseq);
  EXPECT_THAT(ch.expunged, ElementsAre(a, c));
  EXPECT_EQ(ch.highest_modseq, inbox_modseq + 1);
  // The old names are gone: every file has one link left.
  EXPECT_EQ(files_in(maildir() / "cur"), 1u);
  for (const auto& f : files_below(maildir() / ".Stash" / "cur")) {
    struct stat st;
    ASSERT_EQ(stat((maildir() / ".Stash" / "cur" / f).c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);
  }
}

TEST_F(StoreTest, MoveOfMissingMessageMovesNothing) {
  user_->create_mailbox("Stash");
  uint32_t a = user_->append("INBOX", message_of("first\n"));
  std::vector<uint32_t> uids = {a, 99};
  EXPECT_STORE_ERROR(user_->move("INBOX", uids, "Stash"), ErrorCode::kNotFound);
  EXPECT_THAT(uids_of(user_->list_messages("INBOX")), ElementsAre(a));
  EXPECT_THAT(user_->list_messages("Stash"), IsEmpty());
  EXPECT_EQ(files_in(maildir() / ".Stash" / "cur"), 0u);
  EXPECT_STORE_ERROR(user_->move("INBOX", std::vector<uint32_t>{a}, "Nope"), ErrorCode::kNotFound);
  EXPECT_EQ(read_message(*user_, "INBOX", a), "first\r\n");
}

TEST_F(StoreTest, MoveWithinOneMailboxRenumbers) {
  uint32_t a = user_->append("INBOX", message_of("first\n"));
  uint32_t b = user_->append("INBOX", message_of("second\n"));
  uint64_t before = user_->status("INBOX").highest_modseq;
  std::vector<uint32_t> uids = {a, a};  // a duplicate moves once
  EXPECT_THAT(user_->move("INBOX", uids, "inbox"), ElementsAre(3));
  auto list = user_->list_messages("INBOX");
  EXPECT_THAT(uids_of(list), ElementsAre(b, 3));
  EXPECT_EQ(read_message(*user_, "INBOX", 3), "first\r\n");
  MailboxChanges ch = user_->changes_since("INBOX", before);
  EXPECT_THAT(ch.expunged, ElementsAre(a));
  ASSERT_EQ(ch.added_or_changed.size(), 1u);
  EXPECT_EQ(ch.added_or_changed[0].uid, 3u);
  EXPECT_EQ(ch.highest_modseq, before + 1);
  EXPECT_EQ(files_in(maildir() / "cur"), 2u);
}

TEST_F(StoreTest, MoveAnnouncesBothMailboxes) {
  user_->create_mailbox("Stash");
  uint32_t a = user_->append("INBOX", message_of("first\n"));
  std::vector<std::string> seen;
  std::mutex mu;
  auto sub = user_->subscribe([&](const std::string& m) {
    std::lock_guard lock(mu);
    seen.push_back(m);
  });
  user_->move("INBOX", std::vector<uint32_t>{a}, "Stash");
  std::lock_guard lock(mu);
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre("INBOX", "Stash"));
}

TEST_F(StoreTest, StoreFlagsUnchangedSinceSkipsNewerMessages) {
  uint32_t a = user_->append("INBOX", message_of("a\n"));
  uint32_t b = user_->append("INBOX", message_of("b\n"));
  uint32_t c = user_->append("INBOX", message_of("c\n"));
  uint64_t mark = user_->status("INBOX").highest_modseq;
  std::vector<std::string> none;
  user_->store_flags("INBOX", std::vector<uint32_t>{b}, +1, kFlagged, none);  // b now above mark
  std::vector<uint32_t> modified;
  std::vector<std::string> kw = {"Done"};
  auto out = user_->store_flags_unchanged_since("INBOX", std::vector<uint32_t>{a, b, c, 42}, +1, kSeen, kw, mark,
                                                &modified);
  EXPECT_THAT(modified, ElementsAre(b));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].uid, a);
  EXPECT_EQ(out[1].uid, c);
  EXPECT_EQ(out[0].flags, kSeen);
  EXPECT_THAT(out[1].keywords, ElementsAre("Done"));
  auto list = user_->list_messages("INBOX");
  EXPECT_EQ(list[1].flags, kFlagged);  // untouched
  EXPECT_THAT(list[1].keywords, IsEmpty());
  // Plain store_flags is unaffected by the shared code.
  auto again = user_->store_flags("INBOX", std::vector<uint32_t>{b}, -1, kFlagged, none);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].flags, 0u);
}

// The defaults, with an append() that fails on request.
class Forwarding : public ForwardingUserStore {
 public:
  using ForwardingUserStore::ForwardingUserStore;
  int fail_append_at = -1;  // 0-based count of append() calls
  uint32_t append(std::string_view m, const NewMessage& msg) override {
    if (appends_++ == fail_append_at) throw StoreError(ErrorCode::kTemporary, "disk full");
    return ForwardingUserStore::append(m, msg);
  }

 private:
  int appends_ = 0;
};

TEST_F(StoreTest, DefaultImplementationsUndoOnFailure) {
  Forwarding w(user_);
  w.create_mailbox("Stash", "");
  w.fail_append_at = 2;
  std::vector<NewMessage> msgs = {message_of("a\n"), message_of("b\n"), message_of("c\n")};
  EXPECT_STORE_ERROR(w.append_many("INBOX", msgs), ErrorCode::kTemporary);
  EXPECT_THAT(w.list_messages("INBOX"), IsEmpty());
  w.fail_append_at = -1;
  std::vector<uint32_t> uids = w.append_many("INBOX", msgs);
  EXPECT_THAT(uids, ElementsAre(3, 4, 5));

  EXPECT_THAT(w.move("INBOX", std::vector<uint32_t>{3, 5}, "Stash"), ElementsAre(1, 2));
  EXPECT_THAT(uids_of(w.list_messages("INBOX")), ElementsAre(4));

  std::vector<uint32_t> modified;
  std::vector<std::string> none;
  uint64_t mark = w.status("Stash").highest_modseq;
  w.store_flags("Stash", std::vector<uint32_t>{2}, +1, kDeleted, none);
  auto out = w.store_flags_unchanged_since("Stash", std::vector<uint32_t>{1, 2}, +1, kSeen, none, mark, &modified);
  EXPECT_THAT(modified, ElementsAre(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flags, kSeen);
}

// A process killed at random moments while moving messages back and forth
// never leaves a message in both mailboxes or in neither.
TEST(StoreMoveCrash, KilledMoverKeepsEveryMessageExactlyOnce) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = true;
  constexpr int kMessages = 12;
  {
    auto store = open_maildir_store(opts);
    auto user = store->user("mover");
    user->create_mailbox("Other");
    for (int i = 0; i < kMessages; ++i) user->append("INBOX", message_of("X-Id: " + std::to_string(i) + "\n\nx\n"));
  }
  std::mt19937 rng(777);
  for (int round = 0; round < 8; ++round) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = open_maildir_store(opts);
      auto user = store->user("mover");
      for (int n = 0;; ++n) {
        const char* from = n % 2 ? "Other" : "INBOX";
        const char* to = n % 2 ? "INBOX" : "Other";
        std::vector<uint32_t> uids;
        for (const MessageInfo& m : user->list_messages(from)) uids.push_back(m.uid);
        if (!uids.empty()) user->move(from, uids, to);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);

    auto store = open_maildir_store(opts);
    auto user = store->user("mover");
    std::map<std::string, int> count;
    for (const char* box : {"INBOX", "Other"}) {
      for (const MessageInfo& m : user->list_messages(box)) {
        std::string text = read_message(*user, box, m.uid);
        count[text.substr(0, text.find("\r\n"))]++;
      }
    }
    ASSERT_EQ(count.size(), static_cast<size_t>(kMessages)) << "round " << round;
    for (const auto& [id, n] : count) EXPECT_EQ(n, 1) << id << " in round " << round;
  }
}

}  // namespace
}  // namespace loft::store::testing

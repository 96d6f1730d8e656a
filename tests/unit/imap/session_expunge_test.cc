// EXPUNGE and UID EXPUNGE over a real store: what is removed, the EXPUNGE /
// VANISHED lines of the sync step, read-only mailboxes, other sessions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ImapExpungeTest : public ImapTest {
 protected:
  std::shared_ptr<store::UserStore> alice() { return store_->user("alice"); }
  std::vector<uint32_t> inbox_uids() {
    std::vector<uint32_t> out;
    for (const store::MessageInfo& m : alice()->list_messages("INBOX")) out.push_back(m.uid);
    return out;
  }
};

TEST_F(ImapExpungeTest, RemovesDeletedMessagesAndAnnouncesThem) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  deliver("Subject: 3\r\n\r\nx\r\n", "alice", store::kDeleted | store::kSeen);
  auto c = select();
  EXPECT_EQ(c->cmd("a EXPUNGE"), "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\na OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(2));
  EXPECT_EQ(c->cmd("b EXPUNGE"), "b OK Expunge completed.\r\n");
  EXPECT_EQ(c->cmd("c NOOP"), "c OK NOOP completed.\r\n");
}

TEST_F(ImapExpungeTest, StoreThenExpungeInOneSession) {
  deliver();
  deliver();
  auto c = select();
  c->cmd("a STORE 2 +FLAGS.SILENT (\\Deleted)");
  EXPECT_EQ(c->cmd("b EXPUNGE"), "* 2 EXPUNGE\r\nb OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

TEST_F(ImapExpungeTest, UidExpungeOnlyWithinTheSet) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  auto c = select();
  EXPECT_EQ(c->cmd("a UID EXPUNGE 2:3"), "* 2 EXPUNGE\r\na OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1, 3));
  EXPECT_EQ(c->cmd("b UID EXPUNGE 7:9"), "b OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1, 3));
  EXPECT_EQ(c->cmd("c UID EXPUNGE 1:*"), "* 1 EXPUNGE\r\nc OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(3));
}

TEST_F(ImapExpungeTest, QresyncAnnouncesVanished) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  deliver("Subject: 3\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  c->cmd("e ENABLE QRESYNC");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("a EXPUNGE"), "* VANISHED 1,3\r\na OK Expunge completed.\r\n");
}

TEST_F(ImapExpungeTest, UnannouncedDeletedMessagesGoSilently) {
  deliver();
  auto c = select();
  deliver("Subject: new\r\n\r\nx\r\n", "alice", store::kDeleted);
  // Removed before the client heard of it: neither EXISTS nor EXPUNGE.
  EXPECT_EQ(c->cmd("a EXPUNGE"), "a OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

TEST_F(ImapExpungeTest, ReadOnlyMailboxExpungesNothing) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  c->cmd("s EXAMINE INBOX");
  EXPECT_EQ(c->cmd("a EXPUNGE"), "a OK Expunge completed.\r\n");
  EXPECT_EQ(c->cmd("b UID EXPUNGE 1"), "b OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

TEST_F(ImapExpungeTest, BadArguments) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = login();
  EXPECT_EQ(c->cmd("a EXPUNGE"), "a BAD No mailbox selected.\r\n");
  c->cmd("s SELECT INBOX");
  EXPECT_EQ(c->cmd("b UID EXPUNGE"), "b BAD Error in IMAP command UID EXPUNGE: Missing arguments\r\n");
  EXPECT_EQ(c->cmd("c UID EXPUNGE x"), "c BAD Error in IMAP command UID EXPUNGE: Invalid uidset\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
  // Dovecot ignores arguments of plain EXPUNGE.
  EXPECT_EQ(c->cmd("d EXPUNGE now"), "* 1 EXPUNGE\r\nd OK Expunge completed.\r\n");
  EXPECT_THAT(inbox_uids(), IsEmpty());
}

TEST_F(ImapExpungeTest, OtherSessionHearsOnlyWhereExpungeIsAllowed) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver();
  auto a = select();
  auto b = select();
  EXPECT_EQ(a->cmd("x EXPUNGE"), "* 1 EXPUNGE\r\nx OK Expunge completed.\r\n");
  EXPECT_EQ(b->poll(), "");
  // STORE may not announce an expunge (sequence numbers must not shift).
  EXPECT_EQ(b->cmd("y STORE 2 +FLAGS (\\Seen)"), "* 2 FETCH (FLAGS (\\Seen))\r\ny OK Store completed.\r\n");
  EXPECT_EQ(b->cmd("z NOOP"), "* 1 EXPUNGE\r\nz OK NOOP completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(2));
}

// A UserStore that lets "another session" clear \Deleted of UID 1 right
// after anyone lists the messages: a command that listed first and then
// expunged by UIDs would remove a message that no longer has \Deleted.
class RacingUser : public store::UserStore {
 public:
  explicit RacingUser(std::shared_ptr<store::UserStore> u) : u_(std::move(u)) {}
  bool armed = false;
  const std::string& user() const override { return u_->user(); }
  std::vector<store::MailboxInfo> list_mailboxes() override { return u_->list_mailboxes(); }
  std::vector<std::string> list_subscriptions() override { return u_->list_subscriptions(); }
  bool mailbox_exists(std::string_view n) override { return u_->mailbox_exists(n); }
  void create_mailbox(std::string_view n, std::string_view s) override { u_->create_mailbox(n, s); }
  void delete_mailbox(std::string_view n) override { u_->delete_mailbox(n); }
  void rename_mailbox(std::string_view f, std::string_view t) override { u_->rename_mailbox(f, t); }
  void set_subscribed(std::string_view n, bool s) override { u_->set_subscribed(n, s); }
  store::MailboxStatus status(std::string_view m) override { return u_->status(m); }
  std::vector<store::MessageInfo> list_messages(std::string_view m) override {
    auto out = u_->list_messages(m);
    if (armed) {
      armed = false;
      const std::vector<std::string> none;
      u_->store_flags(m, std::vector<uint32_t>{1}, -1, store::kDeleted, none);
    }
    return out;
  }
  store::MessageFile open_message(std::string_view m, uint32_t uid) override { return u_->open_message(m, uid); }
  std::string parsed_message(std::string_view m, uint32_t uid) override { return u_->parsed_message(m, uid); }
  std::vector<std::pair<uint32_t, std::string>> parsed_messages(std::string_view m,
                                                                std::span<const uint32_t> uids) override {
    return u_->parsed_messages(m, uids);
  }
  uint32_t append(std::string_view m, const store::NewMessage& msg) override { return u_->append(m, msg); }
  std::vector<store::MessageInfo> store_flags(std::string_view m, std::span<const uint32_t> uids, int mode,
                                              uint32_t f, std::span<const std::string> k) override {
    return u_->store_flags(m, uids, mode, f, k);
  }
  std::vector<uint32_t> expunge(std::string_view m, std::span<const uint32_t> uids) override {
    return u_->expunge(m, uids);
  }
  std::vector<uint32_t> expunge_deleted(std::string_view m,
                                        std::optional<std::span<const uint32_t>> within) override {
    if (armed) {  // the other session is a moment earlier
      armed = false;
      const std::vector<std::string> none;
      u_->store_flags(m, std::vector<uint32_t>{1}, -1, store::kDeleted, none);
    }
    return u_->expunge_deleted(m, within);
  }
  std::vector<uint32_t> copy(std::string_view f, std::span<const uint32_t> uids, std::string_view t) override {
    return u_->copy(f, uids, t);
  }
  store::MailboxChanges changes_since(std::string_view m, uint64_t s) override {
    ++changes_reads;
    store::MailboxChanges out = u_->changes_since(m, s);
    if (append_after_read) {  // another session commits right after this read
      append_after_read = false;
      store::NewMessage msg;
      msg.pieces = {"Subject: late\r\n\r\nx\r\n"};
      u_->append(m, msg);
    }
    return out;
  }
  int changes_reads = 0;
  bool append_after_read = false;
  size_t scan_new(std::string_view m) override { return u_->scan_new(m); }
  std::unique_ptr<store::Subscription> subscribe(std::function<void(const std::string&)> cb) override {
    return u_->subscribe(std::move(cb));
  }

 private:
  std::shared_ptr<store::UserStore> u_;
};

class RacingStore : public store::Store {
 public:
  explicit RacingStore(store::Store& real) : real_(real) {}
  std::shared_ptr<store::UserStore> user(const std::string& name) override {
    if (name != "alice") return real_.user(name);
    if (!alice_) alice_ = std::make_shared<RacingUser>(real_.user(name));
    return alice_;
  }
  void remove_user(const std::string& name) override { real_.remove_user(name); }
  void notify_external(const std::string& user, const std::string& mailbox) override {
    real_.notify_external(user, mailbox);
  }
  std::shared_ptr<RacingUser> alice_;

 private:
  store::Store& real_;
};

class ImapExpungeRaceTest : public ImapExpungeTest {
 protected:
  void SetUp() override {
    ImapExpungeTest::SetUp();
    real_ = std::move(store_);
    racing_ = new RacingStore(*real_);
    store_.reset(racing_);
    ctx_ = std::make_unique<Context>(Context{*store_, *users_, *throttle_, Options{}});
  }
  void TearDown() override {
    ImapExpungeTest::TearDown();  // drops the racing store first
    real_.reset();
  }
  std::unique_ptr<store::Store> real_;
  RacingStore* racing_ = nullptr;
};

TEST_F(ImapExpungeRaceTest, ExpungeRespectsDeletedClearedByAnotherSession) {
  deliver("Subject: 1\r\n\r\nx\r\n", "alice", store::kDeleted);
  deliver("Subject: 2\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = select();
  racing_->user("alice");
  racing_->alice_->armed = true;
  std::string r = c->cmd("a EXPUNGE");
  EXPECT_NE(r.find("* 2 EXPUNGE\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("* 1 EXPUNGE\r\n"), std::string::npos) << r;
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
  EXPECT_EQ(real_->user("alice")->list_messages("INBOX")[0].flags, 0u);
}

TEST_F(ImapExpungeRaceTest, UidExpungeAndCloseToo) {
  for (int i = 0; i < 3; ++i) deliver("Subject: m\r\n\r\nx\r\n", "alice", store::kDeleted);
  auto c = select();
  racing_->user("alice");
  racing_->alice_->armed = true;
  std::string r = c->cmd("a UID EXPUNGE 1:2");
  EXPECT_NE(r.find("* 2 EXPUNGE\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.find("* 1 EXPUNGE\r\n"), std::string::npos) << r;
  EXPECT_THAT(inbox_uids(), ElementsAre(1, 3));
  c->cmd("b STORE 1 +FLAGS.SILENT (\\Deleted)");
  racing_->alice_->armed = true;
  EXPECT_EQ(c->cmd("c CLOSE"), "c OK Close completed.\r\n");
  EXPECT_THAT(inbox_uids(), ElementsAre(1));
}

// STORE and EXPUNGE read the mailbox's changes on their own worker trip
// (changes_read_ahead.h): the sync step after them reads nothing more.
TEST_F(ImapExpungeRaceTest, OwnChangesAreReadOnceOnTheCommandsTrip) {
  deliver();
  deliver();
  auto c = select();
  racing_->user("alice");
  racing_->alice_->changes_reads = 0;
  EXPECT_EQ(c->cmd("a STORE 1 +FLAGS (\\Seen)"), "* 1 FETCH (FLAGS (\\Seen))\r\na OK Store completed.\r\n");
  EXPECT_EQ(racing_->alice_->changes_reads, 1);
  c->cmd("b STORE 2 +FLAGS.SILENT (\\Deleted)");
  racing_->alice_->changes_reads = 0;
  EXPECT_EQ(c->cmd("c EXPUNGE"), "* 2 EXPUNGE\r\nc OK Expunge completed.\r\n");
  EXPECT_EQ(racing_->alice_->changes_reads, 1);
}

// What another session changed reaches a read command's answer without a
// trip of its own: FETCH, SEARCH, STATUS and LIST read the mailbox's changes
// on the command's own worker trip when the change feed has fired.
TEST_F(ImapExpungeRaceTest, AnotherSessionsChangesRideOnAReadCommandsTrip) {
  deliver();
  deliver();
  auto c = select();
  racing_->user("alice");
  const std::vector<std::string> commands = {"a FETCH 1 (RFC822.SIZE)", "b SEARCH ALL", "c STATUS INBOX (MESSAGES)",
                                             "d LIST \"\" *"};
  uint32_t exists = 2;
  for (size_t i = 0; i < commands.size(); ++i) {
    // Another session: a keyword on message 2, and a new message.
    const std::string keyword = "$k" + std::to_string(i);
    const std::vector<std::string> keywords = {keyword};
    real_->user("alice")->store_flags("INBOX", std::vector<uint32_t>{2}, +1, 0, keywords);
    deliver();
    ++exists;
    racing_->alice_->changes_reads = 0;
    const size_t trips = c->host.offloads;
    std::string r = c->cmd(commands[i]);
    const size_t fetch = r.find("* 2 FETCH (FLAGS (");
    ASSERT_NE(fetch, std::string::npos) << commands[i] << ":\n" << r;
    EXPECT_NE(r.find(keyword + "))\r\n", fetch), std::string::npos) << commands[i] << ":\n" << r;
    EXPECT_NE(r.find("* " + std::to_string(exists) + " EXISTS"), std::string::npos) << commands[i] << ":\n" << r;
    EXPECT_NE(r.find(" OK "), std::string::npos) << r;
    EXPECT_EQ(racing_->alice_->changes_reads, 1) << commands[i];
    EXPECT_EQ(c->host.offloads - trips, 1u) << commands[i] << ": one worker trip";
  }
  // Nothing pending: nothing read.
  racing_->alice_->changes_reads = 0;
  c->cmd("e SEARCH ALL");
  EXPECT_EQ(racing_->alice_->changes_reads, 0);
}

// A commit that lands just after the command's own read is not in it: the
// sync step sees the feed fired since and reads again.
TEST_F(ImapExpungeRaceTest, ACommitJustAfterTheReadAheadIsStillAnnounced) {
  deliver();
  auto c = select();
  racing_->user("alice");
  racing_->alice_->append_after_read = true;
  std::string r = c->cmd("a STORE 1 +FLAGS (\\Seen)");
  EXPECT_EQ(r, "* 1 FETCH (FLAGS (\\Seen))\r\n* 2 EXISTS\r\na OK Store completed.\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

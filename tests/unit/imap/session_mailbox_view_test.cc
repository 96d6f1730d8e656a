// MailboxView on its own: the sequence map and the pending updates of
// "many clients on one mailbox".
#include <gtest/gtest.h>

#include "imap/mailbox_view.h"

namespace loft::imap {
namespace {

store::MessageInfo Info(uint32_t uid, uint32_t flags = 0, uint64_t modseq = 1,
                        std::vector<std::string> keywords = {}) {
  store::MessageInfo m;
  m.uid = uid;
  m.flags = flags;
  m.modseq = modseq;
  m.keywords = std::move(keywords);
  return m;
}

MailboxView::SyncOptions Full() { return {}; }
MailboxView::SyncOptions NoExpunge() {
  MailboxView::SyncOptions o;
  o.allow_expunge = false;
  return o;
}

store::MailboxChanges Changes(uint64_t hms, std::vector<store::MessageInfo> changed, std::vector<uint32_t> gone) {
  store::MailboxChanges c;
  c.highest_modseq = hms;
  c.added_or_changed = std::move(changed);
  c.expunged = std::move(gone);
  return c;
}

TEST(MailboxViewTest, FreshViewMapsSequenceNumbersToUids) {
  MailboxView v({Info(3), Info(7), Info(9)}, 5);
  EXPECT_EQ(v.count(), 3u);
  EXPECT_EQ(v.at(1).uid, 3u);
  EXPECT_EQ(v.at(3).uid, 9u);
  EXPECT_EQ(v.seq_of(7), 2u);
  EXPECT_FALSE(v.seq_of(8).has_value());
  EXPECT_EQ(v.highest_modseq(), 5u);
  EXPECT_FALSE(v.HasPendingUpdates());
  EXPECT_EQ(v.TakeUpdates(Full()), "");
}

TEST(MailboxViewTest, FirstSequenceNumberFromAUid) {
  MailboxView v({Info(3), Info(7), Info(9)}, 5);
  EXPECT_EQ(v.first_seq_from(1), 1u);
  EXPECT_EQ(v.first_seq_from(3), 1u);
  EXPECT_EQ(v.first_seq_from(4), 2u);
  EXPECT_EQ(v.first_seq_from(9), 3u);
  EXPECT_EQ(v.first_seq_from(10), 4u);  // none: count() + 1
  EXPECT_EQ(MailboxView().first_seq_from(1), 1u);
}

TEST(MailboxViewTest, UnsortedInputIsOrderedByUid) {
  MailboxView v({Info(9), Info(3), Info(7)}, 1);
  EXPECT_EQ(v.at(1).uid, 3u);
  EXPECT_EQ(v.at(2).uid, 7u);
}

TEST(MailboxViewTest, NewMessagesAreAnnouncedWithExists) {
  MailboxView v({Info(1), Info(2)}, 2);
  v.Apply(Changes(4, {Info(3, 0, 3), Info(4, 0, 4)}, {}));
  EXPECT_EQ(v.count(), 2u);  // not yet told
  EXPECT_EQ(v.unannounced(), 2u);
  EXPECT_EQ(v.highest_modseq(), 4u);
  EXPECT_EQ(v.TakeUpdates(Full()), "* 4 EXISTS\r\n");
  EXPECT_EQ(v.count(), 4u);
  EXPECT_EQ(v.seq_of(4), 4u);
  EXPECT_EQ(v.TakeUpdates(Full()), "");
}

TEST(MailboxViewTest, ExpungesAreSentHighestFirstAndRenumber) {
  MailboxView v({Info(10), Info(20), Info(30), Info(40)}, 1);
  v.Apply(Changes(2, {}, {20, 40}));
  EXPECT_EQ(v.TakeUpdates(Full()), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.count(), 2u);
  EXPECT_EQ(v.seq_of(30), 2u);
}

TEST(MailboxViewTest, ExpungeHeldBackKeepsSequenceNumbersStable) {
  MailboxView v({Info(10), Info(20), Info(30)}, 1);
  v.Apply(Changes(3, {Info(40, 0, 3)}, {20}));
  // During FETCH/STORE/SEARCH: EXISTS may go out, EXPUNGE may not; the
  // expunged message keeps its number so 40 is the 4th.
  EXPECT_EQ(v.TakeUpdates(NoExpunge()), "* 4 EXISTS\r\n");
  EXPECT_EQ(v.count(), 4u);
  EXPECT_EQ(v.seq_of(30), 3u);
  EXPECT_TRUE(v.at(2).expunged);
  EXPECT_TRUE(v.HasPendingUpdates());
  EXPECT_EQ(v.TakeUpdates(Full()), "* 2 EXPUNGE\r\n");
  EXPECT_EQ(v.seq_of(40), 3u);
  EXPECT_FALSE(v.HasPendingUpdates());
}

TEST(MailboxViewTest, FlagChangesBecomeFetchFlags) {
  MailboxView v({Info(1), Info(2, store::kSeen)}, 2);
  v.Apply(Changes(5, {Info(2, store::kSeen | store::kFlagged, 5, {"$Work"})}, {}));
  // $Work is new to the mailbox: FLAGS and PERMANENTFLAGS first.
  EXPECT_EQ(v.TakeUpdates(Full()),
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n"
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted.\r\n"
            "* 2 FETCH (FLAGS (\\Flagged \\Seen $Work))\r\n");
  EXPECT_EQ(v.at(2).flags, store::kSeen | store::kFlagged);
  EXPECT_EQ(v.at(2).modseq, 5u);
  EXPECT_EQ(v.TakeUpdates(Full()), "");
}

TEST(MailboxViewTest, FetchUpdatesMayCarryUidAndModseq) {
  MailboxView v({Info(7)}, 1);
  v.Apply(Changes(9, {Info(7, store::kDeleted, 9)}, {}));
  MailboxView::SyncOptions o;
  o.send_uid = true;
  o.send_modseq = true;
  EXPECT_EQ(v.TakeUpdates(o), "* 1 FETCH (UID 7 MODSEQ (9) FLAGS (\\Deleted))\r\n");
}

TEST(MailboxViewTest, FlagUpdatesAreAllowedWhileExpungesWait) {
  MailboxView v({Info(1), Info(2), Info(3)}, 1);
  v.Apply(Changes(3, {Info(3, store::kSeen, 3)}, {1}));
  EXPECT_EQ(v.TakeUpdates(NoExpunge()), "* 3 FETCH (FLAGS (\\Seen))\r\n");
  EXPECT_EQ(v.TakeUpdates(Full()), "* 1 EXPUNGE\r\n");
}

// The view remembers whether anything is marked rather than walking every
// message on each sync: an expunge held back stays due across syncs that may
// not send it, flag changes after a sync that sent everything are still
// found, and a view that sent everything has nothing pending.
TEST(MailboxViewTest, MarksSurviveSyncsThatCannotSendThemAndComeBackAfterward) {
  MailboxView v({Info(1), Info(2), Info(3), Info(4)}, 1);
  v.Apply(Changes(2, {}, {2}));
  EXPECT_EQ(v.TakeUpdates(NoExpunge()), "");
  EXPECT_TRUE(v.HasPendingUpdates());
  v.Apply(Changes(3, {Info(4, store::kSeen, 3)}, {}));
  EXPECT_EQ(v.TakeUpdates(NoExpunge()), "* 4 FETCH (FLAGS (\\Seen))\r\n");
  EXPECT_TRUE(v.HasPendingUpdates());  // the expunge of 2 is still due
  EXPECT_EQ(v.TakeUpdates(NoExpunge()), "");
  EXPECT_EQ(v.TakeUpdates(Full()), "* 2 EXPUNGE\r\n");
  EXPECT_FALSE(v.HasPendingUpdates());
  EXPECT_EQ(v.TakeUpdates(Full()), "");
  // Marked again after everything went out.
  v.Apply(Changes(4, {Info(1, store::kFlagged, 4)}, {}));
  EXPECT_TRUE(v.HasPendingUpdates());
  EXPECT_EQ(v.TakeUpdates(Full()), "* 1 FETCH (FLAGS (\\Flagged))\r\n");
  v.Apply(Changes(5, {}, {4}));
  EXPECT_EQ(v.TakeUpdates(Full()), "* 3 EXPUNGE\r\n");
  EXPECT_EQ(v.count(), 2u);
  EXPECT_FALSE(v.HasPendingUpdates());
  // A change the client was told of directly (STORE's own FETCH) leaves
  // nothing to send.
  v.Apply(Changes(6, {Info(3, store::kDeleted, 6)}, {}));
  v.Told(Info(3, store::kDeleted, 6));
  EXPECT_FALSE(v.HasPendingUpdates());
  EXPECT_EQ(v.TakeUpdates(Full()), "");
}

TEST(MailboxViewTest, OldOrRepeatedChangesAreIgnored) {
  MailboxView v({Info(1, store::kSeen, 4)}, 4);
  // The same state again (a read that overlapped the SELECT).
  v.Apply(Changes(4, {Info(1, store::kSeen, 4)}, {}));
  EXPECT_FALSE(v.HasPendingUpdates());
  // A stale report (older MODSEQ) does not roll flags back.
  v.Apply(Changes(4, {Info(1, 0, 3)}, {}));
  EXPECT_EQ(v.at(1).flags, store::kSeen);
  EXPECT_FALSE(v.HasPendingUpdates());
}

TEST(MailboxViewTest, MessageAddedAndExpungedUnseenIsNeverMentioned) {
  MailboxView v({Info(1)}, 1);
  v.Apply(Changes(2, {Info(2, 0, 2)}, {}));
  v.Apply(Changes(3, {}, {2}));
  EXPECT_EQ(v.TakeUpdates(Full()), "");
  EXPECT_EQ(v.count(), 1u);
}

TEST(MailboxViewTest, MessageAddedAndExpungedInOneReportIsNeverMentioned) {
  MailboxView v({Info(1)}, 1);
  v.Apply(Changes(3, {Info(2, 0, 2)}, {2}));
  EXPECT_EQ(v.TakeUpdates(Full()), "");
}

TEST(MailboxViewTest, FlagChangeOfExpungedMessageIsDropped) {
  MailboxView v({Info(1), Info(2)}, 1);
  v.Apply(Changes(2, {}, {1}));
  v.Apply(Changes(3, {Info(1, store::kSeen, 3)}, {}));
  EXPECT_EQ(v.TakeUpdates(Full()), "* 1 EXPUNGE\r\n");
}

TEST(MailboxViewTest, UnannouncedMessageFlagsAreUpdatedWithoutFetch) {
  MailboxView v({Info(1)}, 1);
  v.Apply(Changes(2, {Info(2, 0, 2)}, {}));
  v.Apply(Changes(3, {Info(2, store::kSeen, 3)}, {}));
  EXPECT_EQ(v.TakeUpdates(Full()), "* 2 EXISTS\r\n");
  EXPECT_EQ(v.at(2).flags, store::kSeen);
}

TEST(MailboxViewTest, AnnouncedExpungedUidsComingBackAreIgnored) {
  MailboxView v({Info(1), Info(2), Info(3)}, 1);
  v.Apply(Changes(2, {}, {2}));
  EXPECT_EQ(v.TakeUpdates(Full()), "* 2 EXPUNGE\r\n");
  // A report from an older MODSEQ repeating UID 2 must not resurrect it.
  v.Apply(Changes(2, {Info(2, 0, 1)}, {}));
  EXPECT_EQ(v.TakeUpdates(Full()), "");
  EXPECT_EQ(v.count(), 2u);
}

TEST(MailboxViewTest, EverythingAtOnceInDovecotsOrder) {
  MailboxView v({Info(1), Info(2), Info(3)}, 1);
  v.Apply(Changes(5, {Info(3, store::kAnswered, 4), Info(4, 0, 5)}, {1}));
  // FETCH numbered before the expunge, then EXPUNGE, then the new count.
  EXPECT_EQ(v.TakeUpdates(Full()), "* 3 FETCH (FLAGS (\\Answered))\r\n* 1 EXPUNGE\r\n* 3 EXISTS\r\n");
}

TEST(MailboxViewTest, EmptyMailboxGrows) {
  MailboxView v({}, 0);
  EXPECT_EQ(v.count(), 0u);
  v.Apply(Changes(1, {Info(1, 0, 1)}, {}));
  EXPECT_EQ(v.TakeUpdates(NoExpunge()), "* 1 EXISTS\r\n");
}

}  // namespace
}  // namespace loft::imap

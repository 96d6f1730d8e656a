// A selected mailbox as one session's client sees it: the sequence number <->
// UID map with each message's flags, keywords and MODSEQ, plus the untagged
// updates (EXPUNGE, EXISTS, FETCH FLAGS) the client has not been told yet.
//
// The session feeds it store::UserStore::changes_since() results whenever the
// store's change feed fires (or a command changed the mailbox); the changes
// are recorded, not sent. The shared sync step calls TakeUpdates() at the
// points RFC 3501 section 7.4.1 allows: a message the client has not been
// told is expunged keeps its sequence number until the EXPUNGE is sent, so
// sequence numbers never shift under a FETCH, STORE or SEARCH.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/store.h"

namespace loft::imap {

class MailboxView {
 public:
  struct Message {
    uint32_t uid = 0;
    uint32_t flags = 0;  // store::Flag bits
    std::vector<std::string> keywords;
    uint64_t modseq = 0;
    bool expunged = false;     // gone from the store; EXPUNGE not yet sent
    bool flags_dirty = false;  // flags changed; FETCH not yet sent
  };

  struct SyncOptions {
    bool allow_expunge = true;  // false during FETCH, STORE, SEARCH (RFC 3501 7.4.1)
    bool send_uid = false;      // "UID n" in FETCH updates (QRESYNC, or UID commands)
    bool send_modseq = false;   // "MODSEQ (n)" in FETCH updates (CONDSTORE enabled)
    bool vanished = false;      // "VANISHED <uids>" instead of EXPUNGE lines (QRESYNC enabled)
    bool read_only = false;     // for the PERMANENTFLAGS that follow a new keyword
  };

  MailboxView() = default;
  // A freshly selected mailbox: `messages` in UID order, as list_messages()
  // returns them; `highest_modseq` from the same read (changes_since() from
  // it picks up whatever happened afterwards).
  MailboxView(std::vector<store::MessageInfo> messages, uint64_t highest_modseq);
  // The same from a store snapshot (already in UID order, each UID once).
  explicit MailboxView(const store::MailboxSnapshot& snapshot);

  // Records what changes_since(highest_modseq()) reported.
  void Apply(const store::MailboxChanges& changes);

  // The client has just been sent this message's flags (a FETCH FLAGS
  // answer of STORE or FETCH): the view takes them and nothing stays
  // pending for it, unless a newer change is already recorded.
  void Told(const store::MessageInfo& info);

  // The untagged lines (CRLF-terminated) for every pending update the
  // options allow, in Dovecot's order: FLAGS and PERMANENTFLAGS when a
  // keyword the client was not told of appeared, then FETCH, EXPUNGE,
  // EXISTS; the view then matches what the client has been told.
  std::string TakeUpdates(const SyncOptions& options);
  bool HasPendingUpdates() const;

  // "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)] ..." for the system
  // flags and every keyword the view knows (SELECT's lines, Dovecot's texts).
  std::string FlagsResponses(bool read_only) const;
  // FlagsResponses() when a new keyword appeared since the client was last
  // told (then it is told), else "". TakeUpdates() includes it.
  std::string TakeFlagsUpdate(bool read_only);

  // The client's view: sequence numbers 1..count(), including messages that
  // are expunged but not yet announced.
  uint32_t count() const { return static_cast<uint32_t>(messages_.size()); }
  const Message& at(uint32_t seq) const { return messages_[seq - 1]; }  // 1-based
  // The sequence number of a UID the client knows, or nullopt.
  std::optional<uint32_t> seq_of(uint32_t uid) const;
  // The sequence number of the first message whose UID is `uid` or above;
  // count() + 1 when there is none.
  uint32_t first_seq_from(uint32_t uid) const;
  uint64_t highest_modseq() const { return highest_modseq_; }
  // Messages stored but not yet announced with EXISTS.
  size_t unannounced() const { return new_.size(); }

 private:
  static Message FromInfo(const store::MessageInfo& info);
  void UpdateFlags(Message& m, const store::MessageInfo& info, bool mark_dirty);

  std::vector<Message> messages_;  // the client's view, ascending UIDs
  std::vector<Message> new_;       // arrived, not yet announced (UIDs above messages_)
  uint64_t highest_modseq_ = 0;
  std::set<std::string> keywords_;  // every keyword the client was told of (FLAGS)
  bool keywords_changed_ = false;   // a new one appeared: FLAGS is due
  // Some message of messages_ may be expunged or flags_dirty. Without it
  // every sync step walked the whole view (5% of the loop thread's time at
  // 200 clients) to find nothing.
  bool marked_ = false;
  void Learn(const std::vector<std::string>& keywords);
};

}  // namespace loft::imap

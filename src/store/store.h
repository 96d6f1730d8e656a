// The mail store API: users' mailboxes, messages, UIDs, flags, keywords,
// MODSEQ and a change feed. Knows nothing of IMAP, POP3 or LMTP.
//
// Every call here may block on disk (SQLite, file I/O, fsync): protocol
// sessions call them from worker threads, never from the event loop.
// All classes are thread-safe; a UserStore serialises its own writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loft::store {

// System flags as a bitmask. \Recent is session state, not stored.
enum Flag : uint32_t {
  kSeen = 1u << 0,
  kAnswered = 1u << 1,
  kFlagged = 1u << 2,
  kDeleted = 1u << 3,
  kDraft = 1u << 4,
};

// Errors the protocols map to their own answers.
enum class ErrorCode {
  kNotFound,        // no such user / mailbox / message
  kAlreadyExists,   // mailbox exists
  kInvalidName,     // mailbox name not acceptable
  kNotPermitted,    // e.g. deleting INBOX
  kTooLarge,        // message above the configured limit
  kTemporary,       // I/O error, lock timeout: try again later
  kNoSpace,         // the file system is full (or over its quota): try again once space is freed
};

class StoreError : public std::runtime_error {
 public:
  StoreError(ErrorCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

struct MessageInfo {
  uint32_t uid = 0;
  uint64_t size = 0;            // octets as served (CRLF line ends)
  int64_t internal_date = 0;    // seconds since the epoch
  int32_t internal_tz = 0;      // zone of INTERNALDATE, minutes east of UTC
  uint32_t flags = 0;           // Flag bits
  std::vector<std::string> keywords;
  uint64_t modseq = 0;
};

struct MailboxInfo {
  std::string name;             // UTF-8, hierarchy separator '/'; "INBOX" for the inbox
  std::string special_use;      // "\\Sent", "\\Trash", ... or empty
  bool subscribed = false;      // this name is in list_subscriptions()
};

struct MailboxStatus {
  uint32_t uidvalidity = 0;
  uint32_t uidnext = 0;
  uint32_t messages = 0;
  uint32_t unseen = 0;           // messages without \Seen
  uint32_t deleted = 0;          // messages with \Deleted
  uint64_t highest_modseq = 0;
  uint64_t size = 0;             // sum of message sizes
};

// What changed in a mailbox since a MODSEQ: enough for a session to update
// its view and tell its client (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS).
struct MailboxChanges {
  uint64_t highest_modseq = 0;
  std::vector<MessageInfo> added_or_changed;  // UID order; new or flags changed
  std::vector<uint32_t> expunged;             // UIDs, ascending
};

// An open message body: a file descriptor positioned nowhere in particular
// (use pread) and its size. Closing is RAII.
class MessageFile {
 public:
  MessageFile() = default;
  MessageFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  MessageFile(MessageFile&& o) noexcept : fd_(o.fd_), size_(o.size_) { o.fd_ = -1; }
  MessageFile& operator=(MessageFile&& o) noexcept;
  MessageFile(const MessageFile&) = delete;
  MessageFile& operator=(const MessageFile&) = delete;
  ~MessageFile();
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Reads up to len bytes at offset; returns fewer only at the end.
  std::string read(uint64_t offset, size_t len) const;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A new message to store. The content pieces are concatenated (a protocol
// may prepend trace headers to the received data); the store normalises bare
// LF to CRLF before writing.
struct NewMessage {
  std::vector<std::string_view> pieces;
  uint32_t flags = 0;
  std::vector<std::string> keywords;
  std::optional<int64_t> internal_date;   // default: now
  int32_t internal_tz = 0;
};

// What a search index can look in (the text of IMAP SEARCH keys, as
// mime::SearchText extracts it).
enum class SearchField {
  kBody,         // BODY
  kText,         // TEXT: any part's header text or body
  kPartHeaders,  // the header text of any part (a superset for HEADER name)
  kFrom,         // FROM, TO, CC, BCC, SUBJECT as Dovecot rewrites them
  kTo,
  kCc,
  kBcc,
  kSubject,
};

// A mailbox's search index, brought up to date when it was opened. Derived
// data: answers only what it knows exactly. Blocking (worker threads only).
class MailboxSearchIndex {
 public:
  virtual ~MailboxSearchIndex() = default;
  // Every message of the mailbox with a UID up to this one is indexed
  // (messages above it, stored since, are not known to the index).
  virtual uint32_t indexed_through() const = 0;
  // The indexed UIDs (ascending; may include expunged ones) whose `field`
  // contains `folded_needle` (mime::SearchCasemap() form) as a substring,
  // exactly; nullopt when the index cannot answer this needle exactly (too
  // short, characters it does not index, an index error).
  virtual std::optional<std::vector<uint32_t>> find(SearchField field, std::string_view folded_needle) = 0;
};

// A mailbox's messages and counters as one consistent read at one MODSEQ.
// Immutable and shared: every session that selects or searches a mailbox
// gets the same object until the mailbox changes, so SELECT of a 100,000-
// message mailbox costs a copy, not an index read.
struct MailboxSnapshot {
  MailboxStatus status;               // counters of exactly `messages`
  std::vector<MessageInfo> messages;  // ascending UIDs

  // The message with this UID, or nullptr (binary search).
  const MessageInfo* find(uint32_t uid) const;
};

// ---- Consistency check (loft check) ----

// One thing UserStore::check() found wrong, and what it did about it.
struct CheckFinding {
  enum class Kind {
    kIndexDamaged,  // index.sqlite unreadable, failing its integrity check, or rows without their parent
    kMailboxDir,    // a mailbox's directory (or its cur/, new/, tmp/) is missing
    kMissingFile,   // a message row whose file is gone
    kSizeMismatch,  // a message row whose size is not its file's size
    kSharedFile,    // two rows of one mailbox naming the same file
    kCounters,      // UIDNEXT not above every UID, HIGHESTMODSEQ below a MODSEQ, or STATUS counts off
    kTombstone,     // an expunge record for a UID that is still present
    kCachedTree,    // a cached MIME tree that cannot be served for its message
    kOrphanFile,    // a file in cur/ no row names, or one left in tmp/ long ago
    kUnknownDir,    // a directory in the Maildir that belongs to no mailbox
    kSearchIndex,   // the search index is damaged or claims more than the mailbox holds
  };
  Kind kind = Kind::kIndexDamaged;
  std::string mailbox;  // empty: about the user's store as a whole
  uint32_t uid = 0;     // 0: not about one message
  std::string file;     // the file or directory concerned, relative to the user's directory; may be empty
  std::string problem;  // what is wrong, naming the file or directory
  std::string action;   // what was done; empty when nothing was
  bool repaired = false;
  // One line: "mailbox INBOX uid 7: file X is missing; row removed".
  std::string line() const;
};

struct CheckReport {
  std::vector<CheckFinding> findings;
  std::vector<std::string> notes;  // what was left unchecked or unrepaired, and why
  uint32_t mailboxes = 0;          // how much was looked at
  uint64_t messages = 0;
  bool complete = true;            // false: part of the check failed (see notes)
  size_t unrepaired() const;       // findings still standing
};

// Change feed subscription: the callback runs on the committing thread, so
// it must only hand off (post to an event loop), never do work.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// One user's mail. Obtained from Store::user().
class UserStore {
 public:
  virtual ~UserStore() = default;
  virtual const std::string& user() const = 0;

  // Mailboxes. Names are UTF-8 with '/' as the hierarchy separator; "INBOX"
  // (any case) is the inbox and always exists.
  virtual std::vector<MailboxInfo> list_mailboxes() = 0;
  virtual bool mailbox_exists(std::string_view name) = 0;
  virtual void create_mailbox(std::string_view name, std::string_view special_use = {}) = 0;
  virtual void delete_mailbox(std::string_view name) = 0;
  // Renaming INBOX (RFC 3501 6.3.5) moves all its messages into a new
  // mailbox `to` (new UIDVALIDITY, UIDs from 1 in the old order) in one
  // index transaction; INBOX stays, empty, its UIDs not reused, and its
  // children keep their names. Subscribers hear of both mailboxes.
  virtual void rename_mailbox(std::string_view from, std::string_view to) = 0;
  // Subscriptions are names, independent of mailboxes (RFC 3501 6.3.6):
  // deleting a mailbox keeps its subscription; renaming one (not INBOX)
  // moves the subscriptions of it and of every name below it. Subscribing
  // needs an existing mailbox (kNotFound otherwise, as in Dovecot);
  // unsubscribing works for any valid name.
  virtual void set_subscribed(std::string_view name, bool subscribed) = 0;
  // Every subscribed name, existing as a mailbox or not: INBOX first, then
  // in name order. (Kept apart from list_mailboxes(), whose callers expect
  // every entry to be a mailbox they can open.) Not pure virtual, so that
  // existing wrappers and test doubles still compile; the default gives the
  // subscribed entries of list_mailboxes().
  virtual std::vector<std::string> list_subscriptions();
  virtual MailboxStatus status(std::string_view mailbox) = 0;

  // Messages, in UID order (the sequence order of a fresh session).
  virtual std::vector<MessageInfo> list_messages(std::string_view mailbox) = 0;
  virtual MessageFile open_message(std::string_view mailbox, uint32_t uid) = 0;
  // Several messages of one mailbox opened at once (POP3 reads ahead): one
  // entry per UID, in the order asked, nullopt for a message that is gone.
  // Throws for no such mailbox and for errors other than a missing message.
  // Not pure virtual, so that existing wrappers and test doubles still
  // compile; the default calls open_message() for each.
  virtual std::vector<std::optional<MessageFile>> open_messages(std::string_view mailbox,
                                                                std::span<const uint32_t> uids);

  // The message's MIME tree: mime::ParseMessage() of its stored bytes, in
  // mime::Message::Serialize() form (give it to mime::Message::Deserialize),
  // so FETCH ENVELOPE / BODYSTRUCTURE / BODY[section] need not reparse. The
  // index keeps it from the moment a message is stored; one that is missing
  // (messages stored before the cache existed) or unusable is computed from
  // the file, stored and returned. Throws kNotFound for no such message.
  // Not pure virtual, so that existing wrappers and test doubles still
  // compile; the default parses the file on every call.
  virtual std::string parsed_message(std::string_view mailbox, uint32_t uid);
  // The same for many messages (FETCH 1:*): (UID, tree) for every UID that
  // exists, ascending, each once. All of it is held in memory at once, so
  // callers ask for at most a few thousand messages per call.
  virtual std::vector<std::pair<uint32_t, std::string>> parsed_messages(std::string_view mailbox,
                                                                        std::span<const uint32_t> uids);

  // Durable when it returns: file and directory fsync'ed, index committed.
  // Returns the new UID.
  virtual uint32_t append(std::string_view mailbox, const NewMessage& msg) = 0;

  // Flag changes; returns the messages as they are after the change (only
  // those that exist). mode: +1 add, -1 remove, 0 replace.
  virtual std::vector<MessageInfo> store_flags(std::string_view mailbox, std::span<const uint32_t> uids,
                                               int mode, uint32_t flags,
                                               std::span<const std::string> keywords) = 0;

  // Removes the messages with these UIDs (atomically: all or none); files
  // are unlinked after the index commit. Returns the UIDs actually removed.
  virtual std::vector<uint32_t> expunge(std::string_view mailbox, std::span<const uint32_t> uids) = 0;

  // Removes the messages that have \Deleted (IMAP EXPUNGE, CLOSE; with
  // `within`, only those with these UIDs: UID EXPUNGE), choosing them in the
  // same transaction as the removal, so a \Deleted cleared meanwhile by
  // someone else is respected. Returns the UIDs removed, ascending. Not pure
  // virtual; the default (list_messages() then expunge()) is not atomic
  // against concurrent writers. The Maildir backend overrides it.
  virtual std::vector<uint32_t> expunge_deleted(std::string_view mailbox,
                                                std::optional<std::span<const uint32_t>> within);

  // Copies messages into another mailbox (all or nothing); returns the new
  // UIDs in the order of `uids`.
  virtual std::vector<uint32_t> copy(std::string_view from, std::span<const uint32_t> uids,
                                     std::string_view to) = 0;

  virtual MailboxChanges changes_since(std::string_view mailbox, uint64_t modseq) = 0;

  // The mailbox as it is now (status and messages from one read). Not pure
  // virtual; the default reads status() and list_messages() separately (not
  // atomic against concurrent writers). The Maildir backend keeps the last
  // snapshot of each mailbox and brings it up to date with the changes since
  // its MODSEQ.
  virtual std::shared_ptr<const MailboxSnapshot> snapshot(std::string_view mailbox);

  // ---- All-or-nothing variants (IMAP MULTIAPPEND, MOVE, STORE
  // UNCHANGEDSINCE). Not pure virtual, so that existing wrappers and test
  // doubles still compile; the defaults (user_store_default.cc) are built
  // from the calls above and are NOT atomic against crashes or concurrent
  // writers. The Maildir backend overrides all three with one index
  // transaction each.

  // Stores every message or none (durable when it returns, like append());
  // returns the new UIDs in the order of `msgs`. kTooLarge if any is too big.
  virtual std::vector<uint32_t> append_many(std::string_view mailbox, std::span<const NewMessage> msgs);

  // copy() plus expunge() of the sources as one change: the copies appear
  // and the originals disappear together, so a crash leaves either the old
  // or the new state. `to` may be `from` (the messages get new UIDs).
  // Returns the new UIDs in the order of `uids`; kNotFound (nothing moved)
  // when a source message does not exist.
  virtual std::vector<uint32_t> move(std::string_view from, std::span<const uint32_t> uids, std::string_view to);

  // store_flags() applied only to messages whose MODSEQ is at most
  // `max_modseq` (RFC 7162 UNCHANGEDSINCE), decided in the same transaction
  // as the change; the UIDs of the others go to *modified (ascending).
  // Returns the messages that passed the test, as they are afterwards.
  virtual std::vector<MessageInfo> store_flags_unchanged_since(std::string_view mailbox,
                                                               std::span<const uint32_t> uids, int mode,
                                                               uint32_t flags,
                                                               std::span<const std::string> keywords,
                                                               uint64_t max_modseq, std::vector<uint32_t>* modified);

  // The mailbox's search index, for SEARCH: brought up to date first when
  // many messages are not indexed yet (within a time budget); a small
  // backlog is left to the background indexer and shows in
  // indexed_through() (SEARCH reads those messages). nullptr when there is
  // none. Not pure virtual, so that existing wrappers and test doubles
  // still compile; the default has no index. kNotFound for no such mailbox.
  virtual std::unique_ptr<MailboxSearchIndex> search_index(std::string_view mailbox);
  // Indexes every message of the mailbox stored so far, now (loft index).
  // Returns indexed_through afterwards, or nullopt when there is no index,
  // no such mailbox, or indexing failed (SEARCH then reads messages).
  virtual std::optional<uint32_t> update_search_index(std::string_view mailbox);

  // Picks up messages that other tools dropped into a mailbox's new/.
  // Returns how many were taken in.
  virtual size_t scan_new(std::string_view mailbox) = 0;

  // Called (on the committing thread) with the mailbox name after every
  // committed change to it, including changes announced by other processes
  // through Store::notify_external().
  virtual std::unique_ptr<Subscription> subscribe(std::function<void(const std::string& mailbox)> cb) = 0;

  // Verifies the store (index against files, UIDs, MODSEQs, sizes, derived
  // data) and, with `repair`, repairs what can be repaired without deleting
  // mail; every change is announced like any other commit. Not pure
  // virtual; the default checks what the calls above can see (UID order,
  // counters, each message's size against its file) and repairs nothing.
  virtual CheckReport check(bool repair);
};

// The whole store: all users' mail under one data directory.
class Store {
 public:
  virtual ~Store() = default;
  // Opens (creating on first use) the mail of a user. The caller has
  // already checked that the user exists. Cached: the same object for
  // the same user while anyone holds it.
  virtual std::shared_ptr<UserStore> user(const std::string& name) = 0;
  // Removes a user's mail entirely (loft user del).
  virtual void remove_user(const std::string& name) = 0;
  // Another process changed this user's mailbox: tell subscribers. The
  // serving process calls this when a datagram "<user>\n<mailbox>" arrives on
  // MaildirOptions::notify_socket.
  virtual void notify_external(const std::string& user, const std::string& mailbox) = 0;
  // loft check: UserStore::check() of the user's mail, plus what must be
  // looked at before the store can be opened (a damaged index). Not pure
  // virtual; the default is user(name)->check(repair).
  virtual CheckReport check_user(const std::string& name, bool repair);
};

struct MaildirOptions {
  std::filesystem::path root;       // e.g. <data>/mail
  uint64_t max_message_size = 64ull << 20;
  bool fsync = true;                // off only for tests that measure nothing durable
  // Unix datagram socket that a serving process listens on; every writer
  // sends "<user>\n<mailbox>" there after each commit (best effort, never
  // blocking; a missing socket is ignored) so the server can notify sessions
  // of changes made by other processes (loft deliver).
  std::filesystem::path notify_socket;
  // How many users' stores stay open after their last holder let go, most
  // recently used first, each for at most keep_open_seconds. Opening a
  // store costs an index open, housekeeping and, on the last close, a WAL
  // checkpoint with its fsyncs: a server delivering to many users (LMTP)
  // would pay that on every message. 0: closed with the last holder.
  size_t keep_open = 0;
  int keep_open_seconds = 300;
};

// The embedded default backend: Maildir++ files plus an SQLite index per user.
std::unique_ptr<Store> open_maildir_store(const MaildirOptions& opts);

}  // namespace loft::store

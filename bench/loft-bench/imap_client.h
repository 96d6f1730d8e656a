// An IMAP client connection that keeps a careful model of its selected
// mailbox (sequence number -> UID, MODSEQ) from the server's untagged
// responses and reports every response that contradicts it: the checker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "conn.h"
#include "imap_parse.h"
#include "options.h"
#include "report.h"
#include "task.h"

namespace loft::bench {

// What never changes for a UID: size, envelope, body structure (hashes).
struct ImmutableFacts {
  uint64_t size = UINT64_MAX;
  uint64_t envelope = 0;
  uint64_t bodystructure = 0;
};

// Shared by every client of a workload.
struct ImapShared {
  ImapShared(const Options& o, Report& r) : opt(o), report(r) {}
  const Options& opt;
  Report& report;
  // Per "user/mailbox": the facts seen for each UID by any connection.
  std::unordered_map<std::string, std::unordered_map<uint32_t, ImmutableFacts>> facts;
  std::unordered_map<uint32_t, ImmutableFacts>& FactsFor(const std::string& key);
};

struct FetchItem {
  uint32_t seq = 0;
  uint32_t uid = 0;
  bool has_flags = false;
  std::vector<std::string> flags;
  int64_t body_size = -1;  // BODY[...] octets, -1 when absent or NIL
};

struct Reply {
  enum Status { kOk, kNo, kBad } status = kBad;
  std::string tagged;  // the whole tagged line
  std::vector<FetchItem> fetches;
  bool had_search = false;
  std::vector<uint64_t> search;
  std::vector<std::string> list_names;
  uint32_t appenduid = 0;
  bool ok() const { return status == kOk; }
};

class ImapClient {
 public:
  ImapClient(ImapShared& shared, std::string name);

  // Connects, negotiates TLS as configured and reads the greeting and capabilities.
  Task<void> Open();
  Task<Reply> Login(const std::string& user, const std::string& password);
  // SELECT/EXAMINE (with CONDSTORE when offered); resets the model.
  Task<Reply> Select(const std::string& mailbox, bool examine = false);
  // Any command (without tag and CRLF). BAD counts as a violation, NO as an
  // error unless allow_no.
  Task<Reply> Command(std::string_view text, bool allow_no = false);
  Task<Reply> Append(const std::string& mailbox, std::string_view flags, const std::string& message);
  // Fetches the UIDs of messages announced by EXISTS and not known yet.
  Task<void> SyncUnknown();
  // IDLE: starts and waits for the continuation.
  Task<bool> IdleStart();
  // While idling: processes responses until the message count grows
  // (true) or until the deadline / an interrupt (false).
  Task<bool> IdleWaitForExists(TimePoint deadline);
  // While idling: processes responses until the deadline.
  Task<void> IdleFor(TimePoint until);
  Task<Reply> IdleDone();
  Task<void> Logout();
  void Close() { conn_.Close(); }
  void Interrupt() { conn_.Interrupt(); }

  bool HasCap(std::string_view cap) const;
  size_t count() const { return msgs_.size(); }
  uint32_t UidAt(size_t seq) const { return seq >= 1 && seq <= msgs_.size() ? msgs_[seq - 1].uid : 0; }
  uint32_t max_uid_seen() const { return max_uid_seen_; }
  bool condstore() const { return condstore_; }
  bool keywords_allowed() const { return keywords_allowed_; }
  const std::string& name() const { return name_; }
  const std::vector<std::string>& mailboxes() const { return mailboxes_; }
  void set_mailboxes(std::vector<std::string> m) { mailboxes_ = std::move(m); }
  TimePoint Deadline() const { return After(shared_.opt.timeout); }

 private:
  struct Msg {
    uint32_t uid = 0;  // 0: announced by EXISTS, UID not fetched yet
    uint64_t modseq = 0;
  };

  // Reply is filled in by reference: g++ 12 miscompiles class-type coroutine parameters taken by value.
  Task<void> ReadUntilTagged(const std::string& tag, Reply& r, bool allow_no, std::string_view what);
  void HandleUntagged(const std::string& line, Reply* r);
  void OnExists(uint64_t n);
  void OnExpunge(uint64_t n);
  void OnFetch(uint64_t seq, const Val& atts, Reply* r, const std::string& line);
  void OnSearch(std::string_view rest, Reply* r, const std::string& line);
  void SetUid(size_t index, uint32_t uid, const std::string& line);
  void ParseCapabilities(std::string_view text);
  void Violation(const std::string& what) { shared_.report.Violation(name_, what); }
  std::string NextTag() { return "a" + std::to_string(++tag_counter_); }

  ImapShared& shared_;
  std::string name_;
  Conn conn_;
  uint64_t tag_counter_ = 0;
  std::unordered_set<std::string> caps_;
  std::vector<Msg> msgs_;
  // No message at or above this index has a known UID: bounds the forward
  // scan of SetUid, which would otherwise make FETCH 1:* of a fresh
  // 100,000-message view quadratic.
  size_t known_end_ = 0;
  uint32_t max_uid_seen_ = 0;
  bool condstore_ = false;
  bool keywords_allowed_ = false;
  bool current_uid_command_ = false;
  std::string user_;
  std::string facts_key_;
  std::unordered_map<uint32_t, ImmutableFacts>* facts_ = nullptr;
  std::vector<std::string> mailboxes_;
  std::string idle_tag_;
};

std::string ImapQuote(std::string_view s);

}  // namespace loft::bench

// Evaluating a SEARCH key tree over a mailbox snapshot. Runs on a worker
// thread: nothing here touches the session.
//
// Cheap keys first: every message is evaluated with what the index holds
// (flags, keywords, UIDs, sequence numbers, size, internal date, MODSEQ) in
// three-valued logic, content keys (HEADER, FROM..., BODY, TEXT, SENT*)
// counting as unknown. Only messages the cheap pass leaves undecided are
// loaded, through a MessageSource, in batches bounded in count and bytes, so a
// 100,000-message mailbox never sits in memory at once. A ContentIndex (the
// store's search index) may narrow content keys to candidate UIDs before
// anything is read, or decide them outright when its answer is exact.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/search_keys.h"
#include "imap/sequence_set.h"
#include "mime/message.h"

namespace loft::imap {

// One message as the client's view and the index know it.
struct SearchMessage {
  uint32_t seq = 0;
  uint32_t uid = 0;
  uint32_t flags = 0;  // store::Flag bits
  std::vector<std::string> keywords;
  uint64_t modseq = 0;
  uint64_t size = 0;
  int64_t internal_date = 0;
  int32_t internal_tz = 0;  // minutes east of UTC
};

struct SearchEnvironment {
  uint32_t message_count = 0;  // the view's count(): what "*" means in sequence sets
  uint32_t highest_uid = 0;    // the view's last UID: "*" in UID sets
  RangeList saved;             // "$" (UIDs)
  int64_t now = 0;             // for OLDER / YOUNGER
};

// A message's bytes for content keys.
struct LoadedMessage {
  uint32_t uid = 0;
  mime::Message tree;
  std::string data;  // the whole message, or only its top-level header
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // The messages of `uids` that still exist (any order). With !whole, only
  // the top-level header need be read.
  virtual std::vector<LoadedMessage> Load(std::span<const uint32_t> uids, bool whole) = 0;
};

// What an index knows about one content key.
struct ContentCandidates {
  RangeList uids;  // UIDs that may match: a superset of the true matches
  // uids are exactly the matching messages (among those searched), so no
  // message need be read for this key...
  bool exact = false;
  // ...except these, which the index does not know yet (in uids or not):
  // they are read and matched.
  RangeList unknown;
};

// Candidate sets for content keys, e.g. from the store's search index.
class ContentIndex {
 public:
  virtual ~ContentIndex() = default;
  // For a kHeader / kBody / kText key: UIDs that may match (a superset of the
  // true matches), or nullopt when the index cannot tell.
  virtual std::optional<RangeList> Candidates(const SearchKey& key) {
    (void)key;
    return std::nullopt;
  }
  // The same, with whether the set is exact. The default: Candidates(), not exact.
  virtual std::optional<ContentCandidates> Lookup(const SearchKey& key) {
    std::optional<RangeList> c = Candidates(key);
    if (!c) return std::nullopt;
    ContentCandidates out;
    out.uids = std::move(*c);
    return out;
  }
};

struct SearchLimits {
  size_t batch_messages = 256;
  uint64_t batch_bytes = 32ull << 20;
};

struct SearchStats {
  size_t loaded = 0;  // messages whose content was read
  size_t batches = 0;
};

// The messages of `messages` (in their order) that match `root`, as indexes
// into `messages`. Messages the source no longer has never match.
std::vector<size_t> EvaluateSearch(const SearchKey& root, std::span<const SearchMessage> messages,
                                   const SearchEnvironment& env, MessageSource& source,
                                   ContentIndex* index = nullptr, const SearchLimits& limits = {},
                                   SearchStats* stats = nullptr);

// Sequence numbers a SEARCH sequence set names, as Dovecot reads them: "*"
// is the last message, "n:*" with n beyond it names nothing.
RangeList ResolveSearchSequenceSet(const SequenceSet& set, uint32_t count);

// Whether the tree has a MODSEQ key (anywhere, NOT included).
bool HasModSeqKey(const SearchKey& key);
// Whether the tree has a sequence-set key (not "$" or UID).
bool HasSequenceSetKey(const SearchKey& key);
// Whether the tree has a KEYWORD or UNKEYWORD key: only then does the
// evaluation read SearchMessage::keywords.
bool HasKeywordKey(const SearchKey& key);

}  // namespace loft::imap

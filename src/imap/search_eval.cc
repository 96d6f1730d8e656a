#include "imap/search_eval.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "imap/dates.h"
#include "imap/flags.h"
#include "mime/casemap.h"
#include "imap/search_content.h"
#include "util/ascii.h"

namespace loft::imap {
namespace {

using Type = SearchKey::Type;

enum class Tri { kFalse, kTrue, kUnknown };

Tri FromBool(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

bool DateMatches(SearchKey::DateOp op, const CivilDate& date, int64_t utc, int32_t zone) {
  const int64_t start = DayStart(date, zone);
  switch (op) {
    case SearchKey::DateOp::kBefore:
      return utc < start;
    case SearchKey::DateOp::kOn:
      return utc >= start && utc < start + 86400;
    case SearchKey::DateOp::kSince:
      return utc >= start;
  }
  return false;
}

bool IsContentKey(const SearchKey& k) {
  return k.type == Type::kHeader || k.type == Type::kBody || k.type == Type::kText ||
         k.type == Type::kSentDate;
}

class Evaluator {
 public:
  Evaluator(const SearchKey& root, const SearchEnvironment& env, ContentIndex* index) : env_(env) {
    Prepare(root, index);
  }

  bool needs_whole_message() const { return needs_whole_; }

  // Without the message's content: kUnknown where content would decide.
  Tri Cheap(const SearchKey& k, const SearchMessage& m) const {
    switch (k.type) {
      case Type::kAnd: {
        Tri result = Tri::kTrue;
        for (const SearchKey& c : k.children) {
          Tri t = Cheap(c, m);
          if (t == Tri::kFalse) return Tri::kFalse;
          if (t == Tri::kUnknown) result = Tri::kUnknown;
        }
        return result;
      }
      case Type::kOr: {
        Tri result = Tri::kFalse;
        for (const SearchKey& c : k.children) {
          Tri t = Cheap(c, m);
          if (t == Tri::kTrue) return Tri::kTrue;
          if (t == Tri::kUnknown) result = Tri::kUnknown;
        }
        return result;
      }
      case Type::kNot: {
        Tri t = Cheap(k.children.front(), m);
        return t == Tri::kUnknown ? t : FromBool(t == Tri::kFalse);
      }
      case Type::kHeader:
      case Type::kBody:
      case Type::kText: {
        if (k.type != Type::kHeader && k.text.empty()) return Tri::kTrue;
        auto it = candidates_.find(&k);
        if (it == candidates_.end() || it->second.unknown.contains(m.uid)) return Tri::kUnknown;
        if (!it->second.uids.contains(m.uid)) return Tri::kFalse;
        return it->second.exact ? Tri::kTrue : Tri::kUnknown;
      }
      case Type::kSentDate:
        return Tri::kUnknown;
      default:
        return FromBool(Simple(k, m));
    }
  }

  // With the content at hand.
  bool Full(const SearchKey& k, const SearchMessage& m, MessageText& text) const {
    switch (k.type) {
      case Type::kAnd:
        for (const SearchKey& c : k.children)
          if (!Full(c, m, text)) return false;
        return true;
      case Type::kOr:
        for (const SearchKey& c : k.children)
          if (Full(c, m, text)) return true;
        return false;
      case Type::kNot:
        return !Full(k.children.front(), m, text);
      case Type::kHeader:
      case Type::kBody:
      case Type::kText: {
        Tri t = Cheap(k, m);  // the index may already know
        if (t != Tri::kUnknown) return t == Tri::kTrue;
        const std::string& folded = folded_.at(&k);
        if (k.type == Type::kHeader) return text.MatchHeader(k, folded);
        if (k.type == Type::kBody) return text.MatchBody(folded);
        return text.MatchText(folded);
      }
      case Type::kSentDate: {
        MessageDate d = text.SentDate();
        return DateMatches(k.date_op, k.date, d.utc, d.zone);
      }
      default:
        return Simple(k, m);
    }
  }

 private:
  void Prepare(const SearchKey& k, ContentIndex* index) {
    switch (k.type) {
      case Type::kSequenceSet:
        sets_[&k] = ResolveSearchSequenceSet(k.set, env_.message_count);
        break;
      case Type::kUidSet:
        sets_[&k] = k.set.is_saved_result() ? env_.saved : k.set.Resolve(env_.highest_uid);
        break;
      case Type::kBody:
      case Type::kText:
        needs_whole_ = true;
        [[fallthrough]];
      case Type::kHeader:
        folded_[&k] = mime::SearchCasemap(k.text);
        if (index) {
          std::optional<ContentCandidates> c = index->Lookup(k);
          if (c) candidates_[&k] = std::move(*c);
        }
        break;
      default:
        break;
    }
    for (const SearchKey& c : k.children) Prepare(c, index);
  }

  // Keys decided by the index data alone.
  bool Simple(const SearchKey& k, const SearchMessage& m) const {
    switch (k.type) {
      case Type::kAll:
        return true;
      case Type::kSequenceSet:
        return sets_.at(&k).contains(m.seq);
      case Type::kUidSet:
        return sets_.at(&k).contains(m.uid);
      case Type::kFlag:
        // No message is \Recent yet: RECENT matches none, OLD all.
        if (k.flag == kRecentFlag) return !k.present;
        return ((m.flags & k.flag) != 0) == k.present;
      case Type::kKeyword: {
        bool has = false;
        for (const std::string& kw : m.keywords) {
          if (util::equals_ignore_case(kw, k.text)) {
            has = true;
            break;
          }
        }
        return has == k.present;
      }
      case Type::kInternalDate:
        // The day as the internal date's own zone has it (what FETCH
        // INTERNALDATE shows); Dovecot uses the server's zone.
        return DateMatches(k.date_op, k.date, m.internal_date, m.internal_tz);
      case Type::kLarger:
        return m.size > k.number;
      case Type::kSmaller:
        return m.size < k.number;
      case Type::kModSeq:
        // One MODSEQ per message: entry names are ignored (RFC 7162 3.1.5).
        return m.modseq >= k.number;
      case Type::kOlder:
        // Dovecot: OLDER n is "internal date <= now - n", YOUNGER n ">=".
        return m.internal_date <= env_.now - static_cast<int64_t>(k.number);
      case Type::kYounger:
        return m.internal_date >= env_.now - static_cast<int64_t>(k.number);
      default:
        return false;
    }
  }

  const SearchEnvironment& env_;
  bool needs_whole_ = false;
  std::unordered_map<const SearchKey*, RangeList> sets_;
  std::unordered_map<const SearchKey*, std::string> folded_;
  std::unordered_map<const SearchKey*, ContentCandidates> candidates_;
};

}  // namespace

RangeList ResolveSearchSequenceSet(const SequenceSet& set, uint32_t count) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  std::vector<SeqRange> ranges;
  for (const SeqRange& e : set.elements()) {
    uint32_t a = e.first == SequenceSet::kStar ? kMax : e.first;
    uint32_t b = e.last == SequenceSet::kStar ? kMax : e.last;
    uint32_t lo = std::min(a, b), hi = std::max(a, b);
    if (hi == kMax) hi = count;
    if (lo == kMax) lo = count;
    if (hi > count) hi = count;
    if (lo == 0) lo = 1;
    if (lo <= hi) ranges.push_back({lo, hi});
  }
  return RangeList::FromRanges(std::move(ranges));
}

bool HasModSeqKey(const SearchKey& key) {
  if (key.type == SearchKey::Type::kModSeq) return true;
  for (const SearchKey& c : key.children)
    if (HasModSeqKey(c)) return true;
  return false;
}

bool HasSequenceSetKey(const SearchKey& key) {
  if (key.type == SearchKey::Type::kSequenceSet) return true;
  for (const SearchKey& c : key.children)
    if (HasSequenceSetKey(c)) return true;
  return false;
}

bool HasKeywordKey(const SearchKey& key) {
  if (key.type == SearchKey::Type::kKeyword) return true;
  for (const SearchKey& c : key.children)
    if (HasKeywordKey(c)) return true;
  return false;
}

std::vector<size_t> EvaluateSearch(const SearchKey& root, std::span<const SearchMessage> messages,
                                   const SearchEnvironment& env, MessageSource& source, ContentIndex* index,
                                   const SearchLimits& limits, SearchStats* stats) {
  Evaluator ev(root, env, index);
  std::vector<size_t> matched;
  std::vector<size_t> undecided;
  for (size_t i = 0; i < messages.size(); ++i) {
    Tri t = ev.Cheap(root, messages[i]);
    if (t == Tri::kTrue) matched.push_back(i);
    if (t == Tri::kUnknown) undecided.push_back(i);
  }
  if (undecided.empty()) return matched;

  const bool whole = ev.needs_whole_message();
  std::unordered_map<uint32_t, size_t> by_uid;
  size_t next = 0;
  while (next < undecided.size()) {
    // One batch: bounded in messages and (for whole messages) bytes.
    std::vector<uint32_t> uids;
    uint64_t bytes = 0;
    by_uid.clear();
    while (next < undecided.size() && uids.size() < limits.batch_messages) {
      const SearchMessage& m = messages[undecided[next]];
      if (!uids.empty() && whole && bytes + m.size > limits.batch_bytes) break;
      bytes += whole ? m.size : 0;
      uids.push_back(m.uid);
      by_uid[m.uid] = undecided[next];
      ++next;
    }
    std::vector<LoadedMessage> loaded = source.Load(uids, whole);
    if (stats) {
      stats->loaded += loaded.size();
      ++stats->batches;
    }
    for (LoadedMessage& lm : loaded) {
      auto it = by_uid.find(lm.uid);
      if (it == by_uid.end()) continue;
      MessageText text(lm.tree, lm.data);
      if (ev.Full(root, messages[it->second], text)) matched.push_back(it->second);
      // Release the bytes as soon as the message is decided.
      lm.data = std::string();
    }
  }
  std::sort(matched.begin(), matched.end());
  return matched;
}

}  // namespace loft::imap

#include "imap/sequence_set.h"

#include <algorithm>

namespace loft::imap {
namespace {

// One number or '*' at s[pos]; false when there is neither or it is 0 / too big.
bool ParseBound(std::string_view s, size_t& pos, uint32_t* out) {
  if (pos < s.size() && s[pos] == '*') {
    *out = SequenceSet::kStar;
    ++pos;
    return true;
  }
  uint64_t v = 0;
  size_t start = pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    v = v * 10 + static_cast<uint64_t>(s[pos] - '0');
    if (v > UINT32_MAX) return false;
    ++pos;
  }
  if (pos == start || v == 0) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

void AppendRange(std::string& out, uint32_t first, uint32_t last) {
  if (!out.empty()) out += ',';
  out += first == SequenceSet::kStar ? "*" : std::to_string(first);
  if (last != first) {
    out += ':';
    out += last == SequenceSet::kStar ? "*" : std::to_string(last);
  }
}

}  // namespace

RangeList RangeList::FromRanges(std::vector<SeqRange> ranges) {
  RangeList r;
  r.ranges_ = std::move(ranges);
  r.normalise();
  return r;
}

RangeList RangeList::FromNumbers(std::vector<uint32_t> numbers) {
  std::vector<SeqRange> ranges;
  ranges.reserve(numbers.size());
  for (uint32_t n : numbers) ranges.push_back({n, n});
  return FromRanges(std::move(ranges));
}

void RangeList::normalise() {
  for (SeqRange& r : ranges_) {
    if (r.first > r.last) std::swap(r.first, r.last);
  }
  std::sort(ranges_.begin(), ranges_.end(),
            [](const SeqRange& a, const SeqRange& b) { return a.first < b.first; });
  std::vector<SeqRange> merged;
  merged.reserve(ranges_.size());
  for (const SeqRange& r : ranges_) {
    // Merge overlapping and adjacent ranges (3:5 and 6:8 are 3:8).
    if (!merged.empty() && uint64_t{r.first} <= uint64_t{merged.back().last} + 1) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
}

void RangeList::add(uint32_t first, uint32_t last) {
  ranges_.push_back({first, last});
  normalise();
}

bool RangeList::contains(uint32_t n) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), n,
                             [](uint32_t v, const SeqRange& r) { return v < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return n <= it->last;
}

uint64_t RangeList::count() const {
  uint64_t total = 0;
  for (const SeqRange& r : ranges_) total += uint64_t{r.last} - r.first + 1;
  return total;
}

std::vector<uint32_t> RangeList::numbers() const {
  std::vector<uint32_t> out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(count(), 1 << 20)));
  for (const SeqRange& r : ranges_) {
    for (uint64_t n = r.first; n <= r.last; ++n) out.push_back(static_cast<uint32_t>(n));
  }
  return out;
}

std::string RangeList::ToString() const {
  std::string out;
  for (const SeqRange& r : ranges_) AppendRange(out, r.first, r.last);
  return out;
}

Parsed<SequenceSet> SequenceSet::Parse(std::string_view text, std::string_view error_text, bool allow_saved) {
  SequenceSet set;
  if (text == "$") {
    if (!allow_saved) return ArgError::Bad(std::string(error_text));
    set.saved_ = true;
    return set;
  }
  if (text.empty()) return ArgError::Bad(std::string(error_text));
  size_t pos = 0;
  while (pos < text.size()) {
    SeqRange r;
    if (!ParseBound(text, pos, &r.first)) return ArgError::Bad(std::string(error_text));
    r.last = r.first;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ParseBound(text, pos, &r.last)) return ArgError::Bad(std::string(error_text));
    }
    if (r.first != kStar && r.last != kStar && r.first > r.last) std::swap(r.first, r.last);
    if (r.first == kStar && r.last != kStar) std::swap(r.first, r.last);  // "*:5" is 5:*
    if (set.elements_.size() >= kMaxElements) return ArgError::Bad(std::string(error_text));
    set.elements_.push_back(r);
    if (pos == text.size()) break;
    if (text[pos] != ',') return ArgError::Bad(std::string(error_text));
    ++pos;  // a trailing comma ends the set, as in Dovecot
  }
  return set;
}

bool SequenceSet::uses_star() const {
  for (const SeqRange& r : elements_) {
    if (r.first == kStar || r.last == kStar) return true;
  }
  return false;
}

RangeList SequenceSet::Resolve(uint32_t largest) const {
  std::vector<SeqRange> ranges;
  ranges.reserve(elements_.size());
  for (SeqRange r : elements_) {
    if (largest == 0) continue;  // nothing exists
    if (r.first == kStar) r.first = largest;
    if (r.last == kStar) r.last = largest;
    if (r.first > r.last) std::swap(r.first, r.last);
    if (r.first > largest) continue;
    r.last = std::min(r.last, largest);
    ranges.push_back(r);
  }
  return RangeList::FromRanges(std::move(ranges));
}

Parsed<RangeList> SequenceSet::ResolveSequenceNumbers(uint32_t count) const {
  if (saved_) return ArgError::Bad("Invalid messageset");
  std::vector<SeqRange> ranges;
  ranges.reserve(elements_.size());
  for (SeqRange r : elements_) {
    if (r.first == kStar) r.first = count;
    if (r.last == kStar) r.last = count;
    if (r.first > r.last) std::swap(r.first, r.last);
    if (r.first == 0 || r.last > count) return ArgError::Bad("Invalid messageset");
    ranges.push_back(r);
  }
  return RangeList::FromRanges(std::move(ranges));
}

std::string SequenceSet::ToString() const {
  if (saved_) return "$";
  std::string out;
  for (const SeqRange& r : elements_) AppendRange(out, r.first, r.last);
  return out;
}

Parsed<SequenceSet> ParseSetArg(const Arg& arg, bool uid) {
  std::optional<std::string_view> atom = arg.atom();
  if (!atom || arg.is_section_atom()) return ArgError::Bad("Invalid arguments");
  return SequenceSet::Parse(*atom, uid ? "Invalid uidset" : "Invalid messageset");
}

}  // namespace loft::imap

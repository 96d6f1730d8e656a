#include "store/search_index_words.h"

#include <string.h>

#include <algorithm>
#include <functional>

namespace loft::store::internal {

std::vector<std::string_view> SplitAtSeparators(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0, start = 0;
  while (i < text.size()) {
    const size_t sep = SeparatorAt(text, i);
    if (sep == 0) {
      ++i;
      continue;
    }
    out.push_back(text.substr(start, i - start));
    i += sep;
    start = i;
  }
  out.push_back(text.substr(start));
  return out;
}

std::string_view Vocabulary::word(uint32_t id) const {
  const size_t start = starts_[id];
  const size_t end = id + 1 < starts_.size() ? starts_[id + 1] - 1 : text_.size() - 1;
  return std::string_view(text_).substr(start, end - start);
}

void Vocabulary::append_chunk(std::string_view words) {
  size_t start = 0;
  for (size_t nl = words.find('\n'); nl != std::string_view::npos; nl = words.find('\n', start)) {
    append(words.substr(start, nl - start));
    start = nl + 1;
  }
  ++chunks;
}

void Vocabulary::append(std::string_view word) {
  starts_.push_back(text_.size());
  text_ += word;
  text_ += '\n';
  if (!slots_.empty()) {
    if (starts_.size() * 2 > slots_.size()) {
      std::vector<uint32_t>().swap(slots_);
      uint32_t w;
      lookup(std::string_view(), w);  // rebuilds, bigger
    } else {
      insert_slot(size() - 1);
    }
  }
}

void Vocabulary::match(std::string_view piece, WordMatch mode, std::vector<uint32_t>& ids) const {
  if (piece.empty() || starts_.empty()) return;
  const bool lead = mode == WordMatch::kPrefix || mode == WordMatch::kExact;
  const bool trail = mode == WordMatch::kSuffix || mode == WordMatch::kExact;
  std::string pattern;
  if (lead) pattern += '\n';
  pattern += piece;
  if (trail) pattern += '\n';
  size_t pos = 0;
  while (pos < text_.size()) {
    const void* hit = memmem(text_.data() + pos, text_.size() - pos, pattern.data(), pattern.size());
    if (!hit) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - text_.data()) + (lead ? 1 : 0);
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), at);
    const auto id = static_cast<uint32_t>(it - starts_.begin() - 1);
    ids.push_back(id);
    // On from the newline that ends this word: the next word is the next hit.
    pos = id + 1 < starts_.size() ? starts_[id + 1] - 1 : text_.size();
  }
}

namespace {
size_t HashWord(std::string_view w) { return std::hash<std::string_view>()(w); }
}  // namespace

void Vocabulary::insert_slot(uint32_t id) {
  const size_t mask = slots_.size() - 1;
  size_t i = HashWord(word(id)) & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = id + 1;
}

bool Vocabulary::lookup(std::string_view w, uint32_t& id) {
  if (slots_.empty()) {
    size_t cap = 1024;
    while (cap < starts_.size() * 4) cap *= 2;
    slots_.assign(cap, 0);
    for (uint32_t i = 0; i < size(); ++i) insert_slot(i);
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = HashWord(w) & mask; slots_[i] != 0; i = (i + 1) & mask) {
    if (word(slots_[i] - 1) == w) {
      id = slots_[i] - 1;
      return true;
    }
  }
  return false;
}

void PutVarint(std::string& out, uint32_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void AppendPostings(std::string& blob, uint32_t prev, const std::vector<uint32_t>& uids) {
  for (uint32_t uid : uids) {
    PutVarint(blob, uid - prev);
    prev = uid;
  }
}

}  // namespace loft::store::internal

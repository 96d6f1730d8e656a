// The word index's building blocks: where folded text splits into words, a
// box field's vocabulary (word <-> id, searched by substring), and the
// delta+varint encoding of posting lists (ascending UIDs).
//
// A "word" is a maximal run of word bytes. Separators are every ASCII byte
// that is not a letter or digit (whitespace, punctuation, controls, NUL) and
// U+00A0, the join between parts and repeated fields (folded text never has
// one of its own). Multi-byte UTF-8 sequences never contain ASCII bytes, so
// splitting at bytes never cuts a character. A needle without separators
// that occurs in the text lies inside one word, so the messages containing
// it are exactly those with a word containing it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loft::store::internal {

inline bool IsWordByte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The length of the separator starting at s[i] (0: a word byte).
inline size_t SeparatorAt(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) return 2;
  return IsWordByte(c) ? 0 : 1;
}

// Calls f(word) for every word of `text`, in order (repeats included).
template <typename F>
void ForEachWord(std::string_view text, F&& f) {
  size_t i = 0, start = 0;
  while (i < text.size()) {
    const size_t sep = SeparatorAt(text, i);
    if (sep == 0) {
      ++i;
      continue;
    }
    if (i > start) f(text.substr(start, i - start));
    i += sep;
    start = i;
  }
  if (i > start) f(text.substr(start, i - start));
}

// The pieces between separators, empty ones included: "ab, c" gives
// {"ab", "", "c"}; a needle without separators is one piece.
std::vector<std::string_view> SplitAtSeparators(std::string_view text);

enum class WordMatch {
  kSubstring,  // the word contains the piece
  kPrefix,     // the word starts with it
  kSuffix,     // the word ends with it
  kExact,      // the word is the piece
};

// One field's distinct words of one box, id = order of first appearance.
// Kept as one string "\n" w0 "\n" w1 "\n" ... so that a substring search
// of the whole vocabulary is one memmem per hit.
class Vocabulary {
 public:
  uint32_t size() const { return static_cast<uint32_t>(starts_.size()); }
  std::string_view word(uint32_t id) const;
  // Appends a word (no separators, not yet present) as id size().
  void append(std::string_view word);
  // Appends one vocabulary row of the file: words each ended by '\n'.
  void append_chunk(std::string_view words);
  // The ids of the words matching `piece` (non-empty), ascending.
  void match(std::string_view piece, WordMatch mode, std::vector<uint32_t>& ids) const;
  // Exact lookup; builds a hash table on first use (writers only).
  bool lookup(std::string_view word, uint32_t& id);

  int64_t chunks = 0;  // vocabulary rows loaded from the file

 private:
  void insert_slot(uint32_t id);
  std::string text_ = "\n";
  std::vector<size_t> starts_;
  std::vector<uint32_t> slots_;  // open addressing, id + 1 (0: empty)
};

void PutVarint(std::string& out, uint32_t v);
// Appends `uids` (ascending, all above `prev`) to a posting blob whose last
// UID is `prev`.
void AppendPostings(std::string& blob, uint32_t prev, const std::vector<uint32_t>& uids);
// Calls f(uid) for the row's UIDs: first_uid, then the blob's deltas.
// Returns the last UID, or 0 when the blob is malformed.
template <typename F>
uint32_t ForEachPosting(uint32_t first_uid, std::string_view blob, F&& f) {
  uint32_t uid = first_uid;
  f(uid);
  size_t i = 0;
  while (i < blob.size()) {
    uint32_t delta = 0;
    int shift = 0;
    for (;;) {
      if (i >= blob.size() || shift > 28) return 0;
      const auto b = static_cast<unsigned char>(blob[i++]);
      delta |= static_cast<uint32_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
    }
    if (delta == 0 || uid > UINT32_MAX - delta) return 0;
    uid += delta;
    f(uid);
  }
  return uid;
}

}  // namespace loft::store::internal

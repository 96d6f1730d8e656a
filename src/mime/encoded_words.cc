// RFC 2047 encoded-word decoding to UTF-8, tolerant of what real clients send.

#include "mime/decode.h"

namespace loft::mime {
namespace {

constexpr size_t kMaxCharsetName = 64;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Finds the first "?=" at or after a position. Searches only move forward, so
// scanning a hostile value full of "=?" stays linear.
class CloseFinder {
 public:
  explicit CloseFinder(std::string_view v) : v_(v) {}
  size_t Find(size_t from) {
    if (!valid_ || (cached_ != std::string_view::npos && cached_ < from)) {
      cached_ = v_.find("?=", from);
      valid_ = true;
    }
    return cached_;
  }

 private:
  std::string_view v_;
  size_t cached_ = 0;
  bool valid_ = false;
};

struct EncodedWord {
  std::string charset;  // lower case, RFC 2231 language suffix removed
  std::string bytes;    // decoded, still in `charset`
  size_t end = 0;       // one past "?="
};

// Parses "=?charset?B|Q?text?=" at v[pos].
bool ParseWord(std::string_view v, size_t pos, CloseFinder& closer, EncodedWord& word) {
  size_t i = pos + 2;
  const size_t cs_start = i;
  while (i < v.size() && v[i] != '?') {
    char c = v[i];
    if (IsBlank(c) || c == '=' || i - cs_start >= kMaxCharsetName) return false;
    ++i;
  }
  if (i >= v.size() || i == cs_start || i + 2 >= v.size() || v[i + 2] != '?') return false;
  char enc = v[i + 1];
  bool base64 = enc == 'B' || enc == 'b';
  if (!base64 && enc != 'Q' && enc != 'q') return false;
  size_t text_start = i + 3;
  size_t close = closer.Find(text_start);
  if (close == std::string_view::npos) return false;
  std::string_view charset = v.substr(cs_start, i - cs_start);
  charset = charset.substr(0, charset.find('*'));
  word.charset.clear();
  for (char c : charset) word.charset += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  std::string_view text = v.substr(text_start, close - text_start);
  word.bytes = base64 ? DecodeBase64(text) : DecodeQuotedPrintable(text, true);
  word.end = close + 2;
  return true;
}

}  // namespace

std::string DecodeEncodedWords(std::string_view value) {
  // Unfold first: line ends disappear, their indentation stays.
  std::string unfolded;
  unfolded.reserve(value.size());
  for (char c : value) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  const std::string_view v = unfolded;

  std::string out;
  std::string run_charset, run_bytes;  // adjacent words in one charset
  bool in_run = false;
  auto flush_run = [&] {
    if (in_run) ConvertToUtf8(run_charset, run_bytes, out);
    in_run = false;
    run_bytes.clear();
  };
  CloseFinder closer(v);
  size_t text_start = 0;  // plain text not copied yet starts here
  bool after_word = false;
  size_t i = 0;
  while (i + 1 < v.size()) {
    EncodedWord word;
    if (v[i] != '=' || v[i + 1] != '?' || !ParseWord(v, i, closer, word)) {
      ++i;
      continue;
    }
    std::string_view between = v.substr(text_start, i - text_start);
    bool only_blanks = true;
    for (char c : between) only_blanks = only_blanks && IsBlank(c);
    if (!(after_word && only_blanks)) {  // blanks between two words vanish
      flush_run();
      ConvertToUtf8("", between, out);
    }
    if (in_run && word.charset != run_charset) flush_run();
    run_charset = word.charset;
    run_bytes += word.bytes;
    in_run = true;
    after_word = true;
    i = text_start = word.end;
  }
  flush_run();
  ConvertToUtf8("", v.substr(text_start), out);
  return out;
}

}  // namespace loft::mime

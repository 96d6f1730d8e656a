#include "mime/rfc822_tokenizer.h"

#include <array>

namespace loft::mime {
namespace {

// 0 = not atext, 1/2 = atext, 4 = atext that is a MIME tspecial.
constexpr std::array<unsigned char, 256> MakeAtextTable() {
  std::array<unsigned char, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = 2;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = 2;
  for (int c = '0'; c <= '9'; ++c) t[c] = 2;
  for (int c = 128; c < 256; ++c) t[c] = 2;  // 8-bit bytes are accepted as atext
  for (unsigned char c : std::string_view("!#$%&'*+-^_`{|}~")) t[c] = 1;
  for (unsigned char c : std::string_view("/=?")) t[c] = 4;
  return t;
}
constexpr std::array<unsigned char, 256> kAtext = MakeAtextTable();

bool IsLwspOrNewline(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

bool IsAtext(unsigned char c) { return kAtext[c] != 0; }
bool IsAtextNonTspecial(unsigned char c) { return (kAtext[c] & 3) != 0; }

void Rfc822Tokenizer::AppendNul(std::string& out) const {
  if (nul_replacement_.empty()) {
    out.push_back('\0');
  } else {
    out.append(nul_replacement_);
  }
}

int Rfc822Tokenizer::SkipComment() {
  int level = 1;
  if (last_comment_ != nullptr) last_comment_->clear();
  const char* start = ++pos_;
  for (; pos_ < end_; ++pos_) {
    switch (*pos_) {
      case '\0':
        if (last_comment_ != nullptr && !nul_replacement_.empty()) {
          last_comment_->append(start, pos_ - start);
          last_comment_->append(nul_replacement_);
          start = pos_ + 1;
        }
        break;
      case '(':
        ++level;
        break;
      case ')':
        if (--level == 0) {
          if (last_comment_ != nullptr) last_comment_->append(start, pos_ - start);
          ++pos_;
          return pos_ < end_ ? 1 : 0;
        }
        break;
      case '\n': {
        if (last_comment_ == nullptr) break;
        size_t len = pos_ - start;
        if (len > 0 && start[len - 1] == '\r') --len;
        last_comment_->append(start, len);
        start = pos_ + 1;
        break;
      }
      case '\\':
        ++pos_;
        if (pos_ >= end_) return -1;
        if (*pos_ == '\r' || *pos_ == '\n' || *pos_ == '\0') {
          // A backslash before a line end or NUL escapes nothing: keep it.
          --pos_;
          break;
        }
        if (last_comment_ != nullptr) last_comment_->append(start, pos_ - start - 1);
        start = pos_;
        break;
    }
  }
  return -1;
}

int Rfc822Tokenizer::SkipLwsp() {
  while (pos_ < end_) {
    if (IsLwspOrNewline(*pos_)) {
      ++pos_;
      continue;
    }
    if (*pos_ != '(') break;
    if (SkipComment() < 0) return -1;
  }
  return pos_ < end_ ? 1 : 0;
}

int Rfc822Tokenizer::ParseAtom(std::string& out) {
  if (pos_ >= end_ || !IsAtext(*pos_)) return -1;
  const char* start = pos_++;
  for (; pos_ < end_; ++pos_) {
    if (IsAtext(*pos_)) continue;
    out.append(start, pos_ - start);
    return SkipLwsp();
  }
  out.append(start, pos_ - start);
  return 0;
}

int Rfc822Tokenizer::ParseDotAtom(std::string& out) {
  if (pos_ >= end_ || !IsAtext(*pos_)) return -1;
  const char* start = pos_++;
  while (pos_ < end_) {
    if (IsAtext(*pos_)) {
      ++pos_;
      continue;
    }
    if (start == pos_) return -1;
    out.append(start, pos_ - start);
    int ret = SkipLwsp();
    if (ret <= 0) return ret;
    if (*pos_ != '.') return 1;
    ++pos_;
    out.push_back('.');
    if (SkipLwsp() <= 0) return -1;
    start = pos_;
  }
  out.append(start, pos_ - start);
  return 0;
}

int Rfc822Tokenizer::ParseMimeToken(std::string& out) {
  const char* start = pos_;
  for (; pos_ < end_; ++pos_) {
    if (IsAtextNonTspecial(*pos_) || *pos_ == '.') continue;
    out.append(start, pos_ - start);
    return SkipLwsp();
  }
  out.append(start, pos_ - start);
  return 0;
}

int Rfc822Tokenizer::ParseQuotedString(std::string& out) {
  ++pos_;  // the opening quote
  const char* start = pos_;
  for (; pos_ < end_; ++pos_) {
    switch (*pos_) {
      case '\0':
        if (!nul_replacement_.empty()) {
          out.append(start, pos_ - start);
          out.append(nul_replacement_);
          start = pos_ + 1;
        }
        break;
      case '"':
        out.append(start, pos_ - start);
        ++pos_;
        return SkipLwsp();
      case '\n': {
        // Folding inside the string: drop the line end, keep the indentation.
        size_t len = pos_ - start;
        if (len > 0 && start[len - 1] == '\r') --len;
        out.append(start, len);
        start = pos_ + 1;
        break;
      }
      case '\\':
        ++pos_;
        if (pos_ >= end_) return -1;
        if (*pos_ == '\r' || *pos_ == '\n' || *pos_ == '\0') {
          --pos_;
          break;
        }
        out.append(start, pos_ - start - 1);
        start = pos_;
        break;
    }
  }
  return -1;
}

int Rfc822Tokenizer::ParseAtomOrDot(std::string& out) {
  const char* start = pos_;
  for (; pos_ < end_; ++pos_) {
    if (IsAtext(*pos_) || *pos_ == '.') continue;
    out.append(start, pos_ - start);
    return SkipLwsp();
  }
  out.append(start, pos_ - start);
  return 0;
}

int Rfc822Tokenizer::ParsePhrase(std::string& out) {
  if (pos_ >= end_) return 0;
  if (*pos_ == '.') return -1;
  for (;;) {
    int ret = *pos_ == '"' ? ParseQuotedString(out) : ParseAtomOrDot(out);
    if (ret <= 0) return ret;
    unsigned char c = peek();
    if (!IsAtext(c) && c != '"' && c != '.') break;
    out.push_back(' ');
  }
  return SkipLwsp();
}

int Rfc822Tokenizer::ParseDomainLiteral(std::string& out) {
  const char* start = pos_++;  // keeps the '['
  for (; pos_ < end_; ++pos_) {
    switch (*pos_) {
      case '\0':
        if (!nul_replacement_.empty()) {
          out.append(start, pos_ - start);
          out.append(nul_replacement_);
          start = pos_ + 1;
        }
        break;
      case '[':
        return -1;
      case ']':
        out.append(start, pos_ - start + 1);
        ++pos_;
        return SkipLwsp();
      case '\n': {
        size_t len = pos_ - start;
        if (len > 0 && start[len - 1] == '\r') --len;
        out.append(start, len);
        start = pos_ + 1;
        break;
      }
      case '\\':
        // Escapes stay in domain literals, except before a line end.
        ++pos_;
        if (pos_ >= end_) return -1;
        if (*pos_ == '\r' || *pos_ == '\n' || *pos_ == '\0') {
          out.append(start, pos_ - start);
          start = pos_;
          --pos_;
        }
        break;
    }
  }
  return -1;
}

int Rfc822Tokenizer::ParseDomain(std::string& out) {
  ++pos_;  // the '@'
  if (SkipLwsp() <= 0) return -1;
  if (*pos_ == '[') return ParseDomainLiteral(out);
  return ParseDotAtom(out);
}

int Rfc822Tokenizer::ParseContentType(std::string& out) {
  const size_t start_len = out.size();
  if (SkipLwsp() <= 0) return -1;
  if (ParseMimeToken(out) <= 0 || out.size() == start_len) return -1;
  if (*pos_ != '/') {
    out.resize(start_len);
    return -1;
  }
  ++pos_;
  if (SkipLwsp() <= 0) {
    out.resize(start_len);
    return -1;
  }
  out.push_back('/');
  const size_t subtype_start = out.size();
  int ret = ParseMimeToken(out);
  if (ret < 0 || out.size() == subtype_start || (pos_ < end_ && *pos_ != ';')) {
    out.resize(start_len);
    return -1;
  }
  return ret;
}

int Rfc822Tokenizer::ParseContentParam(std::string& key, std::string& value) {
  key.clear();
  value.clear();
  if (pos_ >= end_) return 0;
  if (*pos_ != ';') return -1;
  ++pos_;
  if (SkipLwsp() <= 0) return -1;
  if (ParseMimeToken(key) <= 0) return -1;
  if (*pos_ != '=') return -1;
  ++pos_;
  int ret = SkipLwsp();
  if (ret <= 0) {
    // "key=" at the very end: an empty value.
  } else if (*pos_ == '"') {
    ret = ParseQuotedString(value);
  } else if (*pos_ == '=') {
    // An unquoted RFC 2047 encoded-word, as real clients send: take it up to
    // the next separator even though '=' and '?' are tspecials.
    while (pos_ < end_ && *pos_ != ';' && *pos_ != ' ' && *pos_ != '\t' && *pos_ != '\r' &&
           *pos_ != '\n') {
      value.push_back(*pos_++);
    }
  } else {
    ret = ParseMimeToken(value);
  }
  return ret < 0 ? -1 : 1;
}

}  // namespace loft::mime

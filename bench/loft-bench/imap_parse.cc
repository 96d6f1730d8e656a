#include "imap_parse.h"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace loft::bench {

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void Val::Canonical(std::string& out) const {
  switch (kind) {
    case kNil: out += "N"; break;
    case kAtom: out += "A" + std::to_string(s.size()) + ":" + s; break;
    case kString: out += "S" + std::to_string(s.size()) + ":" + s; break;
    case kList:
      out += "(";
      for (auto& v : list) v.Canonical(out);
      out += ")";
      break;
  }
}

uint64_t Val::Hash() const {
  std::string c;
  Canonical(c);
  return Fnv1a(c);
}

bool ImapParser::Space() {
  if (Peek(' ')) {
    ++pos_;
    return true;
  }
  return false;
}

bool ImapParser::Number(uint64_t& out) {
  size_t start = pos_;
  while (pos_ < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
  if (pos_ == start || pos_ - start > 19) return false;
  std::from_chars(in_.data() + start, in_.data() + pos_, out);
  return true;
}

bool ImapParser::Atom(std::string& out) {
  size_t start = pos_;
  int bracket = 0;
  while (pos_ < in_.size()) {
    char c = in_[pos_];
    if (c == '[') ++bracket;
    else if (c == ']') --bracket;
    else if (bracket <= 0 && (c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n' || c == '"' || c == '{'))
      break;
    ++pos_;
  }
  if (pos_ == start) return false;
  out.assign(in_.substr(start, pos_ - start));
  return true;
}

bool ImapParser::Quoted(std::string& out) {
  ++pos_;  // opening quote
  while (pos_ < in_.size()) {
    char c = in_[pos_++];
    if (c == '"') return true;
    if (c == '\\' && pos_ < in_.size()) c = in_[pos_++];
    out += c;
  }
  return false;
}

bool ImapParser::Literal(std::string& out) {
  if (Peek('~')) ++pos_;
  ++pos_;  // {
  uint64_t n;
  if (!Number(n)) return false;
  if (Peek('+')) ++pos_;
  if (!Peek('}')) return false;
  ++pos_;
  if (in_.substr(pos_, 2) != "\r\n") return false;
  pos_ += 2;
  if (in_.size() - pos_ < n) return false;
  out.assign(in_.substr(pos_, n));
  pos_ += n;
  return true;
}

bool ImapParser::Value(Val& out, int depth) {
  if (depth > 64 || AtEnd()) return false;
  char c = in_[pos_];
  if (c == '(') {
    out.kind = Val::kList;
    ++pos_;
    while (true) {
      if (Peek(')')) {
        ++pos_;
        return true;
      }
      // Body parts of a multipart BODYSTRUCTURE follow each other without a space.
      if (!out.list.empty() && !Space() && !Peek('(')) return false;
      if (Peek(')')) continue;  // tolerate "( )"-style trailing space
      out.list.emplace_back();
      if (!Value(out.list.back(), depth + 1)) return false;
    }
  }
  if (c == '"') {
    out.kind = Val::kString;
    return Quoted(out.s);
  }
  if (c == '{' || (c == '~' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '{')) {
    out.kind = Val::kString;
    return Literal(out.s);
  }
  if (!Atom(out.s)) return false;
  out.kind = IEquals(out.s, "NIL") ? Val::kNil : Val::kAtom;
  return true;
}

namespace {

// "{123}" or "{123+}" at the end of a line: the literal's size.
std::optional<size_t> TrailingLiteral(const std::string& line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t open = line.rfind('{');
  if (open == std::string::npos) return std::nullopt;
  std::string_view digits(line.data() + open + 1, line.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  size_t n = 0;
  for (char d : digits) {
    if (!std::isdigit(static_cast<unsigned char>(d))) return std::nullopt;
    n = n * 10 + (d - '0');
  }
  return n;
}

}  // namespace

Task<std::string> ReadImapResponse(Conn& conn, TimePoint deadline, size_t max_literal) {
  std::string out = co_await conn.ReadLine(deadline);
  while (true) {
    auto n = TrailingLiteral(out);
    if (!n) break;
    if (*n > max_literal) throw IoError(fmt::format("literal of {} octets is too large", *n));
    out += "\r\n";
    out += co_await conn.ReadExact(*n, deadline);
    out += co_await conn.ReadLine(deadline);
  }
  co_return out;
}

}  // namespace loft::bench

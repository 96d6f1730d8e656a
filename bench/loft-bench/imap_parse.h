// Parsing of IMAP server responses: a response is read as one string with
// its literals kept inline ("{n}\r\n" followed by the n octets), and values
// are parsed from it into a small tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conn.h"
#include "task.h"

namespace loft::bench {

struct Val {
  enum Kind : uint8_t { kAtom, kString, kNil, kList };
  Kind kind = kAtom;
  std::string s;  // atom text or string contents
  std::vector<Val> list;

  bool IsList() const { return kind == kList; }
  // One serialization for equal values however they were sent (quoted or literal).
  void Canonical(std::string& out) const;
  uint64_t Hash() const;
};

class ImapParser {
 public:
  explicit ImapParser(std::string_view in, size_t pos = 0) : in_(in), pos_(pos) {}
  bool Value(Val& out, int depth = 0);
  bool Atom(std::string& out);  // atom incl. [section] and <partial>
  bool Number(uint64_t& out);
  bool Space();
  bool AtEnd() const { return pos_ >= in_.size(); }
  bool Peek(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
  size_t pos() const { return pos_; }
  std::string_view Rest() const { return in_.substr(std::min(pos_, in_.size())); }

 private:
  bool Quoted(std::string& out);
  bool Literal(std::string& out);
  std::string_view in_;
  size_t pos_;
};

// Reads one complete response (continuation, untagged or tagged), literals included.
// Literals larger than max_literal throw.
Task<std::string> ReadImapResponse(Conn& conn, TimePoint deadline, size_t max_literal = 512u << 20);

uint64_t Fnv1a(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);
std::string Upper(std::string_view s);

}  // namespace loft::bench

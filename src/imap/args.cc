#include "imap/args.h"

#include <utility>

namespace loft::imap {

Arg Arg::Atom(std::string text) {
  Arg a;
  a.type_ = Type::kAtom;
  a.text_ = std::move(text);
  return a;
}

Arg Arg::SectionAtom(std::string text) {
  Arg a = Atom(std::move(text));
  a.section_atom_ = true;
  return a;
}

Arg Arg::String(std::string text) {
  Arg a;
  a.type_ = Type::kString;
  a.text_ = std::move(text);
  return a;
}

Arg Arg::Literal(std::string data, bool literal8) {
  Arg a;
  a.type_ = Type::kLiteral;
  a.text_ = std::move(data);
  a.literal8_ = literal8;
  return a;
}

Arg Arg::Nil(std::string spelling) {
  Arg a;
  a.type_ = Type::kNil;
  a.text_ = std::move(spelling);
  return a;
}

Arg Arg::List(std::vector<Arg> items) {
  Arg a;
  a.type_ = Type::kList;
  a.text_.clear();
  a.list_ = std::move(items);
  return a;
}

std::optional<std::string_view> Arg::astring() const {
  switch (type_) {
    case Type::kAtom:
      if (section_atom_) return std::nullopt;
      return std::string_view(text_);
    case Type::kNil:
    case Type::kString:
    case Type::kLiteral:
      return std::string_view(text_);
    case Type::kList:
      break;
  }
  return std::nullopt;
}

std::optional<std::string_view> Arg::string() const {
  if (type_ == Type::kString || type_ == Type::kLiteral) return std::string_view(text_);
  return std::nullopt;
}

std::optional<std::string_view> Arg::atom() const {
  if (type_ == Type::kAtom || type_ == Type::kNil) return std::string_view(text_);
  return std::nullopt;
}

bool Arg::is_atom(std::string_view word) const {
  return (type_ == Type::kAtom || type_ == Type::kNil) && EqualsIgnoreCase(text_, word);
}

std::string Arg::DebugString() const {
  switch (type_) {
    case Type::kAtom:
    case Type::kNil:
      return text_;
    case Type::kString: {
      std::string out = "\"";
      for (char c : text_) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
      return out;
    }
    case Type::kLiteral:
      return (literal8_ ? "~{" : "{") + std::to_string(text_.size()) + "}";
    case Type::kList: {
      std::string out = "(";
      out += imap::DebugString(list_);
      out += ')';
      return out;
    }
  }
  return {};
}

bool Arg::operator==(const Arg& other) const {
  return type_ == other.type_ && literal8_ == other.literal8_ && section_atom_ == other.section_atom_ &&
         text_ == other.text_ && list_ == other.list_;
}

std::string DebugString(ArgSpan args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    out += args[i].DebugString();
  }
  return out;
}

namespace {
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Upper(a[i]) != Upper(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}

bool IsAtomChar(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

}  // namespace loft::imap

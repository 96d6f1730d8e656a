#include "imap/arg_tree_builder.h"

#include <array>
#include <utility>

namespace loft::imap {
namespace {

// Dovecot's IS_ATOM_PARSER_INPUT: what can never be inside an atom.
bool IsAtomParserSpecial(unsigned char c) {
  return c == '(' || c == ')' || c == '{' || c == '"' || c <= 32 || c == 0x7f;
}

// FETCH attributes whose "[...]" may hold spaces, lists and quoted strings.
bool IsSectionAttName(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kNames = {"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK",
                                                              "BINARY.SIZE"};
  for (std::string_view n : kNames) {
    if (EqualsIgnoreCase(name, n)) return true;
  }
  return false;
}

// From the '[' at `open`, the position of the matching ']' when the brackets
// hold only what a section may (printable ASCII, spaces, parentheses and
// complete quoted strings); npos otherwise (the atom is then read the plain
// way and the FETCH parser sees Dovecot's split form). `spaced` tells whether
// anything but atom characters occurred.
size_t FindSectionEnd(std::string_view line, size_t open, bool* spaced) {
  *spaced = false;
  for (size_t j = open + 1; j < line.size(); ++j) {
    unsigned char c = static_cast<unsigned char>(line[j]);
    if (c == ']') return j;
    if (c == '"') {
      *spaced = true;
      for (++j; j < line.size() && line[j] != '"'; ++j) {
        unsigned char q = static_cast<unsigned char>(line[j]);
        if (q == '\0' || q == '\r') return std::string_view::npos;
        if (q == '\\' && ++j >= line.size()) return std::string_view::npos;
        if (line[j] == '\0' || line[j] == '\r') return std::string_view::npos;
      }
      if (j >= line.size()) return std::string_view::npos;
      continue;
    }
    if (c == ' ' || c == '(' || c == ')') {
      *spaced = true;
      continue;
    }
    if (c < 0x20 || c >= 0x7f || c == '{') return std::string_view::npos;
  }
  return std::string_view::npos;
}

constexpr uint64_t kMaxLiteralSize = (uint64_t{1} << 63) - 1;

}  // namespace

bool ArgTreeBuilder::add(Arg arg, std::string* error) {
  if (++arg_count_ > max_args_) {
    *error = "Too many arguments";
    return false;
  }
  current().push_back(std::move(arg));
  return true;
}

ArgTreeBuilder::Result ArgTreeBuilder::parse_segment(std::string_view line) {
  Result r;
  auto fail = [&r](std::string text) {
    r.kind = Result::Kind::kError;
    r.error = std::move(text);
    return r;
  };
  size_t pos = 0;
  for (;;) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos == line.size()) {
      if (!stack_.empty()) return fail("Missing ')'");
      r.kind = Result::Kind::kEnd;
      return r;
    }
    unsigned char c = static_cast<unsigned char>(line[pos]);
    switch (c) {
      case '\r':
      case '\n':
        // The line's own end was cut off by the reader: this one is inside.
        return fail("CR sent without LF");
      case '"':
        if (!read_quoted(line, pos, &r.error)) return fail(std::move(r.error));
        break;
      case '{':
        return read_literal_header(line, pos + 1, false);
      case '~':
        if (pos + 1 < line.size() && line[pos + 1] == '{') {
          if (!literal8_allowed_) return fail("literal8 not allowed here");
          return read_literal_header(line, pos + 2, true);
        }
        if (!read_atom(line, pos, &r.error)) return fail(std::move(r.error));
        break;
      case '(': {
        if (stack_.size() >= max_depth_) return fail("Too deeply nested lists");
        if (!add(Arg::List(), &r.error)) return fail(std::move(r.error));
        stack_.push_back(&current().back().mutable_list());
        ++pos;
        break;
      }
      case ')':
        if (stack_.empty()) return fail("Unexpected ')'");
        stack_.pop_back();
        ++pos;
        break;
      default:
        if (!read_atom(line, pos, &r.error)) return fail(std::move(r.error));
        break;
    }
  }
}

bool ArgTreeBuilder::read_quoted(std::string_view line, size_t& pos, std::string* error) {
  std::string text;
  size_t i = pos + 1;
  for (;; ++i) {
    if (i >= line.size()) {
      *error = "Missing '\"'";
      return false;
    }
    char c = line[i];
    if (c == '"') break;
    if (c == '\0') {
      *error = "NULs not allowed in strings";
      return false;
    }
    if (c == '\\') {
      // Dovecot's str_unescape(): the backslash goes, the next byte stays,
      // whatever it is, except that a line break cannot be escaped.
      if (++i >= line.size()) {
        *error = "Missing '\"'";
        return false;
      }
      c = line[i];
      if (c == '\0') {
        *error = "NULs not allowed in strings";
        return false;
      }
    }
    if (c == '\r' || c == '\n') {
      *error = "Missing '\"'";
      return false;
    }
    text += c;
  }
  pos = i + 1;
  return add(Arg::String(std::move(text)), error);
}

bool ArgTreeBuilder::read_atom(std::string_view line, size_t& pos, std::string* error) {
  size_t start = pos;
  bool section = false;
  size_t i = pos;
  for (; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ' ' || c == '\r') break;
    if (c == ')') {
      if (!stack_.empty()) break;
      *error = "Unexpected ')'";
      return false;
    }
    if (c == '[' && !section && IsSectionAttName(line.substr(start, i - start))) {
      bool spaced = false;
      size_t end = FindSectionEnd(line, i, &spaced);
      if (end != std::string_view::npos) {
        section = spaced;
        i = end;  // the loop steps past the ']'
        continue;
      }
    }
    if (IsAtomParserSpecial(c)) {
      *error = "Invalid characters in atom";
      return false;
    }
    if (c >= 0x80) {
      *error = "8bit data in atom";
      return false;
    }
  }
  std::string text(line.substr(start, i - start));
  pos = i;
  if (section) return add(Arg::SectionAtom(std::move(text)), error);
  if (EqualsIgnoreCase(text, "NIL")) return add(Arg::Nil(std::move(text)), error);
  return add(Arg::Atom(std::move(text)), error);
}

ArgTreeBuilder::Result ArgTreeBuilder::read_literal_header(std::string_view line, size_t pos, bool literal8) {
  Result r;
  r.kind = Result::Kind::kError;
  LiteralHeader& h = r.literal;
  h.literal8 = literal8;
  for (;; ++pos) {
    if (pos >= line.size()) {
      // Dovecot meets the line break here.
      r.error = h.nonsync ? "Expecting '}' after '+'" : "Invalid literal size";
      return r;
    }
    char c = line[pos];
    if (c == '}') break;
    if (h.nonsync) {
      r.error = "Expecting '}' after '+'";
      return r;
    }
    if (c == '+') {
      h.nonsync = true;
      continue;
    }
    if (c < '0' || c > '9') {
      r.error = "Invalid literal size";
      return r;
    }
    unsigned digit = static_cast<unsigned>(c - '0');
    if (h.size > (kMaxLiteralSize - digit) / 10) {
      h.overflow = true;
    } else {
      h.size = h.size * 10 + digit;
    }
  }
  if (pos + 1 != line.size()) {
    r.error = "Missing LF after literal size";
    return r;
  }
  std::string err;
  if (!add(Arg::Literal(std::string(), literal8), &err)) {
    r.error = std::move(err);
    return r;
  }
  r.kind = Result::Kind::kLiteral;
  return r;
}

std::string& ArgTreeBuilder::literal_target() { return current().back().mutable_text(); }

Args ArgTreeBuilder::take() {
  Args out = std::move(root_);
  reset();
  return out;
}

void ArgTreeBuilder::reset() {
  root_.clear();
  stack_.clear();
  arg_count_ = 0;
}

}  // namespace loft::imap

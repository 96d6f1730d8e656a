// Builds a command's argument tree from its lines (internal to the
// CommandReader, public for tests).
//
// A command is one or more line segments: each segment but the last ends with
// a literal announcement ("{5}", "{5+}", "~{5}") whose data the reader adds
// with literal_target() before the next segment. Lists may stay open across
// segments. Tokenising follows Dovecot's imap-parser.c, error texts included:
// spaces between arguments are optional after ')' and literals, escapes in
// quoted strings take the next character whatever it is, atoms may hold
// ']' '%' '*' '\' and '[' (see args.h for FETCH section atoms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/args.h"

namespace loft::imap {

class ArgTreeBuilder {
 public:
  struct LiteralHeader {
    uint64_t size = 0;
    bool nonsync = false;   // {n+}
    bool literal8 = false;  // ~{n}
    bool overflow = false;  // the size did not fit in 63 bits
  };
  struct Result {
    enum class Kind {
      kEnd,      // the command's arguments are complete
      kLiteral,  // the segment ended with a literal announcement: `literal`
      kError,    // syntax error: `error` (Dovecot's text)
    };
    Kind kind = Kind::kEnd;
    LiteralHeader literal;
    std::string error;
  };

  ArgTreeBuilder(size_t max_depth, size_t max_args) : max_depth_(max_depth), max_args_(max_args) {}

  // Whether "~{" may start a literal8 here; when not, it is the error
  // "literal8 not allowed here" at once, as in Dovecot. Kept across reset().
  void set_literal8_allowed(bool allowed) { literal8_allowed_ = allowed; }

  // Parses one segment: the line without its CR LF (or LF).
  Result parse_segment(std::string_view line);
  // After a kLiteral result: the string to fill with the literal's data (a
  // new literal argument in the innermost open list).
  std::string& literal_target();

  size_t depth() const { return stack_.size(); }
  // The top-level arguments so far (a literal being announced is the last
  // one, empty, possibly inside a list).
  const Args& root() const { return root_; }
  size_t arg_count() const { return arg_count_; }
  // The finished tree (after kEnd); the builder is reset.
  Args take();
  void reset();

 private:
  std::vector<Arg>& current() { return stack_.empty() ? root_ : *stack_.back(); }
  bool add(Arg arg, std::string* error);
  bool read_quoted(std::string_view line, size_t& pos, std::string* error);
  bool read_atom(std::string_view line, size_t& pos, std::string* error);
  Result read_literal_header(std::string_view line, size_t pos, bool literal8);

  size_t max_depth_;
  size_t max_args_;
  bool literal8_allowed_ = true;
  size_t arg_count_ = 0;
  Args root_;
  std::vector<std::vector<Arg>*> stack_;  // open lists, innermost last
};

}  // namespace loft::imap

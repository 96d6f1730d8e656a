// Turns a stored message into the body of a RETR/TOP response, one chunk at
// a time: bytes pass through unchanged except that a '.' starting a line is
// doubled (RFC 1939 section 3), and finish() adds the ".\r\n" terminator
// (after a CRLF when the message does not end with a line break). For TOP it
// stops after the header, the empty line and the first N body lines.
//
// Keeps only a few bytes of state, so messages of any size stream through
// bounded memory and lines may span chunk boundaries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loft::pop3 {

class DotStuffer {
 public:
  // body_lines: for TOP, the number of body lines after the header; nullopt
  // for the whole message (RETR).
  explicit DotStuffer(std::optional<uint64_t> body_lines = std::nullopt);

  // Appends the stuffed form of `in` to `out`. Input after the TOP limit is
  // ignored.
  void feed(std::string_view in, std::string& out);
  // Appends the line break the message lacks, if any, and ".\r\n".
  void finish(std::string& out) const;
  // The TOP limit was reached: no further input is needed.
  bool done() const { return done_; }

 private:
  void feed_whole(std::string_view in, std::string& out);
  void end_line();

  bool limited_ = false;
  uint64_t lines_left_ = 0;  // counts the empty line that ends the header too
  bool in_body_ = false;
  bool done_ = false;
  bool line_start_ = true;
  uint64_t line_len_ = 0;  // bytes of the current line before its '\n'
  char line_first_ = 0;
  char last_ = 0;  // last byte written, 0 before any
};

}  // namespace loft::pop3

// Parsing of POP3 command arguments with Dovecot's error texts: message
// numbers ("-ERR Invalid message number: x", "-ERR Noise after message
// number: ...") and TOP's line count ("-ERR Invalid size: x").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace loft::pop3 {

struct ParsedNumber {
  uint64_t value = 0;
  std::string_view rest;  // after the number and any spaces following it
};

// The error line (without CRLF) to send when parsing failed.
using NumberResult = std::variant<ParsedNumber, std::string>;

// A message number at the start of `args`. then_space: another argument
// must follow (TOP); otherwise nothing may follow. Does not check the range.
NumberResult parse_message_number(std::string_view args, bool then_space);

// TOP's line count: digits, nothing after them.
NumberResult parse_line_count(std::string_view args);

}  // namespace loft::pop3

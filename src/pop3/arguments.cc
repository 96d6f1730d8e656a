#include "pop3/arguments.h"

#include <limits>

#include "pop3/text.h"

namespace loft::pop3 {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses digits at the front of `args` into a number no larger than `max`.
// On success `args` is left after the digits.
bool parse_digits(std::string_view& args, uint64_t max, uint64_t& value) {
  value = 0;
  size_t i = 0;
  bool overflow = false;
  for (; i < args.size() && is_digit(args[i]); ++i) {
    unsigned d = static_cast<unsigned>(args[i] - '0');
    if (value > (max - d) / 10)
      overflow = true;
    else
      value = value * 10 + d;
  }
  args.remove_prefix(i);
  return !overflow;
}

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

NumberResult parse(std::string_view args, bool then_space, uint64_t max, std::string_view invalid,
                   std::string_view too_large, std::string_view noise) {
  if (args.empty() || !is_digit(args.front())) return std::string(invalid) + sanitize(args);
  ParsedNumber n;
  if (!parse_digits(args, max, n.value)) return std::string(too_large) + sanitize(args);
  bool ok = then_space ? (!args.empty() && args.front() == ' ') : args.empty();
  if (!ok) return std::string(noise) + sanitize(args);
  n.rest = skip_spaces(args);
  return n;
}

}  // namespace

NumberResult parse_message_number(std::string_view args, bool then_space) {
  return parse(args, then_space, std::numeric_limits<uint32_t>::max(), "-ERR Invalid message number: ",
               "-ERR Message number too large: ", "-ERR Noise after message number: ");
}

NumberResult parse_line_count(std::string_view args) {
  return parse(args, false, std::numeric_limits<uint64_t>::max(),
               "-ERR Invalid size: ", "-ERR Size too large: ", "-ERR Noise after size: ");
}

}  // namespace loft::pop3

// Small text helpers for the POP3 session: case folding, safe echoing of
// client input and hex (base64 for SASL is auth::base64_*).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loft::pop3 {

std::string ascii_upper(std::string_view s);
std::string ascii_lower(std::string_view s);

// Client text echoed in a response: control characters (CR, LF, NUL, ...)
// become '?' and the result is cut to `max` bytes, so an answer is always
// one well-formed line.
std::string sanitize(std::string_view s, size_t max = 200);

std::string hex_lower(std::string_view raw);

}  // namespace loft::pop3

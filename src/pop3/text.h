// Small text helpers for the POP3 session: case folding, safe echoing of
// client input, base64 (SASL, RFC 5034) and hex.
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

std::string base64_encode(std::string_view raw);
// Strict standard base64 with padding; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_lower(std::string_view raw);

}  // namespace loft::pop3

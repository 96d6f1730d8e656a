// Small text helpers of the IMAP session: case folding, safe echoing of
// client input (base64 for SASL is auth::base64_*).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loft::imap {

std::string AsciiLower(std::string_view s);
// Control characters become '?', cut to `max` bytes: an answer stays one line.
std::string Sanitize(std::string_view s, size_t max = 200);



}  // namespace loft::imap

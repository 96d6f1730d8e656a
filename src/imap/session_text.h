// Small text helpers of the IMAP session: case folding, safe echoing of
// client input, base64 for SASL (RFC 3501 6.2.2 / RFC 4959) and the user name
// a SASL client claims (for throttling failed attempts per user).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loft::imap {

std::string AsciiLower(std::string_view s);
// Control characters become '?', cut to `max` bytes: an answer stays one line.
std::string Sanitize(std::string_view s, size_t max = 200);

std::string Base64Encode(std::string_view raw);
// Strict standard base64 with padding; nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);

// The authentication identity a client claims in its `message_index`-th SASL
// message (from 0), lower-cased; empty when that message carries none.
std::string SaslClaimedUser(std::string_view mechanism, size_t message_index, std::string_view message);

}  // namespace loft::imap

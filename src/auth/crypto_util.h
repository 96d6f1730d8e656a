// Small helpers shared by the auth sources (not part of the public API):
// base64, SHA-256/HMAC, randomness, constant-time comparison, name folding.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace loft::auth::internal {

// Largest SASL client message we look at; anything longer is malformed.
inline constexpr size_t kMaxSaslMessage = 8 * 1024;

// Standard base64 with padding, no line breaks.
std::string base64_encode(std::string_view raw);
// Strict: only the standard alphabet, length a multiple of 4, '=' only as
// trailing padding. nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

// Cryptographically random bytes (OpenSSL RAND_bytes); throws if the RNG fails.
std::string random_bytes(size_t n);

// Constant-time for equal lengths; different lengths compare unequal at once
// (the length is not secret for the values compared here).
bool constant_time_equal(std::string_view a, std::string_view b);

// ASCII lower-casing (user names are ASCII).
std::string ascii_lower(std::string_view s);
bool ascii_iequals(std::string_view a, std::string_view b);

}  // namespace loft::auth::internal

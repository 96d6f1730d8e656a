// APOP (RFC 1939 section 7): the greeting's timestamp and the digest check.
#pragma once

#include <string>
#include <string_view>

namespace loft::pop3 {

// "<pid.random@hostname>", unique per connection.
std::string make_apop_timestamp(std::string_view hostname);

// True when hex_digest (32 hex digits, any case) is MD5(timestamp + secret).
// Constant-time in the digest comparison.
bool apop_digest_matches(std::string_view timestamp, std::string_view secret, std::string_view hex_digest);

// MD5(timestamp + secret) as 32 lower-case hex digits.
std::string apop_digest(std::string_view timestamp, std::string_view secret);

}  // namespace loft::pop3

// The user name a SASL client claims, read from its messages before the
// exchange has finished, so that failed attempts are throttled per user
// name too (the SaslServer only names the user after success).
#pragma once

#include <string>
#include <string_view>

namespace loft::pop3 {

// `message_index` counts the messages the client sent, from 0 (an initial
// response counts only when one was given). Returns the claimed
// authentication identity, lower-cased, or empty when this message does not
// carry one. Never returns a password.
std::string sasl_claimed_user(std::string_view mechanism, size_t message_index, std::string_view message);

}  // namespace loft::pop3

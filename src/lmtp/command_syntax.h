// Arguments of the LMTP commands that carry any: MAIL FROM and RCPT TO.
// Failures come back as complete reply lines (without CRLF) in Dovecot's
// wording, so the session only has to send them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lmtp/address.h"

namespace loft::lmtp {

struct MailArgs {
  Path from;
  std::optional<uint64_t> size;  // SIZE=
  bool eight_bit = false;        // BODY=8BITMIME
};

// `params` is everything after "MAIL ". Returns an empty string on success.
std::string parse_mail_args(std::string_view params, uint64_t max_message_size, MailArgs& out);

// `params` is everything after "RCPT ". Returns an empty string on success.
std::string parse_rcpt_args(std::string_view params, Path& out);

}  // namespace loft::lmtp

// The Date: header as SENTBEFORE / SENTON / SENTSINCE read it: Dovecot 2.3's
// message_date_parse() (lib-mail/message-date.c), lenient the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loft::imap {

struct MessageDate {
  int64_t utc = 0;   // seconds since the epoch
  int32_t zone = 0;  // minutes east of UTC, as written (0 when missing or unknown)
};

// "[Day ,] d Mon [yy]yy hh:mm[:ss] [zone]" with comments and folding
// whitespace anywhere between tokens; month names need only their first
// three letters; two-digit years are 1970..2069; zones are +hhmm/-hhmm,
// UT/GMT and the US names, or military letters. nullopt when unparsable.
std::optional<MessageDate> ParseMessageDate(std::string_view value);

}  // namespace loft::imap

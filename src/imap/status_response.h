// The untagged STATUS response (RFC 3501 7.2.4, RFC 9051 7.3.3), shared by
// STATUS and LIST-STATUS (RFC 5819).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/store.h"

namespace loft::imap {

// "* STATUS <name> (<item> <n> ...)\r\n" with the items in Dovecot's order.
// RECENT is 0: no message is \Recent (see docs/DIFFERENCES.md).
std::string StatusResponse(std::string_view mailbox, uint32_t items, const store::MailboxStatus& status,
                           bool utf8_mode, uint64_t append_limit);

}  // namespace loft::imap

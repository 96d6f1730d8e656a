// RFC 5322 address-list parsing for ENVELOPE, reproducing Dovecot 2.3's
// message_address_parse() with FILL_MISSING and non-strict dots: groups,
// route addresses, comments as display names, and the placeholders
// MISSING_MAILBOX / MISSING_DOMAIN / SYNTAX_ERROR / INVALID_ROUTE where input
// is broken. Encoded-words are left as they are. Internal to src/mime.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loft::mime {

struct ParsedAddress {
  std::optional<std::string> name, route, mailbox, domain;
};

// Parses a Dovecot "full value" of an address header. An empty result means
// no addresses (ENVELOPE NIL). The number of addresses is bounded by the input
// size, so hostile input stays linear.
std::vector<ParsedAddress> ParseAddressList(std::string_view full_value);

}  // namespace loft::mime

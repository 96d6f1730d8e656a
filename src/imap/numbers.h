// Strict decimal numbers of IMAP arguments (Dovecot's str_to_uint64 /
// str_to_uint32): one or more ASCII digits, nothing else, no overflow.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loft::imap {

std::optional<uint64_t> ParseUint64(std::string_view s);
std::optional<uint32_t> ParseUint32(std::string_view s);

}  // namespace loft::imap

// Flag lists of STORE and APPEND: system flags (store::Flag bits) and
// keywords, validated like Dovecot 2.3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"

namespace loft::imap {

// \Recent is session state, not a store::Flag; it only appears in SEARCH.
inline constexpr uint32_t kRecentFlag = 1u << 16;

struct FlagSet {
  uint32_t system = 0;                // store::Flag bits
  std::vector<std::string> keywords;  // as given, duplicates removed
  bool empty() const { return system == 0 && keywords.empty(); }
  bool operator==(const FlagSet&) const = default;
};

// "\Seen" (any case) -> store::kSeen ...; "\Recent" -> kRecentFlag; else nullopt.
std::optional<uint32_t> SystemFlagBit(std::string_view name);
// "\Seen", "\Answered", ... for the bits set, in the order Dovecot lists them.
std::vector<std::string_view> SystemFlagNames(uint32_t bits);

// A keyword as Dovecot accepts it: 1..255 ATOM-CHARs (no '\', ']', '%', '*').
// Returns the NO text when invalid.
std::optional<std::string> KeywordError(std::string_view keyword);

// The elements of a flag list (the list's items, or STORE's bare atoms):
//   a string, literal or list   BAD "Flags list contains non-atoms"
//   \Recent, \*, \Unknown        BAD "Invalid system flag \UNKNOWN"
//   bad keyword                  NO  "[CANNOT] Invalid characters in keyword"
Parsed<FlagSet> ParseFlags(ArgSpan items);

}  // namespace loft::imap

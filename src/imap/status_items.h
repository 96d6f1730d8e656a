// STATUS data items (RFC 3501 / 9051; HIGHESTMODSEQ RFC 7162, APPENDLIMIT
// RFC 7889, SIZE and DELETED RFC 9051) and the STATUS command's arguments,
// also used by LIST-STATUS's RETURN (STATUS (...)) (RFC 5819).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"

namespace loft::imap {

enum StatusItem : uint32_t {
  kStatusMessages = 1u << 0,
  kStatusRecent = 1u << 1,
  kStatusUidNext = 1u << 2,
  kStatusUidValidity = 1u << 3,
  kStatusUnseen = 1u << 4,
  kStatusDeleted = 1u << 5,
  kStatusSize = 1u << 6,
  kStatusHighestModSeq = 1u << 7,
  kStatusAppendLimit = 1u << 8,
};

// The items' names in the order Dovecot answers them.
std::vector<std::string_view> StatusItemNames(uint32_t items);

// The items of a list: "Status list contains non-atoms", "Invalid status item
// X" (X upper-cased), "Empty status list".
Parsed<uint32_t> ParseStatusItems(const Arg& list);

struct StatusArgs {
  std::string mailbox;  // store name (UTF-8, INBOX normalised)
  uint32_t items = 0;
};

// STATUS <mailbox> (<items>): "Missing arguments", "Invalid arguments", the
// mailbox name errors of ParseMailboxName and those of ParseStatusItems.
Parsed<StatusArgs> ParseStatusArgs(ArgSpan args, bool utf8_mode, char separator = '/');

}  // namespace loft::imap

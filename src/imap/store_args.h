// STORE arguments (RFC 3501 / 9051, CONDSTORE UNCHANGEDSINCE RFC 7162),
// parsed like Dovecot 2.3 (cmd-store.c):
//
//   STORE <set> [(UNCHANGEDSINCE <modseq>)] [+|-]FLAGS[.SILENT] <flags>
//
// <flags> is a parenthesised list or bare atoms (or nothing: FLAGS with no
// flags clears them all).
#pragma once

#include <cstdint>
#include <optional>

#include "imap/arg_error.h"
#include "imap/args.h"
#include "imap/flags.h"
#include "imap/sequence_set.h"

namespace loft::imap {

struct StoreArgs {
  enum class Mode { kReplace, kAdd, kRemove };
  SequenceSet set;  // sequence numbers, or UIDs for UID STORE
  Mode mode = Mode::kReplace;
  bool silent = false;
  FlagSet flags;
  std::optional<uint64_t> unchanged_since;
};

// Errors: "Invalid arguments", "Invalid messageset" / "Invalid uidset",
// "Invalid STORE modifiers", "Unknown STORE modifier", "Invalid modseq",
// and those of ParseFlags ("Flags list contains non-atoms", "Invalid system
// flag \X", NO "[CANNOT] Invalid characters in keyword").
Parsed<StoreArgs> ParseStoreArgs(ArgSpan args, bool uid);

}  // namespace loft::imap

// SELECT / EXAMINE arguments with CONDSTORE and QRESYNC parameters
// (RFC 7162), parsed like Dovecot 2.3 (cmd-select.c):
//
//   SELECT <mailbox> [(CONDSTORE | QRESYNC (uidvalidity modseq [known-uids]
//                                           [(known-seqs known-seq-uids)]) ...)]
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "imap/arg_error.h"
#include "imap/args.h"
#include "imap/sequence_set.h"

namespace loft::imap {

struct QresyncParams {
  uint32_t uidvalidity = 0;
  uint64_t modseq = 0;
  // The UIDs the client knows; absent means all (1:4294967295).
  std::optional<RangeList> known_uids;
  // Sequence match data: the n-th number of known_seqs is the message whose
  // UID is the n-th number of known_seq_uids (same counts, checked).
  std::optional<RangeList> known_seqs;
  std::optional<RangeList> known_seq_uids;
};

struct SelectArgs {
  std::string mailbox;  // store name
  bool condstore = false;
  std::optional<QresyncParams> qresync;  // implies CONDSTORE
};

// Errors: "Invalid arguments", the mailbox errors of ParseMailboxName,
// "SELECT options contain non-atoms", "Unknown FETCH modifier" (sic:
// Dovecot's text for an unknown SELECT parameter), "QRESYNC not enabled",
// "QRESYNC parameters missing", "Invalid QRESYNC parameters", "Invalid
// QRESYNC known-uids", "Invalid QRESYNC known-sequence-set", "Invalid QRESYNC
// known-uid-set", "Invalid QRESYNC sets", "Too many parameters to QRESYNC
// known set".
Parsed<SelectArgs> ParseSelectArgs(ArgSpan args, bool utf8_mode, bool qresync_enabled, char separator = '/');

}  // namespace loft::imap

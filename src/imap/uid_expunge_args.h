// UID EXPUNGE arguments (RFC 4315 / 9051): one UID set.
#pragma once

#include "imap/arg_error.h"
#include "imap/args.h"
#include "imap/sequence_set.h"

namespace loft::imap {

// "Missing arguments" / "Invalid uidset" (Dovecot); later arguments are
// ignored as Dovecot does. "$" is accepted.
Parsed<SequenceSet> ParseUidExpungeArgs(ArgSpan args);

}  // namespace loft::imap

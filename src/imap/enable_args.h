// ENABLE arguments (RFC 5161): capability names, as Dovecot reads them.
#pragma once

#include <string>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"

namespace loft::imap {

// The names upper-cased, duplicates removed, in order. Anything but atoms:
// "Invalid arguments". No names at all is accepted, like Dovecot (the answer
// is then just OK). Unknown names are the session's to ignore (RFC 5161).
Parsed<std::vector<std::string>> ParseEnableArgs(ArgSpan args);

}  // namespace loft::imap

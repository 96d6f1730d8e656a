// LIST and LSUB arguments: RFC 3501 "LIST reference pattern" and the
// LIST-EXTENDED form (RFC 5258) with selection options (SUBSCRIBED, REMOTE,
// RECURSIVEMATCH, SPECIAL-USE of RFC 6154), several patterns, and return
// options (SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS (...) of RFC 5819),
// parsed like Dovecot 2.3 (cmd-list.c). Matching: mailbox_pattern.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"

namespace loft::imap {

struct ListArgs {
  // Selection options.
  bool select_subscribed = false;
  bool select_remote = false;
  bool select_recursive_match = false;
  bool select_special_use = false;

  std::string reference;              // UTF-8
  // The patterns in UTF-8; those that are not valid mUTF-7 can match
  // nothing and are left out.
  std::vector<std::string> patterns;
  // LIST "" "": the client asks for the hierarchy delimiter only.
  bool delimiter_query = false;

  // Return options.
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::optional<uint32_t> return_status;  // StatusItem bits

  // Any LIST-EXTENDED syntax was used (selection or return options, or a
  // pattern list): the answer follows RFC 5258.
  bool extended = false;
};

// LIST [(select-opts)] reference (patterns | pattern) [RETURN (return-opts)].
// Errors: "Invalid reference", "Invalid pattern", "List options contains
// non-atoms", "Unknown select options", "RECURSIVEMATCH must not be the only
// selection", "Unknown return options", "Invalid status item X", "Extra
// arguments".
Parsed<ListArgs> ParseListArgs(ArgSpan args, bool utf8_mode);
// LSUB reference pattern: the RFC 3501 form only.
Parsed<ListArgs> ParseLsubArgs(ArgSpan args, bool utf8_mode);

}  // namespace loft::imap

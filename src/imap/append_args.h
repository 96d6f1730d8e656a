// APPEND arguments (RFC 3501 / 9051) with MULTIAPPEND (RFC 3502) and
// BINARY's literal8 (RFC 3516), parsed like Dovecot 2.3 (cmd-append.c):
//
//   APPEND <mailbox> [(flags)] ["date-time"] <literal> [[(flags)] ["date-time"] <literal> ...]
//
// CATENATE is not supported ("Invalid arguments").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"
#include "imap/dates.h"
#include "imap/flags.h"

namespace loft::imap {

struct AppendMessage {
  FlagSet flags;
  std::optional<DateTime> internal_date;
  std::string data;     // the literal's octets
  bool binary = false;  // sent as literal8 (~{n}): may hold NULs
};

struct AppendArgs {
  std::string mailbox;  // store name
  std::vector<AppendMessage> messages;
};

// Errors: "Invalid arguments", "Missing message size", "Invalid internal
// date", the flag errors of ParseFlags, the mailbox errors of
// ParseMailboxName, and NO "Can't save a zero byte message". The literals'
// data is moved out of `args`.
Parsed<AppendArgs> ParseAppendArgs(Args& args, bool utf8_mode, char separator = '/');

// For a CommandReader literal hook: checks the message whose literal
// (`args.back()`, possibly the last of several) is being announced with
// `literal_size` octets, before its data is sent: the mailbox name, the
// flags, the date and the size (Dovecot refuses these before sending "+ OK").
// nullopt when fine.
std::optional<ArgError> CheckAppendBeforeData(ArgSpan args, uint64_t literal_size, bool utf8_mode = false,
                                              char separator = '/');

}  // namespace loft::imap

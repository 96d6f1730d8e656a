// A minimal LMTP client (RFC 2033) for delivering benchmark mail.
#pragma once

#include <string>
#include <vector>

#include "conn.h"
#include "options.h"
#include "task.h"

namespace loft::bench {

struct SmtpReply {
  int code = 0;
  std::string text;  // the last line
};

// Reads one (possibly multi-line) reply.
Task<SmtpReply> ReadSmtpReply(Conn& conn, TimePoint deadline);

// Connects, reads the greeting, LHLO (and STARTTLS when asked). Throws IoError.
Task<void> LmtpOpen(Conn& conn, const Options& o, const std::string& host, int port);

}  // namespace loft::bench

// The IMAP4rev1 / IMAP4rev2 server session (RFC 3501, RFC 9051). Dovecot 2.3
// is the reference for response texts and corner cases.
//
// A session is a sans-IO state machine driven by the event loop through
// net::Session; everything that may block (password checks, the store) runs
// through SessionHost::offload.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/auth.h"
#include "net/session.h"
#include "store/store.h"
#include "util/byte_budget.h"

namespace loft::imap {

struct Options {
  std::string hostname = "localhost";
  bool plaintext_on_loopback = true;   // LOGIN, AUTHENTICATE PLAIN/LOGIN without TLS from loopback
  bool plaintext_without_tls = false;  // ... and from anywhere
  std::chrono::seconds login_timeout{60};
  std::chrono::seconds idle_timeout{30 * 60};  // RFC 3501 5.4: autologout after at least 30 minutes
  size_t max_line_length = 64 * 1024;          // command text, literals excluded
  uint64_t append_limit = 64ull << 20;         // APPENDLIMIT (RFC 7889)
  size_t max_bad_commands = 20;                // consecutive BADs before "* BYE"; 0 disables
  // Shared by every session: APPEND literals held in memory, summed over
  // sessions (see util/byte_budget.h). Null: no cap but append_limit.
  util::ByteBudget* message_memory = nullptr;
};

struct Context {
  store::Store& store;
  auth::UserDb& users;
  auth::Throttle& throttle;
  Options options;  // copied by each session when it starts
};

std::unique_ptr<net::Session> make_session(Context& ctx, net::SessionHost& host);

}  // namespace loft::imap

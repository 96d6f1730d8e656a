// The LMTP server session (RFC 2033, with PIPELINING RFC 2920, SIZE RFC 1870,
// 8BITMIME RFC 6152 and ENHANCEDSTATUSCODES RFC 2034/3463). Dovecot 2.3's
// lmtp is the reference for reply texts and for the trace headers.
//
// A session is a sans-IO state machine driven by the event loop through
// net::Session; the user database and the store are only touched inside
// SessionHost::offload jobs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "net/session.h"
#include "store/store.h"
#include "util/byte_budget.h"

namespace loft::lmtp {

struct Options {
  std::string hostname = "localhost";
  uint64_t max_message_size = 64ull << 20;  // DATA payload octets (after dot-unstuffing)
  size_t max_recipients = 100;              // accepted RCPTs per transaction; 0: no limit
  std::chrono::seconds idle_timeout{300};
  // Shared by every session: DATA payloads held in memory, summed over
  // sessions (util/byte_budget.h). Null: no cap but max_message_size.
  util::ByteBudget* message_memory = nullptr;
};

struct Context {
  store::Store& store;
  auth::UserDb& users;
  Options options;  // copied by each session when it starts
};

std::unique_ptr<net::Session> make_session(Context& ctx, net::SessionHost& host);

// ---- Shared with `loft deliver` ---------------------------------------------------

// A recipient address resolved to a Loft user: the lower-cased local part
// before the first '+', and what follows that '+' (case kept; empty when none).
struct Recipient {
  std::string user;
  std::string detail;
};

// Accepts "alice+detail@example.com", "<alice@x>", "<@relay:alice@x>",
// "\"quoted local\"@x" and a bare local part "alice" (LMTP allows no domain).
// nullopt when the address is malformed or empty.
std::optional<Recipient> parse_recipient(std::string_view address);

// The mailbox a message for `detail` goes to: "INBOX" when detail is empty or
// names the inbox in any case, `detail` when the user has a mailbox named
// exactly so, else "INBOX". May block (store): call it off the event loop.
std::string target_mailbox(store::UserStore& user, std::string_view detail);

// What the trace headers record about one delivery.
struct TraceInfo {
  std::string sender;  // reverse-path without <>; empty for the null sender
  // The RCPT address without <>. Dovecot writes Delivered-To and the
  // Received "for" clause only when the transaction has exactly one
  // recipient (a shared copy must not reveal the other recipients), so
  // leave it empty for multi-recipient transactions.
  std::string recipient;
  std::string client_helo;  // the LHLO domain; "unknown" when empty
  std::string client_ip;    // "127.0.0.1", "::1"; left out of Received when empty
  std::string hostname;     // this server
  std::string session_id;
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  std::optional<int> utc_offset_minutes;  // zone of the date; the local zone when unset
  bool add_received = true;               // `loft deliver` may want only Return-Path/Delivered-To
};

// "Return-Path: <sender>\r\n" ["Delivered-To: rcpt\r\n"] "Received: from helo ([ip])\r\n\tby host with
// LMTP\r\n\tid <id>\r\n\t(envelope-from <sender>)[\r\n\tfor <rcpt>]; <RFC 5322 date>\r\n", exactly as
// Dovecot 2.3. Control characters in the fields are dropped so no field can
// start a header of its own.
std::string trace_headers(const TraceInfo& info);

// RFC 5322 date-time as Dovecot writes it: "Thu, 26 Nov 2026 15:40:24 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point time, std::optional<int> utc_offset_minutes);

// A fresh transaction id: 16 random octets in base64 without padding (22
// characters), like Dovecot's.
std::string new_session_id();

}  // namespace loft::lmtp

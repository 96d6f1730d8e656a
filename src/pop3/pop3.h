// The POP3 server session (RFC 1939, with CAPA RFC 2449, STLS RFC 2595,
// AUTH RFC 5034 and response codes RFC 3206). Dovecot 2.3 is the reference
// for response texts and corner cases.
//
// A session is a sans-IO state machine driven by the event loop through
// net::Session; everything that may block (password checks, the store) runs
// through SessionHost::offload.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "auth/auth.h"
#include "net/session.h"
#include "store/store.h"

namespace loft::pop3 {

struct Options {
  std::string hostname = "localhost";
  bool plaintext_on_loopback = true;  // USER/PASS, AUTH PLAIN/LOGIN allowed without TLS from 127.0.0.0/8, ::1
  bool plaintext_without_tls = false;  // ... and from anywhere
  bool apop = false;                   // APOP (needs UserRecord::apop_secret)
  std::chrono::seconds login_timeout{60};
  std::chrono::seconds idle_timeout{600};  // RFC 1939: at least 10 minutes
  size_t max_bad_commands = 20;            // consecutive; 0 disables the limit
};

// Exclusive maildrop locks shared by all POP3 sessions of the process
// (RFC 1939 section 8: one session per maildrop). Thread-safe.
class MaildropLocks {
 public:
  // True when the lock was free and is now held by the caller.
  bool try_lock(const std::string& user);
  void unlock(const std::string& user);
  bool is_locked(const std::string& user) const;

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> held_;
};

struct Context {
  store::Store& store;
  auth::UserDb& users;
  auth::Throttle& throttle;
  MaildropLocks& locks;
  Options options;  // copied by each session when it starts
};

std::unique_ptr<net::Session> make_session(Context& ctx, net::SessionHost& host);

}  // namespace loft::pop3

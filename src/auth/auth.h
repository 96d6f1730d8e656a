// Users, password hashes, SASL mechanisms and login throttling.
//
// Password verification is deliberately slow (argon2id); callers run it on
// worker threads, never on the event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loft::auth {

// ---- Password hashes ------------------------------------------------------

// A new argon2id hash in PHC form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
std::string hash_password(std::string_view password);

// Verifies against any supported stored form: $argon2id$/$argon2i$, crypt(3)
// hashes ($6$ SHA512-CRYPT, $2a$/$2b$/$2y$ BLF-CRYPT, $y$ yescrypt, $5$), and
// Dovecot scheme prefixes {ARGON2ID}, {SHA512-CRYPT}, {BLF-CRYPT}, {CRYPT},
// {PLAIN}. Constant-time comparison where the library does not do it.
bool verify_password(std::string_view stored, std::string_view password);

// SCRAM-SHA-256 server credentials (RFC 5802/7677), kept beside the hash so
// SCRAM works without the plaintext. Absent for imported crypt hashes.
struct ScramCredentials {
  std::string salt;        // raw bytes
  uint32_t iterations = 0;
  std::string stored_key;  // raw 32 bytes
  std::string server_key;  // raw 32 bytes
};
ScramCredentials make_scram_credentials(std::string_view password, uint32_t iterations = 4096);

// ---- The user database ------------------------------------------------------

struct UserRecord {
  std::string name;
  std::string password_hash;
  std::optional<ScramCredentials> scram;
  // Plaintext shared secret for POP3 APOP; stored only when the operator
  // enabled APOP (it weakens storage), absent otherwise.
  std::optional<std::string> apop_secret;
};

// <data>/users.db, SQLite. Thread-safe.
class UserDb {
 public:
  static std::unique_ptr<UserDb> open(const std::filesystem::path& file);
  virtual ~UserDb() = default;

  // User names: 1..64 bytes of [A-Za-z0-9._+-@], not starting with '.';
  // compared case-sensitively after lower-casing (names are stored lower-case).
  static bool valid_name(std::string_view name);

  virtual void add(std::string_view name, std::string_view password) = 0;       // throws if exists/invalid
  virtual void set_password(std::string_view name, std::string_view password) = 0;  // throws if missing
  // (add/set_password also throw std::invalid_argument for an empty password
  // or one containing NUL; set_password and import clear the APOP secret.)
  virtual void remove(std::string_view name) = 0;                               // throws if missing
  virtual void set_apop_secret(std::string_view name, std::optional<std::string_view> secret) = 0;
  virtual std::vector<std::string> list() = 0;
  virtual std::optional<UserRecord> find(std::string_view name) = 0;
  virtual bool exists(std::string_view name) = 0;

  // Imports a Dovecot passwd-file ("user:{SCHEME}hash:uid:gid:..."); lines
  // that are blank or start with '#' are skipped. Existing users get the
  // imported hash. Returns the number of users imported; throws with the
  // line number on a malformed line.
  virtual size_t import_passwd_file(const std::filesystem::path& file) = 0;

  // Checks a password. For an unknown user it still spends the time of a
  // real verification, so timing tells nothing about existence.
  virtual bool check(std::string_view name, std::string_view password) = 0;
};

// ---- SASL ----------------------------------------------------------------------

// Standard base64 with padding, as SASL exchanges carry it (RFC 4422 via the
// protocols): decoding is strict and gives nullopt on anything else.
std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

// A server side SASL exchange. Messages are raw (already base64-decoded).
class SaslServer {
 public:
  enum class State { kContinue, kSuccess, kFailure };
  struct Step {
    State state = State::kFailure;
    std::string challenge;  // for kContinue; for kSuccess optional final data
    std::string error;      // for kFailure: "malformed" or "credentials"
  };
  virtual ~SaslServer() = default;
  // The first call receives the initial response (empty when none was given).
  // May block (password verification): run it on a worker thread.
  virtual Step step(std::string_view client_message) = 0;
  // The authenticated (authorization) identity after kSuccess.
  virtual const std::string& user() const = 0;
};

// Mechanism names upper-case: "PLAIN", "LOGIN", "SCRAM-SHA-256". nullptr when
// the mechanism is unknown.
std::unique_ptr<SaslServer> make_sasl_server(std::string_view mechanism, UserDb& db);
std::vector<std::string> sasl_mechanisms();  // in preference order

// The user name a SASL client claims in its `message_index`-th message (from
// 0; an initial response counts only when one was given), read before the
// exchange has finished so that failed attempts are throttled per user name
// too. Lower-cased; empty when this message carries none. Never a password.
std::string sasl_claimed_user(std::string_view mechanism, size_t message_index, std::string_view message);

// One SASL exchange as a protocol session runs it (POP3 AUTH, IMAP
// AUTHENTICATE): the mechanism's server, plus the user name the client
// claims along the way, so that a failure is throttled per user even before
// the mechanism knows who it is. The session owns it (not thread-safe; the
// server's step() may run on a worker while the session waits).
class SaslAttempt {
 public:
  SaslAttempt(std::string mechanism, std::unique_ptr<SaslServer> server)
      : mechanism_(std::move(mechanism)), server_(std::move(server)) {}
  SaslServer& server() { return *server_; }
  // Each decoded client message, before it goes to the server.
  void client_message(std::string_view message);
  // Who to log in after a success (the mechanism's user), or whom to charge
  // a failure to (the claimed name); lower-cased, empty when unknown.
  std::string user(bool success) const;

 private:
  std::string mechanism_;
  std::unique_ptr<SaslServer> server_;
  std::string claimed_;
  size_t client_messages_ = 0;
};

// ---- Throttling ----------------------------------------------------------------

// Slows down failed logins per client address and per user name: after the
// first few failures each further failure doubles the delay, up to a cap.
// The delay is applied to every answer to that address/user, success or not,
// so it gives no hint whether the user exists. Thread-safe.
class Throttle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int free_failures = 3;
    std::chrono::milliseconds base_delay{250};
    std::chrono::milliseconds max_delay{15000};
    std::chrono::seconds forget_after{900};
  };
  Throttle() : Throttle(Options{}) {}
  explicit Throttle(Options opts) : opts_(opts) {}
  std::chrono::milliseconds delay(std::string_view ip, std::string_view user, Clock::time_point now = Clock::now());
  void failure(std::string_view ip, std::string_view user, Clock::time_point now = Clock::now());
  void success(std::string_view ip, std::string_view user);
  // Records a login's outcome and returns how long its answer must wait:
  // the delay owed before this attempt, the same for a success as for a
  // failure, so that neither the result nor the user's existence shows.
  std::chrono::milliseconds settle(std::string_view ip, std::string_view user, bool success);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last{};
  };
  std::chrono::milliseconds delay_for(const Entry* e, Clock::time_point now) const;
  Options opts_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> by_ip_, by_user_;
};

}  // namespace loft::auth

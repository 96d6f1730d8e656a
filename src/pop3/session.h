// The POP3 session state machine (internal; make_session() in pop3.h is the
// public entry point). Split over several files by job:
//   session.cc              input lines, dispatch, async plumbing, timeouts
//   session_auth.cc         AUTHORIZATION: USER/PASS, APOP, AUTH, STLS, login
//   session_transaction.cc  TRANSACTION: STAT, LIST, UIDL, DELE, RSET, QUIT
//   session_fetch.cc        RETR/TOP streaming
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pop3/dot_stuffer.h"
#include "pop3/maildrop.h"
#include "pop3/pop3.h"

namespace loft::pop3 {

class Pop3Session : public net::Session {
 public:
  Pop3Session(Context& ctx, net::SessionHost& host);
  ~Pop3Session() override;

  void on_open() override;
  void on_input(std::string& buffer) override;
  void on_output_drained() override;
  void on_timeout() override;
  void on_close() override;

  // Limits, public for tests.
  static constexpr size_t kMaxLine = 512;           // a command line including CRLF
  static constexpr size_t kMaxSaslLine = 8 * 1024;  // AUTH lines and SASL responses
  static constexpr size_t kChunk = 64 * 1024;       // message bytes read per offload
  static constexpr size_t kHighWater = 256 * 1024;  // stop producing above this much queued output
  static constexpr size_t kReadAheadCount = 16;        // messages read ahead per worker trip
  static constexpr size_t kReadAheadBytes = 256 * 1024;  // and their bytes (at most kChunk of each)

 private:
  // What an offloaded job produced: a value, or the error it threw.
  template <typename T>
  struct Outcome {
    std::optional<T> value;
    bool store_error = false;
    store::ErrorCode code = store::ErrorCode::kTemporary;
    std::string error;  // empty on success
  };

  // Runs work() on a worker, then done(outcome) on the loop unless the
  // session is closing. Exceptions are caught on both sides.
  // `password_check`: work that checks a password, run on the host's
  // workers for that (SessionHost::offload_auth).
  template <typename T, typename Work, typename Done>
  void blocking(Work work, Done done, bool password_check = false);
  // Runs fn, turning any exception into an internal error that closes.
  template <typename Fn>
  void guarded(Fn&& fn);

  // ---- input, dispatch, flow control (session.cc)
  void drive();
  bool next_line(std::string& line);
  size_t line_limit() const;
  void line_too_long();
  void count_bad_command();
  void execute(std::string_view line);
  void execute_authorization(const std::string& name, std::string_view args);
  void execute_transaction(const std::string& name, std::string_view args);
  void send(std::string_view line);  // appends CRLF
  void fail(std::string_view line);  // sends, and counts a bad command
  void begin_async();
  void end_async();
  void update_pause();
  void disconnect();
  void release_lock();
  void internal_error(const char* where);
  std::chrono::milliseconds current_idle_timeout() const;

  // ---- AUTHORIZATION (session_auth.cc)
  bool plaintext_allowed() const;
  void cmd_capa();
  void cmd_user(std::string_view args);
  void cmd_pass(std::string_view args);
  void cmd_apop(std::string_view args);
  void cmd_auth(std::string_view args);
  void cmd_stls();
  void sasl_input(std::string_view line);
  void sasl_step(std::string message, bool from_client);
  void sasl_finish(bool success);
  void sasl_reset();
  void answer_auth(bool success, std::string user);
  void login(const std::string& user);

  // ---- TRANSACTION (session_transaction.cc)
  void cmd_stat();
  void cmd_list(std::string_view args);
  void cmd_uidl(std::string_view args);
  void cmd_dele(std::string_view args);
  void cmd_rset();
  void cmd_quit_transaction();
  bool continue_listing();  // true when the listing is complete

  // ---- RETR/TOP (session_fetch.cc)
  void cmd_retr(std::string_view args);
  void cmd_top(std::string_view args);
  struct Opened;
  void start_fetch(size_t index, std::optional<uint64_t> body_lines);
  void read_and_fetch(size_t index, std::optional<uint64_t> body_lines);
  void fetch_opened(size_t index, std::optional<uint64_t> body_lines, Outcome<Opened>& o);
  struct ReadAhead;
  void fetch_from_read_ahead(ReadAhead& ra, size_t index, std::optional<uint64_t> body_lines);
  void start_read_ahead(size_t index);
  void fetch_next();
  void fetch_finish();

  Context& ctx_;
  net::SessionHost& host_;
  const Options options_;  // copied at the start: a reload affects new sessions only
  std::string peer_;

  enum class Phase { kAuthorization, kTransaction };
  Phase phase_ = Phase::kAuthorization;

  // Input not yet executed, from pending_pos_ on. Filled only while idle, so
  // it holds at most what one on_input delivered.
  std::string pending_;
  size_t pending_pos_ = 0;
  bool discarding_ = false;  // inside an overlong line: drop up to its end

  bool busy_ = false;            // a command is in progress: no further commands
  bool output_blocked_ = false;  // too much queued output: wait for on_output_drained
  bool paused_ = false;          // what we last told the host
  bool driving_ = false;
  bool closing_ = false;
  bool command_failed_ = false;  // the command just executed was a bad one
  size_t bad_commands_ = 0;      // consecutive

  // AUTHORIZATION
  std::string apop_timestamp_;       // empty when APOP is off
  std::optional<std::string> user_;  // from USER, waiting for PASS
  enum class SaslWait { kNone, kResponse, kFinalAck };
  SaslWait sasl_wait_ = SaslWait::kNone;
  std::shared_ptr<auth::SaslAttempt> sasl_;

  // TRANSACTION
  std::string locked_user_;  // holds ctx_.locks for this user when non-empty
  std::shared_ptr<store::UserStore> mail_;
  Maildrop maildrop_;

  struct Listing {
    bool uidl = false;
    size_t next = 0;
  };
  std::optional<Listing> listing_;

  // A message's file opened and its first chunk read, in one worker trip:
  // most messages fit in one chunk, so a RETR costs one trip, not two.
  struct Opened {
    store::MessageFile file;  // closed (fd -1, size kept) once `first` is all of it
    std::string first;
  };
  static Opened open_and_read(store::UserStore& mail, uint32_t uid);
  struct Fetch {
    size_t index;
    store::MessageFile file;
    uint64_t offset = 0;
    DotStuffer stuffer;
    bool reading = false;
    bool waiting_drain = false;
    Fetch(size_t i, store::MessageFile f, std::optional<uint64_t> lines)
        : index(i), file(std::move(f)), stuffer(lines) {}
  };
  std::shared_ptr<Fetch> fetch_;

  // The messages after this one, opened and read ahead while the client
  // still reads this one: a client downloading the maildrop in order (RETR
  // 1, RETR 2, ...) then finds each message ready, without waiting for a
  // worker. One batch per session, of up to read_ahead_count_ messages and
  // kReadAheadBytes in all (at most kChunk of each), opened and read in one
  // worker trip with one index lookup. Maildir files never change, so what
  // was read ahead is what RETR would read.
  struct ReadAhead {
    std::vector<size_t> indices;  // the messages of the batch, ascending
    bool done = false;
    bool failed = false;  // the whole batch: each RETR then tries on its own
    std::vector<std::optional<Opened>> opened;  // per index; nullopt: gone, or taken
    std::function<void()> then;                 // the RETR or TOP waiting for it
    bool contains(size_t index) const;
    // The slot of `index` once read, or nullptr (not in the batch, not read
    // yet, or the batch failed).
    std::optional<Opened>* slot(size_t index);
  };
  static std::vector<std::optional<Opened>> open_and_read_batch(store::UserStore& mail,
                                                                const std::vector<uint32_t>& uids);
  std::shared_ptr<ReadAhead> read_ahead_;
  // How many messages the next batch reads: 1 after a RETR or TOP the
  // batch did not hold, doubled (up to kReadAheadCount) by each one it did.
  // A client that reads in order soon gets whole batches; one that reads
  // newest first, or picks messages, costs one message read ahead per
  // command, as before batches.
  size_t read_ahead_count_ = 1;
};

template <typename Fn>
void Pop3Session::guarded(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    internal_error(e.what());
  } catch (...) {
    internal_error("unknown exception");
  }
}

template <typename T, typename Work, typename Done>
void Pop3Session::blocking(Work work, Done done, bool password_check) {
  auto out = std::make_shared<Outcome<T>>();
  (host_.*(password_check ? &net::SessionHost::offload_auth : &net::SessionHost::offload))(
      [out, work]() mutable {
        try {
          out->value.emplace(work());
        } catch (const store::StoreError& e) {
          out->store_error = true;
          out->code = e.code();
          out->error = *e.what() ? e.what() : "store error";
        } catch (const std::exception& e) {
          out->error = *e.what() ? e.what() : "error";
        } catch (...) {
          out->error = "unknown exception";
        }
      },
      [this, out, done]() mutable {
        if (closing_) return;
        guarded([&] { done(*out); });
      });
}

}  // namespace loft::pop3

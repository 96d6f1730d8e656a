// The IMAP session state machine (internal; make_session() in imap.h is the
// public entry point). Split over files by job, Dovecot's shape:
//   session.cc       input, dispatch, async plumbing, timeouts, change feed
//   session_sync.cc  the shared sync step: pending untagged updates, then the
//                    tagged reply
//   session_auth.cc  LOGIN, AUTHENTICATE (SASL), STARTTLS and the login
//   cmd_*.cc         one command each: parse, check state, store work in
//                    host.offload, then finish() (the sync step)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/arg_error.h"
#include "imap/changes_read_ahead.h"
#include "imap/command_reader.h"
#include "imap/imap.h"
#include "imap/mailbox_view.h"
#include "imap/raw_line_reader.h"
#include "imap/select_params.h"
#include "imap/sequence_set.h"

namespace loft::imap {

class ImapSession : public net::Session {
 public:
  ImapSession(Context& ctx, net::SessionHost& host);
  ~ImapSession() override;

  void on_open() override;
  void on_input(std::string& buffer) override;
  void on_timeout() override;
  void on_close() override;
  void on_output_drained() override;

  static constexpr size_t kMaxSaslLine = 16 * 1024;  // AUTHENTICATE responses, IDLE's DONE

 private:
  enum class State { kNotAuthenticated, kAuthenticated, kSelected, kLogout };
  // Which pending updates the sync step may send (RFC 3501 7.4.1).
  enum class Sync {
    kNone,       // nothing (no mailbox output at all)
    kNoExpunge,  // EXISTS and FETCH, no EXPUNGE: FETCH, STORE, SEARCH
    kFull,       // everything
  };

  template <typename T>
  struct Outcome {
    std::optional<T> value;
    bool store_error = false;
    store::ErrorCode code = store::ErrorCode::kTemporary;
    std::string error;  // empty on success
  };
  // Which of the host's workers run a blocking() job: kStore (anything
  // that may write: SessionHost::offload), kRead (reads: offload_read, run
  // ahead of queued writes; a rare write may come along, such as mail found
  // in new/ taken in by the sync step), kPassword
  // (password checks: offload_auth).
  enum class Lane { kStore, kRead, kPassword };
  // Runs work() on a worker, then done(outcome) on the loop unless closing.
  // When work() succeeds, `ahead` reads the selected mailbox's changes on
  // the same trip, after it, and they wait in read_ahead_ for the sync step
  // that ends the command (changes_read_ahead.h). Commands pass read_ahead()
  // after a write to the selected mailbox (its own change is due),
  // pending_read_ahead() on a read, and nothing otherwise.
  template <typename T, typename Work, typename Done>
  void blocking(Work work, Done done, Lane lane = Lane::kStore, ReadAhead ahead = {});
  template <typename Fn>
  void guarded(Fn&& fn);

  // ---- input and dispatch (session.cc)
  void drive(std::string& buffer);
  bool known_command(const CommandReader::CommandHead& head) const;
  void execute(Command cmd);
  void send(std::string_view data);  // as is (CRLF included by the caller)
  void untagged(std::string_view line);  // "* " + line + CRLF
  // A tagged reply sent at once, without the sync step (BAD, or errors
  // before any mailbox work). Ends the command.
  void reply(const Command& cmd, std::string_view status_text);
  void bad(const Command& cmd, std::string_view text);  // "BAD Error in IMAP command X: text"
  void arg_error(const Command& cmd, const ArgError& error);
  void command_done(bool was_bad);
  void update_pause();
  // The login timeout, counted from the connection: closes it when not
  // authenticated by then.
  void login_deadline();
  void disconnect();
  void internal_error(const char* where);
  std::chrono::milliseconds current_idle_timeout() const;
  bool plaintext_allowed() const;
  std::string capability_list() const;
  void on_mailbox_changed(const std::string& mailbox);
  // The tagged status text for a failed store call (session_errors.cc).
  std::string store_failure(bool store_error, store::ErrorCode code, const std::string& error,
                            std::string_view mailbox, std::string_view doing);

  // ---- the sync step (session_sync.cc)
  // Sends the pending untagged updates `sync` allows (after fetching what
  // changed when the change feed fired), then "<tag> <status_text>", and
  // ends the command.
  void finish(const Command& cmd, std::string status_text, Sync sync = Sync::kFull);
  void sync_then(Sync sync, std::function<void()> then);
  void send_updates(Sync sync);
  void deselect();

  // ---- authentication (session_auth.cc)
  void cmd_login(const Command& cmd);
  void cmd_authenticate(const Command& cmd);
  void cmd_starttls(const Command& cmd);
  void sasl_input(std::string_view line);
  void sasl_step(std::string message, bool from_client);
  void sasl_finish(bool success);
  void sasl_reset();
  void answer_auth(bool success, std::string user);
  void login(const std::string& user);

  // ---- commands (cmd_*.cc)
  void cmd_capability(const Command& cmd);
  void cmd_noop(const Command& cmd);
  void cmd_logout(const Command& cmd);
  void cmd_enable(const Command& cmd);
  void cmd_id(const Command& cmd);
  void cmd_select(const Command& cmd);
  void cmd_close(const Command& cmd);
  std::string qresync_responses(const QresyncParams& q, std::vector<uint32_t> vanished) const;
  void cmd_unselect(const Command& cmd);
  void cmd_namespace(const Command& cmd);
  void cmd_idle(const Command& cmd);
  void cmd_create(const Command& cmd);
  void cmd_delete(const Command& cmd);
  void cmd_rename(const Command& cmd);
  void cmd_subscribe(const Command& cmd);  // and UNSUBSCRIBE
  void cmd_status(const Command& cmd);
  void cmd_list(const Command& cmd);  // and LSUB
  // Message commands (selected state; cmd.uid for the UID forms).
  void cmd_fetch(const Command& cmd);    // cmd_fetch.cc
  void cmd_store(const Command& cmd);    // cmd_store.cc
  void cmd_search(const Command& cmd);   // cmd_search.cc
  void cmd_copy(const Command& cmd);     // cmd_copy.cc: COPY and MOVE
  void cmd_expunge(const Command& cmd);  // cmd_expunge.cc: EXPUNGE and UID EXPUNGE
  void cmd_append(const Command& cmd);   // cmd_append.cc

  // The messages a set names, as sequence numbers of the view, ascending
  // (session_sets.cc). Sequence numbers must exist ("Invalid messageset",
  // Dovecot's rule); UID sets are clamped to the UIDs the client knows; "$"
  // is the saved SEARCHRES result (UIDs). nullopt with *error set (the
  // tagged status text, e.g. "BAD Error in IMAP command FETCH: Invalid
  // messageset") when the set is unusable.
  std::optional<std::vector<uint32_t>> resolve_set(const Command& cmd, const SequenceSet& set, bool uid,
                                                   std::string* error) const;
  // CONDSTORE is on once the client used it (RFC 7162 3.1): ENABLE
  // CONDSTORE/QRESYNC, SELECT (CONDSTORE), FETCH MODSEQ / CHANGEDSINCE,
  // SEARCH MODSEQ, STORE UNCHANGEDSINCE. From then on FETCH responses
  // carry MODSEQ. Turning it on with a mailbox selected sends
  // "* OK [HIGHESTMODSEQ n]" (Dovecot).
  void enable_condstore();
  // Runs a store call that answers nothing but OK/NO (CREATE, DELETE, ...).
  void simple_store_command(const Command& cmd, std::string mailbox, std::string ok_text,
                            std::function<void(store::UserStore&)> work);
  void idle_input(std::string_view line);
  // In IDLE: sends what the change feed announced, now.
  void idle_sync();

  Context& ctx_;
  net::SessionHost& host_;
  const Options options_;  // copied at the start: a reload affects new sessions only
  std::string peer_;
  CommandReader reader_;
  RawLineReader raw_reader_{kMaxSaslLine};

  State state_ = State::kNotAuthenticated;
  bool busy_ = false;      // a command is in progress: no further commands
  bool paused_ = false;    // what we last told the host
  bool driving_ = false;
  bool output_blocked_ = false;  // too much unread output: no further commands until it drains
  bool closing_ = false;
  size_t bad_commands_ = 0;  // consecutive
  // Room taken in options_.message_memory for the current command's APPEND
  // literals, from their announcement until the command is done.
  util::ByteBudget::Lease append_memory_;
  std::optional<Command> current_;  // the command in progress (for finish())

  // ENABLE (RFC 5161)
  bool rev2_enabled_ = false;
  bool utf8_accept_ = false;  // ENABLE UTF8=ACCEPT (RFC 6855)
  bool utf8_mode() const { return rev2_enabled_ || utf8_accept_; }

  // AUTHENTICATE
  bool sasl_waiting_ = false;  // a "+ " challenge is out: the next line is the response
  bool sasl_final_ack_ = false;
  std::shared_ptr<auth::SaslAttempt> sasl_;

  // Authenticated
  std::string user_;
  std::shared_ptr<store::UserStore> mail_;
  std::unique_ptr<store::Subscription> subscription_;

  // Selected
  struct Selected {
    std::string name;  // store name
    bool read_only = false;
    uint32_t uidvalidity = 0;
    MailboxView view;
  };
  std::optional<Selected> selected_;
  bool changes_pending_ = false;  // the change feed fired for the selected mailbox
  // Counts the change feed's calls (on the committing threads).
  std::shared_ptr<std::atomic<uint64_t>> feed_events_ = std::make_shared<std::atomic<uint64_t>>(0);

  // What blocking() reads after a command's work (changes_read_ahead.h),
  // so that the sync step needs no trip of its own. read_ahead(): for a
  // command that changes the selected mailbox. pending_read_ahead(): for the
  // reads that go to a worker anyway (FETCH, SEARCH, STATUS, LIST), when the
  // feed has fired; else a ReadAhead that reads nothing.
  ReadAhead read_ahead() const;
  ReadAhead pending_read_ahead() const;
  std::optional<ChangesReadAhead> read_ahead_;  // the last trip's, for the sync step
  bool syncing_ = false;          // a changes_since() is on a worker

  // IDLE
  bool idling_ = false;
  uint64_t idle_round_ = 0;  // tells a keepalive timer of an earlier IDLE to stop
  void idle_keepalive(uint64_t round);

  // RFC 7162
  bool condstore_enabled_ = false;
  bool qresync_enabled_ = false;
  // SEARCHRES (RFC 5182): the UIDs of the last SEARCH ... RETURN (SAVE).
  // Cleared on SELECT/EXAMINE/CLOSE/UNSELECT; expunged UIDs simply never
  // match again.
  RangeList saved_result_;
  // Runs once when the host's output buffer drained (streaming FETCH
  // bodies: write a chunk, wait, write the next). Cleared before it runs.
  std::function<void()> on_drained_;

  // ---- FETCH (owned by cmd_fetch.cc and fetch_*.cc): add members here
  // The FETCH in progress: batches of messages rendered on a worker, written
  // with flow control; large literals streamed from the file (cmd_fetch.cc).
  struct FetchRun;
  std::shared_ptr<FetchRun> fetch_;
  void fetch_batch();
  void fetch_write();
  void fetch_end();
  // ---- end FETCH

  // ---- SEARCH (owned by cmd_search.cc and search_*.cc): add members here
  // ---- end SEARCH

  // ---- STORE, EXPUNGE, COPY, MOVE, APPEND (owned by their cmd_*.cc): add members here
  // The command reader's literal policy (cmd_append.cc): an APPEND message
  // is checked (mailbox name, flags, date, zero size, APPENDLIMIT) before
  // its data is asked for; other commands get the reader's default.
  CommandReader::LiteralVerdict check_literal(const CommandReader::LiteralRequest& request);
  // ---- end STORE/EXPUNGE/COPY/MOVE/APPEND
};

template <typename Fn>
void ImapSession::guarded(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    internal_error(e.what());
  } catch (...) {
    internal_error("unknown exception");
  }
}

template <typename T, typename Work, typename Done>
void ImapSession::blocking(Work work, Done done, Lane lane, ReadAhead ahead) {
  auto out = std::make_shared<Outcome<T>>();
  auto changes = std::make_shared<std::optional<ChangesReadAhead>>();
  (host_.*(lane == Lane::kPassword ? &net::SessionHost::offload_auth
           : lane == Lane::kRead   ? &net::SessionHost::offload_read
                                   : &net::SessionHost::offload))(
      [out, changes, work, ahead = std::move(ahead)]() mutable {
        try {
          out->value.emplace(work());
          *changes = ahead.read();
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
      [this, out, changes, done]() mutable {
        if (closing_) return;
        if (*changes) read_ahead_ = std::move(*changes);
        guarded([&] { done(*out); });
      });
}

}  // namespace loft::imap

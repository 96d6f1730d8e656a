#include "imap/session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <string_view>

#include "imap/capabilities.h"
#include "imap/mailbox_name.h"
#include "imap/session_text.h"

namespace loft::imap {
namespace {

// Commands served before login (imap-login's set) and after it.
constexpr std::array<std::string_view, 7> kPreLogin = {"CAPABILITY", "NOOP",         "LOGOUT", "STARTTLS",
                                                        "LOGIN",      "AUTHENTICATE", "ID"};
constexpr std::array<std::string_view, 27> kPostLogin = {
    "CAPABILITY", "NOOP",      "LOGOUT",      "ENABLE", "SELECT", "EXAMINE", "CLOSE",  "UNSELECT", "NAMESPACE",
    "IDLE",       "CHECK",     "ID",          "CREATE", "DELETE", "RENAME",  "SUBSCRIBE", "UNSUBSCRIBE",
    "STATUS",     "LIST",      "LSUB",        "FETCH",  "STORE",  "SEARCH",  "COPY",   "MOVE",     "EXPUNGE",
    "APPEND"};
// The commands with a UID form (RFC 3501 6.4.8, UIDPLUS, MOVE).
constexpr std::array<std::string_view, 6> kUidCommands = {"FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE"};

// Queued output above which no further command is read: a client that
// pipelines commands without reading the answers gets no more of them until
// it does, so its answers cannot pile up in memory (cf. POP3, LMTP).
constexpr size_t kOutputHighWater = 256 * 1024;

template <size_t N>
bool Contains(const std::array<std::string_view, N>& set, std::string_view name) {
  for (std::string_view s : set)
    if (s == name) return true;
  return false;
}

CommandReader::Options ReaderOptions(const Options& o) {
  CommandReader::Options r;
  r.max_line_length = o.max_line_length;
  return r;
}

}  // namespace

std::unique_ptr<net::Session> make_session(Context& ctx, net::SessionHost& host) {
  return std::make_unique<ImapSession>(ctx, host);
}

ImapSession::ImapSession(Context& ctx, net::SessionHost& host)
    : ctx_(ctx),
      host_(host),
      options_(ctx.options),
      peer_(host.peer_address()),
      reader_(ReaderOptions(options_), [this] {
        CommandReader::Hooks hooks;  // literal8 only for APPEND: the reader's default
        hooks.is_known = [this](const CommandReader::CommandHead& h) { return known_command(h); };
        hooks.check_literal = [this](const CommandReader::LiteralRequest& r) { return check_literal(r); };
        return hooks;
      }()),
      append_memory_(options_.message_memory) {}

ImapSession::~ImapSession() { subscription_.reset(); }

void ImapSession::on_open() {
  guarded([&] {
    host_.set_idle_timeout(current_idle_timeout());
    // The login timeout also counts from the connection, whatever arrives
    // meanwhile: a client trickling bytes (slow-loris) cannot keep an
    // unauthenticated connection (Dovecot's imap-login does the same).
    host_.after(options_.login_timeout, [this] { guarded([&] { login_deadline(); }); });
    untagged("OK [CAPABILITY " + capability_list() + "] Loft ready.");
  });
}

void ImapSession::login_deadline() {
  if (closing_ || state_ != State::kNotAuthenticated) return;
  untagged("BYE Disconnected for inactivity.");
  disconnect();
}

void ImapSession::on_input(std::string& buffer) {
  guarded([&] {
    // While a command runs the input stays with the host, which stops
    // reading from the socket when it holds too much.
    if (closing_ || busy_) return;
    drive(buffer);
  });
}

void ImapSession::on_timeout() {
  guarded([&] {
    if (closing_) return;
    untagged("BYE Disconnected for inactivity.");
    disconnect();
  });
}

void ImapSession::on_output_drained() {
  guarded([&] {
    if (closing_) return;
    if (on_drained_) {
      std::function<void()> next = std::move(on_drained_);
      on_drained_ = nullptr;
      next();
      return;
    }
    if (output_blocked_) {
      output_blocked_ = false;
      update_pause();  // resuming redelivers the pipelined input
    }
  });
}

void ImapSession::on_close() {
  closing_ = true;
  subscription_.reset();
}

// ---- input and dispatch ----------------------------------------------------------

void ImapSession::drive(std::string& buffer) {
  if (driving_) return;
  driving_ = true;
  while (!closing_ && !busy_) {
    if (host_.output_pending() > kOutputHighWater) {
      output_blocked_ = true;  // until on_output_drained()
      break;
    }
    if (idling_ || sasl_waiting_) {
      std::string line;
      RawLineReader::Status st = raw_reader_.read(buffer, &line);
      if (st == RawLineReader::Status::kNeedMore) break;
      if (st == RawLineReader::Status::kTooLong) line = "\x01too long";  // answered as a bad response below
      if (idling_)
        idle_input(line);
      else
        sasl_input(line);
      continue;
    }
    CommandReader::Status st = reader_.read(buffer);
    if (st == CommandReader::Status::kNeedMore) break;
    if (st == CommandReader::Status::kContinue) {
      send(reader_.reply());
    } else if (st == CommandReader::Status::kReply) {
      send(reader_.reply());
      if (reader_.fatal()) {
        disconnect();
        break;
      }
      command_done(true);
    } else {
      execute(reader_.take_command());
    }
  }
  driving_ = false;
  update_pause();
}

bool ImapSession::known_command(const CommandReader::CommandHead& head) const {
  if (state_ == State::kNotAuthenticated) return !head.uid && Contains(kPreLogin, head.name);
  if (head.uid) return Contains(kUidCommands, head.name);
  return Contains(kPostLogin, head.name);
}

void ImapSession::execute(Command cmd) {
  current_ = std::move(cmd);
  busy_ = true;
  const Command& c = *current_;
  const std::string& n = c.name;
  if (n == "CAPABILITY") return cmd_capability(c);
  if (n == "NOOP" || n == "CHECK") return cmd_noop(c);
  if (n == "LOGOUT") return cmd_logout(c);
  if (n == "ID") return cmd_id(c);
  if (state_ == State::kNotAuthenticated) {
    if (n == "STARTTLS") return cmd_starttls(c);
    if (n == "LOGIN") return cmd_login(c);
    if (n == "AUTHENTICATE") return cmd_authenticate(c);
  } else {
    if (n == "ENABLE") return cmd_enable(c);
    if (n == "SELECT" || n == "EXAMINE") return cmd_select(c);
    if (n == "NAMESPACE") return cmd_namespace(c);
    if (n == "IDLE") return cmd_idle(c);
    if (n == "CLOSE") return cmd_close(c);
    if (n == "UNSELECT") return cmd_unselect(c);
    if (n == "CREATE") return cmd_create(c);
    if (n == "DELETE") return cmd_delete(c);
    if (n == "RENAME") return cmd_rename(c);
    if (n == "SUBSCRIBE" || n == "UNSUBSCRIBE") return cmd_subscribe(c);
    if (n == "STATUS") return cmd_status(c);
    if (n == "LIST" || n == "LSUB") return cmd_list(c);
    if (n == "APPEND") return cmd_append(c);
    if (n == "FETCH" || n == "STORE" || n == "SEARCH" || n == "COPY" || n == "MOVE" || n == "EXPUNGE") {
      // Dovecot's answer in the authenticated state.
      if (!selected_) return reply(c, "BAD No mailbox selected.");
      if (n == "FETCH") return cmd_fetch(c);
      if (n == "STORE") return cmd_store(c);
      if (n == "SEARCH") return cmd_search(c);
      if (n == "EXPUNGE") return cmd_expunge(c);
      return cmd_copy(c);
    }
  }
  bad(c, "Unknown command");
}

void ImapSession::send(std::string_view data) {
  if (closing_ || data.empty()) return;
  host_.write(data);
}

void ImapSession::untagged(std::string_view line) {
  std::string out;
  out.reserve(line.size() + 4);
  out.append("* ").append(line).append("\r\n");
  send(out);
}

void ImapSession::reply(const Command& cmd, std::string_view status_text) {
  bool was_bad = status_text.substr(0, 4) == "BAD ";
  std::string out = cmd.tag;
  out.append(" ").append(status_text).append("\r\n");
  send(out);
  command_done(was_bad);
}

void ImapSession::bad(const Command& cmd, std::string_view text) {
  std::string line = CommandReader::BadReply(cmd.tag, cmd.display_name(), text);
  send(line);
  command_done(true);
}

void ImapSession::arg_error(const Command& cmd, const ArgError& error) {
  send(ArgErrorReply(cmd.tag, cmd.display_name(), error));
  command_done(error.kind == ArgError::Kind::kBad);
}

void ImapSession::command_done(bool was_bad) {
  current_.reset();
  append_memory_.release();
  busy_ = false;
  if (was_bad) {
    if (options_.max_bad_commands != 0 && ++bad_commands_ >= options_.max_bad_commands && !closing_) {
      untagged("BYE Too many invalid IMAP commands.");
      disconnect();
      return;
    }
  } else {
    bad_commands_ = 0;
  }
  if (!driving_) update_pause();  // resuming redelivers pipelined input
}

void ImapSession::update_pause() {
  if (closing_) return;
  bool want = busy_ || output_blocked_;
  if (want == paused_) return;
  paused_ = want;
  host_.pause_input(want);
}

void ImapSession::disconnect() {
  if (closing_) return;
  closing_ = true;
  state_ = State::kLogout;
  subscription_.reset();
  host_.close();
}

void ImapSession::internal_error(const char* what) {
  spdlog::error("imap [{}]: internal error: {}", peer_, what);
  if (closing_) return;
  untagged("BYE Internal error occurred. Refer to server log for more information.");
  disconnect();
}

std::chrono::milliseconds ImapSession::current_idle_timeout() const {
  return state_ == State::kNotAuthenticated ? options_.login_timeout : options_.idle_timeout;
}

bool ImapSession::plaintext_allowed() const {
  return host_.is_tls() || options_.plaintext_without_tls ||
         (options_.plaintext_on_loopback && host_.is_loopback());
}

std::string ImapSession::capability_list() const {
  CapabilityState s;
  s.authenticated = state_ != State::kNotAuthenticated;
  s.plaintext_allowed = plaintext_allowed();
  s.starttls = host_.tls_available() && !host_.is_tls();
  s.append_limit = options_.append_limit;
  return CapabilityList(s);
}

void ImapSession::on_mailbox_changed(const std::string& mailbox) {
  if (closing_ || !selected_) return;
  if (NormalizeInbox(mailbox) != selected_->name) return;
  changes_pending_ = true;
  if (idling_) idle_sync();
}

}  // namespace loft::imap

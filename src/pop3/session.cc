#include "pop3/session.h"

#include <spdlog/spdlog.h>

#include "pop3/apop.h"
#include "pop3/text.h"

namespace loft::pop3 {

std::unique_ptr<net::Session> make_session(Context& ctx, net::SessionHost& host) {
  return std::make_unique<Pop3Session>(ctx, host);
}

Pop3Session::Pop3Session(Context& ctx, net::SessionHost& host)
    : ctx_(ctx), host_(host), options_(ctx.options), peer_(host.peer_address()) {}

Pop3Session::~Pop3Session() { release_lock(); }

void Pop3Session::on_open() {
  guarded([&] {
    host_.set_idle_timeout(current_idle_timeout());
    // The login timeout also counts from the connection, whatever arrives
    // meanwhile: a client trickling bytes (slow-loris) cannot keep an
    // unauthenticated connection.
    host_.after(options_.login_timeout, [this] {
      guarded([&] {
        if (closing_ || phase_ != Phase::kAuthorization) return;
        send("-ERR Disconnected for inactivity.");
        disconnect();
      });
    });
    std::string greeting = "+OK Loft ready.";
    if (options_.apop) {
      apop_timestamp_ = make_apop_timestamp(options_.hostname);
      greeting += " " + apop_timestamp_;
    }
    send(greeting);
  });
}

void Pop3Session::on_input(std::string& buffer) {
  guarded([&] {
    // While a command runs (or output is backed up) the input stays with the
    // host, which stops reading from the socket when it holds too much.
    if (closing_ || busy_ || output_blocked_) return;
    if (pending_pos_ == pending_.size()) {
      pending_.clear();
      pending_pos_ = 0;
    }
    pending_.append(buffer);
    buffer.clear();
    drive();
  });
}

void Pop3Session::on_output_drained() {
  guarded([&] {
    if (closing_) return;
    if (fetch_) {
      if (fetch_->waiting_drain && !fetch_->reading) {
        fetch_->waiting_drain = false;
        fetch_next();
      }
      return;
    }
    if (listing_) {
      if (continue_listing()) end_async();
      return;
    }
    if (output_blocked_) {
      output_blocked_ = false;
      drive();
      update_pause();
    }
  });
}

void Pop3Session::on_timeout() {
  guarded([&] {
    if (closing_) return;
    // In the middle of a multi-line answer an error line would corrupt it;
    // the client stopped reading anyway.
    if (!fetch_ && !listing_) send("-ERR Disconnected for inactivity.");
    disconnect();
  });
}

void Pop3Session::on_close() {
  closing_ = true;
  release_lock();
}

// ---- input -------------------------------------------------------------------

void Pop3Session::drive() {
  if (driving_) return;  // a nested completion: the outer loop continues
  driving_ = true;
  std::string line;
  while (!closing_ && !busy_) {
    if (host_.output_pending() > kHighWater) {
      // The client pipelines without reading the answers: wait for it.
      output_blocked_ = true;
      break;
    }
    if (!next_line(line)) break;
    execute(line);
  }
  driving_ = false;
  if (pending_pos_ > 64 * 1024 && pending_pos_ * 2 > pending_.size()) {
    pending_.erase(0, pending_pos_);
    pending_pos_ = 0;
  }
  update_pause();
}

size_t Pop3Session::line_limit() const {
  if (sasl_wait_ != SaslWait::kNone) return kMaxSaslLine;
  // AUTH with an initial response may be longer than other commands.
  std::string_view rest(pending_.data() + pending_pos_, pending_.size() - pending_pos_);
  if (rest.size() >= 5 && ascii_upper(rest.substr(0, 5)) == "AUTH ") return kMaxSaslLine;
  return kMaxLine;
}

bool Pop3Session::next_line(std::string& line) {
  while (!closing_) {
    size_t nl = pending_.find('\n', pending_pos_);
    if (discarding_) {
      if (nl == std::string::npos) {
        pending_.clear();
        pending_pos_ = 0;
        return false;
      }
      pending_pos_ = nl + 1;
      discarding_ = false;
      continue;
    }
    size_t limit = line_limit();
    if (nl == std::string::npos) {
      if (pending_.size() - pending_pos_ >= limit) {
        // Cannot become a valid line: answer now and drop the rest of it as
        // it arrives, so memory stays bounded.
        pending_.clear();
        pending_pos_ = 0;
        discarding_ = true;
        line_too_long();
      }
      return false;
    }
    if (nl + 1 - pending_pos_ > limit) {
      pending_pos_ = nl + 1;
      line_too_long();
      continue;
    }
    line.assign(pending_, pending_pos_, nl - pending_pos_);
    pending_pos_ = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  return false;
}

void Pop3Session::line_too_long() {
  if (sasl_wait_ != SaslWait::kNone) sasl_reset();
  send("-ERR Input line too long.");
  count_bad_command();
}

void Pop3Session::count_bad_command() {
  if (options_.max_bad_commands == 0 || closing_) return;
  if (++bad_commands_ < options_.max_bad_commands) return;
  // Texts as Dovecot's pop3-login and pop3 processes.
  send(phase_ == Phase::kAuthorization ? "-ERR Too many invalid bad commands."
                                       : "-ERR Too many bad commands.");
  disconnect();
}

void Pop3Session::execute(std::string_view line) {
  command_failed_ = false;
  if (sasl_wait_ != SaslWait::kNone) {
    sasl_input(line);
    return;
  }
  size_t sp = line.find(' ');
  std::string name = ascii_upper(line.substr(0, sp));
  std::string_view args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  if (phase_ == Phase::kAuthorization)
    execute_authorization(name, args);
  else
    execute_transaction(name, args);
  if (command_failed_)
    count_bad_command();
  else
    bad_commands_ = 0;
}

void Pop3Session::execute_authorization(const std::string& name, std::string_view args) {
  if (name == "CAPA") return cmd_capa();
  if (name == "USER") return cmd_user(args);
  if (name == "PASS") return cmd_pass(args);
  if (name == "APOP") return cmd_apop(args);
  if (name == "AUTH") return cmd_auth(args);
  if (name == "STLS") return cmd_stls();
  if (name == "QUIT") {
    send("+OK Logging out");
    disconnect();
    return;
  }
  fail("-ERR Unknown command.");
}

void Pop3Session::execute_transaction(const std::string& name, std::string_view args) {
  // Dovecot skips the spaces before the arguments in this state.
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  if (name == "CAPA") return cmd_capa();
  if (name == "STAT") return cmd_stat();
  if (name == "LIST") return cmd_list(args);
  if (name == "UIDL") return cmd_uidl(args);
  if (name == "RETR") return cmd_retr(args);
  if (name == "TOP") return cmd_top(args);
  if (name == "DELE") return cmd_dele(args);
  if (name == "NOOP") return send("+OK");
  if (name == "RSET") return cmd_rset();
  if (name == "QUIT") return cmd_quit_transaction();
  fail("-ERR Unknown command: " + sanitize(name));
}

// ---- output and flow control ----------------------------------------------------

void Pop3Session::send(std::string_view line) {
  if (closing_) return;
  std::string out;
  out.reserve(line.size() + 2);
  out.append(line);
  out.append("\r\n");
  host_.write(out);
}

void Pop3Session::fail(std::string_view line) {
  command_failed_ = true;
  send(line);
}

void Pop3Session::begin_async() {
  busy_ = true;
  update_pause();
}

void Pop3Session::end_async() {
  busy_ = false;
  if (closing_) return;
  drive();  // runs pipelined commands already taken from the host
}

void Pop3Session::update_pause() {
  if (closing_) return;
  bool want = busy_ || output_blocked_;
  if (want == paused_) return;
  paused_ = want;
  host_.pause_input(want);
}

void Pop3Session::disconnect() {
  if (closing_) return;
  closing_ = true;
  listing_.reset();
  fetch_.reset();
  host_.close();
}

void Pop3Session::release_lock() {
  if (locked_user_.empty()) return;
  ctx_.locks.unlock(locked_user_);
  locked_user_.clear();
}

void Pop3Session::internal_error(const char* what) {
  spdlog::error("pop3 [{}]: internal error: {}", peer_, what);
  if (closing_) return;
  if (!fetch_ && !listing_)
    send("-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.");
  disconnect();
}

std::chrono::milliseconds Pop3Session::current_idle_timeout() const {
  return phase_ == Phase::kAuthorization ? options_.login_timeout : options_.idle_timeout;
}

}  // namespace loft::pop3

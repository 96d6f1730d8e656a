// Not authenticated state: LOGIN, AUTHENTICATE (SASL with SASL-IR, RFC 4959),
// STARTTLS, and the login that follows a successful authentication
// (throttle, the user's store, the change feed).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "imap/capabilities.h"
#include "auth/auth.h"
#include "imap/session.h"
#include "imap/session_text.h"

namespace loft::imap {
namespace {

// Texts as Dovecot's imap-login.
constexpr std::string_view kPlaintextAlert =
    "BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. "
    "If anyone was listening, the password was exposed.";
constexpr std::string_view kPlaintextDisallowed =
    "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
constexpr std::string_view kAuthFailed = "NO [AUTHENTICATIONFAILED] Authentication failed.";
constexpr std::string_view kInternalError =
    "NO [UNAVAILABLE] Internal error occurred. Refer to server log for more information.";

}  // namespace

void ImapSession::cmd_login(const Command& cmd) {
  if (!plaintext_allowed()) {
    untagged(kPlaintextAlert);
    return reply(cmd, kPlaintextDisallowed);
  }
  if (cmd.args.size() != 2) return bad(cmd, "Invalid arguments");
  auto name = cmd.args[0].astring();
  auto password = cmd.args[1].astring();
  if (!name || !password) return bad(cmd, "Invalid arguments");
  auth::UserDb* users = &ctx_.users;
  blocking<bool>([users, name = std::string(*name), password = std::string(*password)] {
    return users->check(name, password);
  },
                 [this, user = AsciiLower(*name)](Outcome<bool>& o) {
                   if (!o.error.empty()) spdlog::error("imap [{}]: password check: {}", peer_, o.error);
                   answer_auth(o.value.value_or(false), user);
                 },
                 Lane::kPassword);
}

void ImapSession::cmd_authenticate(const Command& cmd) {
  if (cmd.args.empty() || cmd.args.size() > 2 || !cmd.args[0].atom()) return bad(cmd, "Invalid arguments");
  std::string mechanism = AsciiUpper(*cmd.args[0].atom());
  auto known = auth::sasl_mechanisms();
  if (std::find(known.begin(), known.end(), mechanism) == known.end())
    return reply(cmd, "NO Unsupported authentication mechanism.");
  if (IsPlaintextMechanism(mechanism) && !plaintext_allowed()) return reply(cmd, kPlaintextDisallowed);

  std::string first;
  bool have_initial = cmd.args.size() == 2;
  if (have_initial) {
    auto text = cmd.args[1].atom();
    if (!text) return bad(cmd, "Invalid arguments");
    if (*text != "=") {  // RFC 4959: "=" is an empty initial response
      auto decoded = auth::base64_decode(*text);
      if (!decoded) return reply(cmd, "BAD Invalid base64 data in initial response");
      first = std::move(*decoded);
    }
  }
  std::unique_ptr<auth::SaslServer> server = auth::make_sasl_server(mechanism, ctx_.users);
  if (!server) return reply(cmd, "NO Unsupported authentication mechanism.");
  sasl_ = std::make_shared<auth::SaslAttempt>(mechanism, std::move(server));
  sasl_step(std::move(first), have_initial);
}

void ImapSession::sasl_input(std::string_view line) {
  sasl_waiting_ = false;
  busy_ = true;
  if (line == "*") {
    sasl_reset();
    return reply(*current_, "BAD Authentication aborted by client.");
  }
  if (sasl_final_ack_) {
    // After the server's final data the client confirms with an empty line.
    sasl_final_ack_ = false;
    return sasl_finish(line.empty());
  }
  auto decoded = auth::base64_decode(line);
  if (!decoded) {
    sasl_reset();
    return reply(*current_, "BAD Invalid base64 data in continued response");
  }
  sasl_step(std::move(*decoded), true);
}

void ImapSession::sasl_step(std::string message, bool from_client) {
  if (from_client) sasl_->client_message(message);
  std::shared_ptr<auth::SaslAttempt> attempt = sasl_;
  blocking<auth::SaslServer::Step>(
      [attempt, message] { return attempt->server().step(message); },
      [this, attempt](Outcome<auth::SaslServer::Step>& o) {
        if (sasl_ != attempt) return;
        if (!o.value) {
          spdlog::error("imap [{}]: SASL step: {}", peer_, o.error);
          return sasl_finish(false);
        }
        auth::SaslServer::Step& step = *o.value;
        if (step.state == auth::SaslServer::State::kFailure) return sasl_finish(false);
        if (step.state == auth::SaslServer::State::kSuccess && step.challenge.empty()) return sasl_finish(true);
        // A challenge, or the final server data (sent as a challenge the
        // client answers with an empty line, RFC 3501 6.2.2).
        send("+ " + auth::base64_encode(step.challenge) + "\r\n");
        sasl_final_ack_ = step.state == auth::SaslServer::State::kSuccess;
        sasl_waiting_ = true;
        raw_reader_.reset();
        busy_ = false;  // the client's response is read as a raw line
        if (!driving_) update_pause();
      },
      Lane::kPassword);
}

void ImapSession::sasl_finish(bool success) {
  std::string user = sasl_ ? sasl_->user(success) : std::string();
  if (success && user.empty()) success = false;
  sasl_reset();
  answer_auth(success, std::move(user));
}

void ImapSession::sasl_reset() {
  sasl_.reset();
  sasl_waiting_ = false;
  sasl_final_ack_ = false;
}

void ImapSession::answer_auth(bool success, std::string user) {
  // Every answer waits the throttle delay, success or not, so neither the
  // result nor the existence of the user shows in the timing.
  std::chrono::milliseconds delay = ctx_.throttle.settle(peer_, user, success);
  auto answer = [this, success, user] {
    if (closing_) return;
    guarded([&] {
      if (!success) return reply(*current_, kAuthFailed);
      login(user);
    });
  };
  if (delay.count() > 0)
    host_.after(delay, answer);
  else
    answer();
}

void ImapSession::login(const std::string& user) {
  struct Opened {
    std::shared_ptr<store::UserStore> mail;
    std::unique_ptr<store::Subscription> subscription;
  };
  store::Store* store = &ctx_.store;
  auto post = host_.poster();
  blocking<std::shared_ptr<Opened>>(
      [this, store, user, post, events = feed_events_] {
        auto o = std::make_shared<Opened>();
        o->mail = store->user(user);
        // The callback runs on the committing thread: only count and hand off.
        o->subscription = o->mail->subscribe([this, post, events](const std::string& mailbox) {
          events->fetch_add(1);
          post([this, mailbox] { guarded([&] { on_mailbox_changed(mailbox); }); });
        });
        return o;
      },
      [this, user](Outcome<std::shared_ptr<Opened>>& o) {
        if (!o.value) {
          spdlog::error("imap [{}]: opening the mail of {}: {}", peer_, user, o.error);
          return reply(*current_, kInternalError);
        }
        mail_ = std::move((*o.value)->mail);
        subscription_ = std::move((*o.value)->subscription);
        user_ = user;
        state_ = State::kAuthenticated;
        host_.set_idle_timeout(current_idle_timeout());
        reply(*current_, "OK [CAPABILITY " + capability_list() + "] Logged in");
      });
}

void ImapSession::cmd_starttls(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  if (host_.is_tls()) return reply(cmd, "BAD TLS is already active.");
  if (!host_.tls_available()) return reply(cmd, "BAD TLS support isn't enabled.");
  send(cmd.tag + " OK Begin TLS negotiation now.\r\n");
  // The host discards input received before the handshake; so does the
  // reader (RFC 3501 6.2.1: no pipelining across STARTTLS). busy_ stays set
  // until the handshake is done.
  reader_.reset();
  host_.start_tls([this] {
    if (closing_) return;
    guarded([&] {
      reader_.reset();
      sasl_reset();
      bad_commands_ = 0;
      host_.set_idle_timeout(current_idle_timeout());
      command_done(false);
    });
  });
}

}  // namespace loft::imap

// AUTHORIZATION state: CAPA, USER/PASS, APOP, AUTH (SASL), STLS, and the
// login that follows a successful authentication (throttle, maildrop lock,
// INBOX snapshot).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "pop3/apop.h"
#include "auth/auth.h"
#include "pop3/capabilities.h"
#include "pop3/session.h"
#include "pop3/text.h"

namespace loft::pop3 {
namespace {

constexpr std::string_view kPlaintextDisallowed =
    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";
constexpr std::string_view kAuthFailed = "-ERR [AUTH] Authentication failed.";
constexpr std::string_view kInternalError =
    "-ERR [SYS/TEMP] Internal error occurred. Refer to server log for more information.";

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

}  // namespace

bool Pop3Session::plaintext_allowed() const {
  return host_.is_tls() || options_.plaintext_without_tls ||
         (options_.plaintext_on_loopback && host_.is_loopback());
}

void Pop3Session::cmd_capa() {
  CapaState state;
  state.authorization = phase_ == Phase::kAuthorization;
  state.plaintext_allowed = plaintext_allowed();
  state.stls = host_.tls_available() && !host_.is_tls();
  host_.write(capa_response(state));
}

void Pop3Session::cmd_user(std::string_view args) {
  if (!plaintext_allowed()) return send(kPlaintextDisallowed);
  user_ = std::string(args);
  send("+OK");
}

void Pop3Session::cmd_pass(std::string_view args) {
  if (!user_) {
    if (!plaintext_allowed()) return send(kPlaintextDisallowed);
    return send("-ERR No username given.");
  }
  std::string name = std::move(*user_);
  user_.reset();
  std::string password(args);
  begin_async();
  auth::UserDb* users = &ctx_.users;
  blocking<bool>([users, name, password] { return users->check(name, password); },
                 [this, name](Outcome<bool>& o) {
                   if (!o.error.empty()) spdlog::error("pop3 [{}]: password check: {}", peer_, o.error);
                   answer_auth(o.value.value_or(false), ascii_lower(name));
                 },
                 /*password_check=*/true);
}

void Pop3Session::cmd_apop(std::string_view args) {
  if (apop_timestamp_.empty()) return send("-ERR APOP not enabled.");
  size_t sp = args.find(' ');
  if (sp == std::string_view::npos || args.size() - sp - 1 != 32) return send("-ERR Invalid parameters.");
  std::string_view digest = args.substr(sp + 1);
  if (!is_hex(digest)) return send("-ERR Invalid characters in MD5 response.");
  std::string name = ascii_lower(args.substr(0, sp));
  begin_async();
  auth::UserDb* users = &ctx_.users;
  blocking<bool>(
      [users, name, digest = std::string(digest), timestamp = apop_timestamp_] {
        std::optional<auth::UserRecord> rec;
        if (auth::UserDb::valid_name(name)) rec = users->find(name);
        // Compute a digest either way so that an unknown user takes as long.
        std::string secret = rec && rec->apop_secret ? *rec->apop_secret : std::string("\x01no-such-user");
        bool match = apop_digest_matches(timestamp, secret, digest);
        return match && rec && rec->apop_secret.has_value();
      },
      [this, name](Outcome<bool>& o) {
        if (!o.error.empty()) spdlog::error("pop3 [{}]: APOP check: {}", peer_, o.error);
        answer_auth(o.value.value_or(false), name);
      });
}

void Pop3Session::cmd_auth(std::string_view args) {
  bool plaintext = plaintext_allowed();
  if (args.empty()) {
    // Old-style mechanism discovery (used by Outlook), as Dovecot answers it.
    std::string r = "+OK\r\n";
    for (auto& m : allowed_mechanisms(plaintext)) r += m + "\r\n";
    r += ".\r\n";
    host_.write(r);
    return;
  }
  size_t sp = args.find(' ');
  std::string mechanism = ascii_upper(args.substr(0, sp));
  std::optional<std::string_view> initial;
  if (sp != std::string_view::npos) initial = args.substr(sp + 1);

  auto known = auth::sasl_mechanisms();
  if (std::find(known.begin(), known.end(), mechanism) == known.end())
    return send("-ERR [AUTH] Unsupported authentication mechanism.");
  if (is_plaintext_mechanism(mechanism) && !plaintext) return send(kPlaintextDisallowed);

  std::string first;
  if (initial) {
    // RFC 5034: "=" is an initial response of zero length.
    if (*initial != "=") {
      auto decoded = auth::base64_decode(*initial);
      if (!decoded) return send("-ERR [AUTH] Invalid base64 data in initial response");
      first = std::move(*decoded);
    }
  }
  std::unique_ptr<auth::SaslServer> server = auth::make_sasl_server(mechanism, ctx_.users);
  if (!server) return send("-ERR [AUTH] Unsupported authentication mechanism.");
  sasl_ = std::make_shared<auth::SaslAttempt>(mechanism, std::move(server));
  begin_async();
  sasl_step(std::move(first), initial.has_value());
}

void Pop3Session::sasl_input(std::string_view line) {
  if (line == "*") {
    sasl_reset();
    return send("-ERR Authentication aborted by client.");
  }
  if (sasl_wait_ == SaslWait::kFinalAck) {
    // After the server's final data the client confirms with an empty line.
    sasl_wait_ = SaslWait::kNone;
    begin_async();
    return sasl_finish(line.empty());
  }
  auto decoded = auth::base64_decode(line);
  if (!decoded) {
    sasl_reset();
    return send("-ERR [AUTH] Invalid base64 data in continued response");
  }
  sasl_wait_ = SaslWait::kNone;
  begin_async();
  sasl_step(std::move(*decoded), true);
}

void Pop3Session::sasl_step(std::string message, bool from_client) {
  if (from_client) sasl_->client_message(message);
  std::shared_ptr<auth::SaslAttempt> attempt = sasl_;
  blocking<auth::SaslServer::Step>([attempt, message] { return attempt->server().step(message); },
                                   [this, attempt](Outcome<auth::SaslServer::Step>& o) {
                                     if (sasl_ != attempt) return;
                                     if (!o.value) {
                                       spdlog::error("pop3 [{}]: SASL step: {}", peer_, o.error);
                                       return sasl_finish(false);
                                     }
                                     auth::SaslServer::Step& step = *o.value;
                                     switch (step.state) {
                                       case auth::SaslServer::State::kContinue:
                                         send("+ " + auth::base64_encode(step.challenge));
                                         sasl_wait_ = SaslWait::kResponse;
                                         end_async();
                                         return;
                                       case auth::SaslServer::State::kSuccess:
                                         if (!step.challenge.empty()) {
                                           // POP3 has no "+OK with data": send it as a challenge (RFC 5034).
                                           send("+ " + auth::base64_encode(step.challenge));
                                           sasl_wait_ = SaslWait::kFinalAck;
                                           end_async();
                                           return;
                                         }
                                         return sasl_finish(true);
                                       case auth::SaslServer::State::kFailure:
                                         return sasl_finish(false);
                                     }
                                     sasl_finish(false);
                                   },
                                   /*password_check=*/true);
}

void Pop3Session::sasl_finish(bool success) {
  std::string user = sasl_ ? sasl_->user(success) : std::string();
  if (success && user.empty()) success = false;
  sasl_reset();
  answer_auth(success, std::move(user));
}

void Pop3Session::sasl_reset() {
  sasl_.reset();
  sasl_wait_ = SaslWait::kNone;
}

void Pop3Session::answer_auth(bool success, std::string user) {
  // Every answer waits the throttle delay, success or not, so neither the
  // result nor the existence of the user shows in the timing.
  std::chrono::milliseconds delay = ctx_.throttle.settle(peer_, user, success);
  auto answer = [this, success, user] {
    if (closing_) return;
    guarded([&] {
      if (!success) {
        send(kAuthFailed);
        end_async();
        return;
      }
      login(user);
    });
  };
  if (delay.count() > 0)
    host_.after(delay, answer);
  else
    answer();
}

void Pop3Session::login(const std::string& user) {
  if (!ctx_.locks.try_lock(user)) {
    send("-ERR [IN-USE] Mailbox is locked by another POP3 session.");
    end_async();
    return;
  }
  locked_user_ = user;
  struct Opened {
    std::shared_ptr<store::UserStore> mail;
    std::vector<store::MessageInfo> messages;
    uint32_t uidvalidity = 0;
  };
  store::Store* store = &ctx_.store;
  std::string peer = peer_;
  blocking<Opened>(
      [store, user, peer] {
        Opened o;
        o.mail = store->user(user);
        try {
          // Take in what other tools dropped into new/; serving the rest is
          // still better than refusing the login if this fails.
          o.mail->scan_new("INBOX");
        } catch (const std::exception& e) {
          spdlog::warn("pop3 [{}]: scanning new mail of {}: {}", peer, user, e.what());
        }
        o.messages = o.mail->list_messages("INBOX");
        o.uidvalidity = o.mail->status("INBOX").uidvalidity;
        return o;
      },
      [this, user](Outcome<Opened>& o) {
        if (!o.value) {
          spdlog::error("pop3 [{}]: opening INBOX of {}: {}", peer_, user, o.error);
          release_lock();
          send(kInternalError);
          end_async();
          return;
        }
        mail_ = std::move(o.value->mail);
        maildrop_ = Maildrop(o.value->messages, o.value->uidvalidity);
        phase_ = Phase::kTransaction;
        user_.reset();
        host_.set_idle_timeout(current_idle_timeout());
        send("+OK Logged in.");
        end_async();
      });
}

void Pop3Session::cmd_stls() {
  if (host_.is_tls()) return send("-ERR TLS is already active.");
  if (!host_.tls_available()) return send("-ERR TLS support isn't enabled.");
  send("+OK Begin TLS negotiation now.");
  // The host discards input received before the handshake; so do we
  // (RFC 2595 section 4: no pipelining across STLS).
  pending_.clear();
  pending_pos_ = 0;
  discarding_ = false;
  begin_async();
  host_.start_tls([this] {
    if (closing_) return;
    guarded([&] {
      // A fresh AUTHORIZATION state: nothing learnt before TLS is kept.
      user_.reset();
      sasl_reset();
      bad_commands_ = 0;
      host_.set_idle_timeout(current_idle_timeout());
      end_async();
    });
  });
}

}  // namespace loft::pop3

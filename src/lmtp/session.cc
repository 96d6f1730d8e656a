// The LMTP session state machine.
//
// Commands are handled strictly in order. RCPT (user lookup) and the end of
// DATA (delivery) run in host.offload jobs; while one runs, input is paused,
// so pipelined commands wait in the host's buffer and are delivered again on
// resume. Jobs own copies of everything they touch, so a job never races the
// event loop, whatever the session does meanwhile.
#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lmtp/address.h"
#include "lmtp/command_syntax.h"
#include "lmtp/data_reader.h"
#include "lmtp/lmtp.h"

namespace loft::lmtp {
namespace {

constexpr size_t kMaxCommandLine = 4096;         // octets, not counting CRLF
constexpr size_t kMaxPendingOutput = 256 << 10;  // stop reading commands above this much unsent output
constexpr size_t kFlushThreshold = 16 << 10;     // hand batched replies to the host from this size on
// Consecutive 500/501/503 replies after which the connection is closed with
// 421, as Dovecot's smtp-server does (max_bad_commands): a client sending
// garbage is not answered forever.
constexpr size_t kMaxBadCommands = 10;

struct AcceptedRcpt {
  Path path;              // for replies (path.text) and the duplicate rule
  Recipient recipient;    // user and +detail
  int duplicate_of = -1;  // an earlier identical RCPT: delivered once, answered alike
};

enum class Outcome { kSaved, kTemporary, kTooLarge, kNoSpace };

// One delivery job: inputs copied from the session, results filled by the
// worker, replies written back on the loop thread.
struct DeliveryJob {
  struct Target {
    std::string user;
    std::string detail;
    int duplicate_of = -1;
  };
  std::vector<Target> targets;
  std::string id;
  std::string headers;
  std::string body;
  std::vector<Outcome> outcomes;
};

// Runs on a worker thread (spdlog's default logger is thread-safe).
Outcome deliver_one(store::Store& store, const DeliveryJob::Target& t, const store::NewMessage& msg,
                    const std::string& id) {
  std::string mailbox = "INBOX";
  try {
    std::shared_ptr<store::UserStore> user = store.user(t.user);
    mailbox = target_mailbox(*user, t.detail);
    uint32_t uid = 0;
    try {
      uid = user->append(mailbox, msg);
    } catch (const store::StoreError& e) {
      // The +detail folder went away or is unusable: the message still
      // belongs to the user, so it goes to INBOX rather than bouncing.
      bool folder_problem = e.code() == store::ErrorCode::kNotFound ||
                            e.code() == store::ErrorCode::kInvalidName ||
                            e.code() == store::ErrorCode::kNotPermitted;
      if (mailbox == "INBOX" || !folder_problem) throw;
      spdlog::warn("lmtp {}: {}: cannot save to {} ({}), using INBOX", id, t.user, mailbox, e.what());
      mailbox = "INBOX";
      uid = user->append(mailbox, msg);
    }
    spdlog::info("lmtp {}: {}: saved to {} as uid {}", id, t.user, mailbox, uid);
    return Outcome::kSaved;
  } catch (const store::StoreError& e) {
    spdlog::error("lmtp {}: {}: saving to {} failed: {}", id, t.user, mailbox, e.what());
    if (e.code() == store::ErrorCode::kTooLarge) return Outcome::kTooLarge;
    return e.code() == store::ErrorCode::kNoSpace ? Outcome::kNoSpace : Outcome::kTemporary;
  } catch (const std::exception& e) {
    spdlog::error("lmtp {}: {}: saving to {} failed: {}", id, t.user, mailbox, e.what());
    return Outcome::kTemporary;
  } catch (...) {
    spdlog::error("lmtp {}: {}: saving to {} failed", id, t.user, mailbox);
    return Outcome::kTemporary;
  }
}

class LmtpSession final : public net::Session {
 public:
  LmtpSession(Context& ctx, net::SessionHost& host)
      : store_(ctx.store),
        users_(ctx.users),
        opts_(ctx.options),
        host_(host),
        data_(opts_.max_message_size, opts_.message_memory) {}

  void on_open() override {
    guarded([&] {
      host_.set_idle_timeout(idle_timeout());
      reply("220 " + opts_.hostname + " Loft LMTP ready");
    });
  }

  void on_input(std::string& buffer) override {
    // Input that arrives while a job runs or output is backed up stays in
    // the host's buffer until we resume.
    if (closed_ || busy_ || draining_) return;
    guarded([&] { process(buffer); });
  }

  void on_output_drained() override {
    if (!draining_) return;
    guarded([&] {
      draining_ = false;
      update_pause();
    });
  }

  void on_timeout() override {
    guarded([&] {
      if (closed_) return;
      reply("421 4.4.2 " + opts_.hostname + " Disconnected for inactivity");
      close();
    });
  }

  void on_close() override { closed_ = true; }

 private:
  std::chrono::milliseconds idle_timeout() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(opts_.idle_timeout);
  }

  // Nothing may escape into the host: an unexpected failure ends the
  // connection with a 421 instead.
  template <typename F>
  void guarded(F&& f) {
    try {
      f();
      flush();
    } catch (const std::exception& e) {
      fail(e.what());
    } catch (...) {
      fail("unknown exception");
    }
  }

  void fail(const char* what) noexcept {
    try {
      spdlog::error("lmtp [{}]: internal error, closing the connection: {}", host_.peer_address(), what);
      out_.clear();
      if (!closed_) {
        reply("421 4.3.0 " + opts_.hostname + " Internal error, closing connection");
        close();
      }
    } catch (...) {
      closed_ = true;
    }
  }

  void reply(std::string_view line) {
    out_.append(line);
    out_.append("\r\n");
    std::string_view code = line.substr(0, 3);
    if (code == "500" || code == "501" || code == "503")
      ++bad_commands_;
    else
      bad_commands_ = 0;
  }

  // After a command's reply: too many bad commands in a row end the session.
  void check_bad_commands() {
    if (bad_commands_ <= kMaxBadCommands || closed_) return;
    reply("421 4.7.0 " + opts_.hostname + " Too many invalid commands.");
    close();
  }

  void flush() {
    if (out_.empty()) return;
    std::string out;
    out.swap(out_);
    host_.write(out);
  }

  void close() {
    flush();
    closed_ = true;
    host_.close();
  }

  void update_pause() {
    bool want = busy_ || draining_;
    if (want == paused_ || closed_) return;
    paused_ = want;
    host_.pause_input(want);
  }

  // ---- Input ------------------------------------------------------------------

  void process(std::string& buf) {
    size_t pos = 0;
    while (pos < buf.size() && !closed_ && !busy_) {
      if (in_data_) {
        pos += data_.feed(std::string_view(buf).substr(pos));
        if (data_.done()) end_of_data();
        continue;
      }
      if (out_.size() >= kFlushThreshold) flush();
      if (host_.output_pending() > kMaxPendingOutput) {
        // A client that pipelines without reading its replies: wait for
        // on_output_drained instead of growing the output without bound.
        // (The host only reports draining for output it once held above
        // its low-water mark, so only what it holds counts here.)
        draining_ = true;
        update_pause();
        break;
      }
      size_t nl = buf.find('\n', pos);
      if (discarding_line_) {
        pos = nl == std::string::npos ? buf.size() : nl + 1;
        if (nl != std::string::npos) discarding_line_ = false;
        continue;
      }
      if (nl == std::string::npos) {
        // +1: the CR of a line of exactly the maximum may be here already.
        if (buf.size() - pos > kMaxCommandLine + 1) {
          reply("500 5.5.2 Line too long");
          check_bad_commands();
          discarding_line_ = true;
          pos = buf.size();
        }
        break;
      }
      std::string_view line(buf.data() + pos, nl - pos);
      pos = nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > kMaxCommandLine) {
        reply("500 5.5.2 Line too long");
        check_bad_commands();
        continue;
      }
      command(line);
      check_bad_commands();
    }
    buf.erase(0, pos);
  }

  void command(std::string_view line) {
    size_t sp = line.find(' ');
    std::string verb = ascii_lower(line.substr(0, sp));
    std::string_view args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (verb == "lhlo") return cmd_lhlo(args);
    if (verb == "mail") return cmd_mail(args);
    if (verb == "rcpt") return cmd_rcpt(args);
    if (verb == "data") return cmd_data(args);
    if (verb == "rset") return cmd_rset(args);
    if (verb == "noop") return reply("250 2.0.0 OK");
    if (verb == "vrfy")
      return reply(args.empty() ? "501 5.5.4 Invalid parameters" : "252 2.3.3 Try RCPT instead");
    if (verb == "quit") return cmd_quit(args);
    // HELO and EHLO included: LMTP requires LHLO (RFC 2033 section 4.1).
    reply("500 5.5.1 Unknown command");
  }

  // ---- Commands -----------------------------------------------------------------

  void cmd_lhlo(std::string_view args) {
    while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
    if (args.empty()) return reply("501 Missing hostname");
    std::string_view domain = args.substr(0, args.find(' '));
    helo_ = valid_helo(domain) ? std::string(domain) : std::string("unknown");
    have_lhlo_ = true;
    reset_transaction();  // LHLO resets the state like RSET (RFC 5321 section 4.1.4)
    reply("250-" + opts_.hostname);
    reply("250-8BITMIME");
    reply("250-ENHANCEDSTATUSCODES");
    reply("250-PIPELINING");
    reply("250 SIZE " + std::to_string(opts_.max_message_size));
  }

  void cmd_mail(std::string_view args) {
    if (!have_lhlo_) return reply("503 5.5.1 LHLO needed first");
    if (in_transaction_) return reply("503 5.5.0 MAIL already given");
    MailArgs mail;
    std::string error = parse_mail_args(args, opts_.max_message_size, mail);
    if (!error.empty()) return reply(error);
    reset_transaction();
    in_transaction_ = true;
    sender_ = mail.from.text;
    reply("250 2.1.0 OK");
  }

  void cmd_rcpt(std::string_view args) {
    if (!in_transaction_) return reply("503 5.5.0 MAIL needed first");
    if (opts_.max_recipients > 0 && rcpts_.size() >= opts_.max_recipients)
      return reply("452 4.5.3 Too many recipients");
    Path path;
    std::string error = parse_rcpt_args(args, path);
    if (!error.empty()) return reply(error);

    AcceptedRcpt rcpt;
    std::optional<Recipient> parsed = parse_recipient(path.text);
    if (parsed) rcpt.recipient = std::move(*parsed);
    rcpt.path = std::move(path);
    for (size_t i = 0; i < rcpts_.size(); ++i) {
      if (same_path(rcpts_[i].path, rcpt.path)) {
        rcpt.duplicate_of = rcpts_[i].duplicate_of >= 0 ? rcpts_[i].duplicate_of : static_cast<int>(i);
        rcpts_.push_back(std::move(rcpt));
        return reply("250 2.1.5 OK");
      }
    }
    if (!parsed || !auth::UserDb::valid_name(rcpt.recipient.user)) return reply(no_such_user(rcpt.path));

    struct Lookup {
      std::string user;
      bool exists = false;
      bool failed = true;
      std::string error;
    };
    auto job = std::make_shared<Lookup>();
    job->user = rcpt.recipient.user;
    auto& users = users_;
    run_offloaded(
        [job, &users] {
          try {
            job->exists = users.exists(job->user);
            job->failed = false;
          } catch (const std::exception& e) {
            job->error = e.what();
          }
        },
        [this, job, rcpt = std::move(rcpt)]() mutable {
          if (job->failed) {
            spdlog::error("lmtp [{}]: looking up user {}: {}", host_.peer_address(), job->user, job->error);
            return reply("451 4.3.0 <" + rcpt.path.text + "> Temporary internal error");
          }
          if (!job->exists) return reply(no_such_user(rcpt.path));
          rcpts_.push_back(std::move(rcpt));
          reply("250 2.1.5 OK");
        });
  }

  void cmd_data(std::string_view args) {
    if (!args.empty()) return reply("501 5.5.4 Invalid parameters");
    if (!in_transaction_) return reply("503 5.5.0 MAIL needed first");
    // RFC 2033 section 4.2: DATA fails with 503 without a successful RCPT.
    if (rcpts_.empty()) return reply("503 5.5.0 No valid recipients");
    data_.reset();
    in_data_ = true;
    reply("354 OK");
  }

  void cmd_rset(std::string_view args) {
    if (!args.empty()) return reply("501 5.5.4 Invalid parameters");
    reset_transaction();
    reply("250 2.0.0 OK");
  }

  void cmd_quit(std::string_view args) {
    if (!args.empty()) return reply("501 5.5.4 Invalid parameters");
    reply("221 2.0.0 Bye");
    close();
  }

  // ---- End of DATA: delivery --------------------------------------------------------

  void end_of_data() {
    in_data_ = false;
    if (data_.overflow()) {
      for (const AcceptedRcpt& r : rcpts_)
        reply("552 5.2.3 <" + r.path.text + "> Message size exceeds administrative limit");
      reset_transaction();
      return;
    }
    if (data_.no_memory()) {  // a temporary failure: the client sends it again later
      for (const AcceptedRcpt& r : rcpts_)
        reply("452 4.3.1 <" + r.path.text + "> Insufficient system resources, try again later");
      reset_transaction();
      return;
    }

    TraceInfo trace;
    trace.sender = sender_;
    if (rcpts_.size() == 1) trace.recipient = rcpts_[0].path.text;
    trace.client_helo = helo_;
    trace.client_ip = host_.peer_address();
    trace.hostname = opts_.hostname;
    trace.session_id = new_session_id();
    trace.time = std::chrono::system_clock::now();

    auto job = std::make_shared<DeliveryJob>();
    job->id = trace.session_id;
    job->headers = trace_headers(trace);
    job->body = data_.take_body();
    for (const AcceptedRcpt& r : rcpts_)
      job->targets.push_back({r.recipient.user, r.recipient.detail, r.duplicate_of});
    job->outcomes.assign(job->targets.size(), Outcome::kTemporary);

    auto& store = store_;
    run_offloaded(
        [job, &store] {
          store::NewMessage msg;
          msg.pieces = {job->headers, job->body};
          for (size_t i = 0; i < job->targets.size(); ++i) {
            if (job->targets[i].duplicate_of >= 0) continue;
            job->outcomes[i] = deliver_one(store, job->targets[i], msg, job->id);
          }
        },
        [this, job, id = trace.session_id] {
          // One reply per RCPT that succeeded, in RCPT order (RFC 2033 4.2);
          // a 250 only for what append() made durable.
          for (size_t i = 0; i < rcpts_.size() && i < job->outcomes.size(); ++i) {
            int dup = job->targets[i].duplicate_of;
            Outcome outcome = job->outcomes[dup >= 0 ? static_cast<size_t>(dup) : i];
            const std::string& addr = rcpts_[i].path.text;
            switch (outcome) {
              case Outcome::kSaved:
                reply("250 2.0.0 <" + addr + "> " + id + " Saved");
                break;
              case Outcome::kTooLarge:
                reply("552 5.2.3 <" + addr + "> Message size exceeds administrative limit");
                break;
              case Outcome::kTemporary:
                reply("451 4.3.0 <" + addr + "> Temporary internal error");
                break;
              case Outcome::kNoSpace:  // RFC 3463 4.3.1: mail system full; the sender retries later
                reply("452 4.3.1 <" + addr + "> Insufficient system storage");
                break;
            }
          }
          reset_transaction();
        });
  }

  // ---- Helpers --------------------------------------------------------------------------

  // Runs `work` on a worker with input paused and the idle timer off (a slow
  // fsync is not the client's inactivity), then `done` on the loop.
  template <typename Work, typename Done>
  void run_offloaded(Work work, Done done) {
    busy_ = true;
    host_.set_idle_timeout(std::chrono::milliseconds(0));
    update_pause();
    host_.offload(
        [work = std::move(work)]() mutable {
          try {
            work();
          } catch (...) {
            // The job records failure itself: its result fields start out
            // as "failed"/temporary.
          }
        },
        [this, done = std::move(done)]() mutable {
          guarded([&] {
            busy_ = false;
            if (closed_) return;
            host_.set_idle_timeout(idle_timeout());
            done();
            update_pause();
          });
        });
  }

  void reset_transaction() {
    in_transaction_ = false;
    in_data_ = false;
    sender_.clear();
    rcpts_.clear();
    data_.reset();
  }

  static std::string no_such_user(const Path& path) {
    return "550 5.1.1 <" + path.text + "> User doesn't exist: " + path.text;
  }

  // A domain or an address literal; anything else is recorded as "unknown"
  // in the Received header, as Dovecot does for an invalid LHLO argument.
  static bool valid_helo(std::string_view d) {
    if (d.empty() || d.size() > 255) return false;
    if (d.front() == '[') {
      if (d.size() < 3 || d.back() != ']') return false;
      for (char c : d.substr(1, d.size() - 2))
        if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
      return true;
    }
    for (char c : d) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '.' || c == '_';
      if (!ok) return false;
    }
    return true;
  }

  store::Store& store_;
  auth::UserDb& users_;
  const Options opts_;
  net::SessionHost& host_;

  std::string out_;  // replies not yet handed to the host
  bool closed_ = false;
  size_t bad_commands_ = 0;  // consecutive 500/501/503 replies
  bool busy_ = false;      // an offload job is running
  bool draining_ = false;  // waiting for the client to read its replies
  bool paused_ = false;    // what we last told the host
  bool discarding_line_ = false;

  bool have_lhlo_ = false;
  std::string helo_ = "unknown";
  bool in_transaction_ = false;
  std::string sender_;
  std::vector<AcceptedRcpt> rcpts_;
  bool in_data_ = false;
  DataReader data_;
};

}  // namespace

std::unique_ptr<net::Session> make_session(Context& ctx, net::SessionHost& host) {
  return std::make_unique<LmtpSession>(ctx, host);
}

}  // namespace loft::lmtp

// loft-bench: load generator and consistency checker for IMAP, POP3 and
// LMTP servers. See bench/README.md.
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "options.h"
#include "report.h"
#include "workloads.h"

namespace {

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using loft::bench::Options;
  Options o;
  CLI::App app{"loft-bench: IMAP/POP3/LMTP load generator with a consistency checker"};
  app.add_option("workload", o.workload, "imap-mix | big-mailbox | idle-fanout | lmtp-ingest | pop3-download")
      ->required()
      ->check(CLI::IsMember({"imap-mix", "big-mailbox", "idle-fanout", "lmtp-ingest", "pop3-download"}));
  app.add_option("--host", o.host, "server address")->capture_default_str();
  app.add_option("--port", o.port, "server port (default: the protocol's)");
  app.add_flag("--tls", o.tls, "implicit TLS (no certificate verification)");
  app.add_flag("--starttls", o.starttls, "STARTTLS (IMAP, LMTP) or STLS (POP3)");
  app.add_option("--json", o.json_path, "write the results as one JSON object to this file");
  app.add_option("--server-pid", o.server_pid, "sample CPU and memory of this process and its descendants");
  app.add_option("--timeout", o.timeout, "seconds to wait for any single response")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  app.add_option("--user", o.user, "user (big-mailbox, pop3-download)");
  app.add_option("--password", o.password, "password of every user")->capture_default_str();
  app.add_option("--users", o.users, "number of users, named by --user-format with 1..K");
  app.add_option("--user-format", o.user_format, "user name pattern, %d = 1..K")->capture_default_str();
  app.add_option("--auth", o.auth, "IMAP login: login | plain")
      ->check(CLI::IsMember({"login", "plain"}))
      ->capture_default_str();
  app.add_flag("--shared", o.shared, "imap-mix: every client uses user 1's INBOX");
  app.add_option("--clients", o.clients, "imap-mix: clients (1..100000)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--duration", o.duration, "imap-mix: measured seconds")->capture_default_str();
  app.add_option("--warmup", o.warmup, "imap-mix: seconds before measuring")->capture_default_str();
  app.add_flag("--relogin", o.relogin, "imap-mix: LOGOUT, log in and SELECT again every --cycle-ops operations");
  app.add_option("--cycle-ops", o.cycle_ops, "imap-mix: operations per cycle with --relogin")->capture_default_str();
  app.add_flag("--idle", o.idle, "imap-mix: IDLE ~1 s instead of NOOP");
  app.add_option("--mix", o.mix, "imap-mix: weights, e.g. FETCH=20,STORE=0 (FETCH FETCH_BODY FETCH_PART STORE "
                                 "SEARCH APPEND EXPUNGE STATUS LIST NOOP)");
  app.add_option("--connect-rate", o.connect_rate, "connections opened per second")->capture_default_str();
  app.add_option("--connect-in-flight", o.connect_in_flight, "connections being set up at once")
      ->capture_default_str();
  app.add_option("--messages", o.messages_dir, "directory of messages to APPEND / deliver (default: generated)");
  app.add_option("--mailbox", o.mailbox, "big-mailbox: mailbox")->capture_default_str();
  app.add_option("--expect-count", o.expect_count, "big-mailbox: the mailbox is gen-mailbox.py --count N");
  app.add_option("--repeat", o.repeat, "big-mailbox: runs of each timing")->capture_default_str();
  app.add_option("--from", o.from, "big-mailbox: SEARCH FROM string")->capture_default_str();
  app.add_option("--subject", o.subject, "big-mailbox: SEARCH SUBJECT string")->capture_default_str();
  app.add_flag("--select-only", o.select_only, "big-mailbox: time SELECT only");
  app.add_option("--sessions", o.sessions, "idle-fanout: IDLE sessions")->capture_default_str();
  app.add_option("--lmtp-port", o.lmtp_port, "idle-fanout: LMTP port")->capture_default_str();
  app.add_option("--lmtp-host", o.lmtp_host, "idle-fanout: LMTP host (default --host)");
  app.add_option("--rcpt-format", o.rcpt_format, "recipient address from the user name, %s = user")
      ->capture_default_str();
  app.add_option("--wake-timeout", o.wake_timeout, "idle-fanout: seconds to wait for every EXISTS")
      ->capture_default_str();
  app.add_option("--rcpt-per-txn", o.rcpt_per_txn, "idle-fanout: recipients per LMTP transaction")
      ->capture_default_str();
  app.add_option("--count", o.count, "lmtp-ingest: messages to deliver")->capture_default_str();
  app.add_option("--connections", o.connections, "lmtp-ingest, pop3-download: connections")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (o.tls && o.starttls) {
    fmt::print(stderr, "--tls and --starttls exclude each other\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  loft::bench::Report report(o.workload);
  report.params.Set("host", o.host);
  report.params.Set("port", o.port);
  try {
    if (o.workload == "imap-mix") return loft::bench::RunImapMix(o, report);
    if (o.workload == "big-mailbox") return loft::bench::RunBigMailbox(o, report);
    if (o.workload == "idle-fanout") return loft::bench::RunIdleFanout(o, report);
    if (o.workload == "lmtp-ingest") return loft::bench::RunLmtpIngest(o, report);
    if (o.workload == "pop3-download") return loft::bench::RunPop3Download(o, report);
  } catch (const std::exception& e) {
    fmt::print(stderr, "loft-bench: {}\n", e.what());
    return 2;
  }
  return 2;
}

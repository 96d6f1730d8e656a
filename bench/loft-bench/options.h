// Every command-line option of loft-bench (one flat set; each workload
// reads the ones it needs).
#pragma once

#include <string>

namespace loft::bench {

struct Options {
  std::string workload;
  // Common.
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the protocol's default
  bool tls = false;
  bool starttls = false;
  std::string json_path;
  int server_pid = 0;
  double timeout = 60;  // seconds for any single response
  uint64_t seed = 1;
  // Users.
  std::string user;
  std::string password = "password";
  int users = 0;  // 0: workload default
  std::string user_format = "bench%d";
  std::string auth = "login";  // login | plain
  bool shared = false;
  // imap-mix.
  int clients = 10;
  double duration = 10;
  double warmup = 2;
  bool relogin = false;
  int cycle_ops = 10;
  bool idle = false;
  double connect_rate = 2000;
  int connect_in_flight = 200;
  std::string mix;  // "name=weight,..." overrides
  // Messages.
  std::string messages_dir;
  // big-mailbox.
  std::string mailbox = "INBOX";
  long expect_count = -1;
  int repeat = 3;
  std::string from = "Smith";
  std::string subject = "batch-3";
  bool select_only = false;
  // idle-fanout.
  int sessions = 10000;
  int lmtp_port = 24;
  std::string lmtp_host;  // default: host
  std::string rcpt_format = "%s";
  double wake_timeout = 30;
  int rcpt_per_txn = 100;
  // lmtp-ingest / pop3.
  long count = 20000;
  int connections = 1;
};

// "bench%d" with n -> "bench7"; "%s@localhost" with name -> "bench7@localhost".
std::string FormatUser(const std::string& fmt, int n);
std::string FormatRcpt(const std::string& fmt, const std::string& user);

}  // namespace loft::bench

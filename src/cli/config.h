// Loft's configuration: the embedded zero-configuration default, a TOML file
// (see etc/loft.toml.example) and command-line overrides, in that order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.h"

namespace loft::cli {

// A bad or missing value: what() is one line naming the file, key and reason.
class ConfigError : public std::runtime_error {
 public:
  // Keys and values quoted in the message come from the file, and TOML
  // strings may hold control characters ("\n"): those are shown as "\xNN" so
  // that what() stays one line.
  explicit ConfigError(const std::string& what);
};

struct Listener {
  std::string protocol;  // imap, imaps, pop3, pop3s, lmtp
  std::string address;   // host:port
};

struct Config {
  std::filesystem::path data_dir = "loft-data";
  std::string hostname;  // default: this machine's name
  std::string run_as;    // when started as root; default "loft" if it exists, else "nobody"
  std::vector<Listener> listeners = {{"imap", "127.0.0.1:1143"},
                                     {"imaps", "127.0.0.1:1993"},
                                     {"pop3", "127.0.0.1:1110"},
                                     {"pop3s", "127.0.0.1:1995"},
                                     {"lmtp", "127.0.0.1:2424"}};
  std::filesystem::path tls_cert;  // default: <data>/tls/cert.pem (self-signed on first start)
  std::filesystem::path tls_key;   // default: <data>/tls/key.pem
  bool plaintext_on_loopback = true;
  bool plaintext_without_tls = false;
  bool apop = false;
  uint64_t max_message_size = 64ull << 20;
  // Messages being received (APPEND, LMTP DATA) held in memory, summed over
  // every session; at least max_message_size.
  uint64_t message_memory = 512ull << 20;
  uint64_t max_connections = 1000;
  uint64_t max_connections_per_ip = 100;
  uint64_t login_timeout = 60;
  uint64_t pop3_idle_timeout = 600;
  uint64_t imap_idle_timeout = 1800;  // RFC 3501 5.4: at least 30 minutes
  uint64_t lmtp_idle_timeout = 300;
  uint64_t worker_threads = 8;
  bool fsync = true;
  std::string log_level = "info";

  bool self_signed() const;  // no certificate configured
  std::filesystem::path cert_path() const;
  std::filesystem::path key_path() const;
  std::filesystem::path users_db() const { return data_dir / "users.db"; }
  std::filesystem::path mail_root() const { return data_dir / "mail"; }
  std::filesystem::path notify_socket() const { return data_dir / "run" / "notify.sock"; }
  // The store's options: mail root, size limit (plus `headroom` for the
  // trace headers a delivery adds), fsync, the notify socket.
  store::MaildirOptions store_options(uint64_t headroom = 0) const {
    store::MaildirOptions o;
    o.root = mail_root();
    o.max_message_size = max_message_size + headroom;
    o.fsync = fsync;
    o.notify_socket = notify_socket();
    return o;
  }
};

// The default, overlaid with the file when one is given. Relative paths in
// the file are taken relative to the file's directory.
Config load_config(const std::optional<std::filesystem::path>& file);

}  // namespace loft::cli

// The `loft` subcommands. Each returns the process exit status.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"

namespace loft::cli {

// Where the configuration comes from: --config and --data as given.
struct Source {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> data_dir;
  // Loads the file (if any) and applies --data; throws ConfigError.
  Config load() const;
};

struct ServeArgs {
  Source source;
  std::vector<Listener> listeners;  // from --imap etc.; replace the configured set when non-empty
  std::optional<std::filesystem::path> tls_cert, tls_key;
};
int run_serve(const ServeArgs& args);

int run_user_add(const Source& src, const std::string& name);
int run_user_passwd(const Source& src, const std::string& name);
int run_user_del(const Source& src, const std::string& name);
int run_user_list(const Source& src);
int run_user_import(const Source& src, const std::filesystem::path& file);

struct DeliverArgs {
  Source source;
  std::string user;
  std::string mailbox;  // empty: INBOX
  std::string from;     // envelope sender for Return-Path; empty: $SENDER or MAILER-DAEMON
};
int run_deliver(const DeliverArgs& args);

struct ImportArgs {
  Source source;
  std::string user;
  std::filesystem::path source_path;  // a Maildir, a directory of message files or an mbox file
  std::string mailbox;                // empty: INBOX (created when missing)
  size_t batch = 1000;                // messages per append_many() call
};
int run_import(const ImportArgs& args);

struct IndexArgs {
  Source source;
  std::string user;
  std::string mailbox;  // empty: every mailbox
};
int run_index(const IndexArgs& args);

struct CheckArgs {
  Source source;
  std::vector<std::string> users;  // empty with all
  bool all = false;                // every user in the user database
  bool repair = false;             // without it nothing is changed
};
int run_check(const CheckArgs& args);

}  // namespace loft::cli

// loft: the mail server and its tools in one binary.
#include <CLI/CLI.hpp>
#include <sqlite3.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/sysexits.h"

using namespace loft::cli;

namespace {

void add_source_flags(CLI::App* cmd, Source& src) {
  cmd->add_option_function<std::string>("--config", [&src](const std::string& f) { src.config_file = f; },
                                        "TOML configuration file");
  cmd->add_option_function<std::string>("--data", [&src](const std::string& d) { src.data_dir = d; },
                                        "data directory (overrides the configuration)");
}

}  // namespace

int main(int argc, char** argv) {
  // SQLite counts every allocation under one process-wide mutex by default
  // (SQLITE_CONFIG_MEMSTATUS). Every worker has its own connections, so
  // nothing else is shared, and that mutex was the server's most contended
  // lock under load. Loft reads no SQLite memory statistics. This must come
  // before any other SQLite call.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  CLI::App app{"Loft: an IMAP, POP3 and LMTP mail server", "loft"};
  app.set_version_flag("--version", "loft 0.1.0");
  app.require_subcommand(1);

  ServeArgs serve;
  auto* serve_cmd = app.add_subcommand("serve", "run the server in the foreground");
  add_source_flags(serve_cmd, serve.source);
  for (const char* proto : {"imap", "imaps", "pop3", "pop3s", "lmtp"}) {
    std::string flag = std::string("--") + proto;
    serve_cmd->add_option_function<std::vector<std::string>>(
        flag,
        [&serve, proto](const std::vector<std::string>& addrs) {
          for (auto& a : addrs) serve.listeners.push_back({proto, a});
        },
        std::string("listen for ") + proto + " on ADDR (host:port); repeatable")
        ->type_name("ADDR")
        ->allow_extra_args(false);
  }
  serve_cmd->add_option_function<std::string>("--tls-cert", [&](const std::string& f) { serve.tls_cert = f; },
                                              "PEM certificate chain");
  serve_cmd->add_option_function<std::string>("--tls-key", [&](const std::string& f) { serve.tls_key = f; },
                                              "PEM private key");

  Source user_src;
  std::string user_name;
  std::string import_file;
  auto* user_cmd = app.add_subcommand("user", "manage users");
  user_cmd->require_subcommand(1);
  auto* add_cmd = user_cmd->add_subcommand("add", "add a user; the password is read as one line from stdin");
  auto* passwd_cmd = user_cmd->add_subcommand("passwd", "set a user's password from one line on stdin");
  auto* del_cmd = user_cmd->add_subcommand("del", "delete a user and all their mail");
  auto* list_cmd = user_cmd->add_subcommand("list", "list users");
  auto* import_cmd = user_cmd->add_subcommand("import", "import a Dovecot passwd-file");
  for (auto* c : {add_cmd, passwd_cmd, del_cmd}) {
    c->add_option("NAME", user_name, "user name")->required();
    add_source_flags(c, user_src);
  }
  add_source_flags(list_cmd, user_src);
  import_cmd->add_option("FILE", import_file, "passwd-file")->required();
  add_source_flags(import_cmd, user_src);

  DeliverArgs deliver;
  auto* deliver_cmd = app.add_subcommand("deliver", "deliver one message from stdin (for Postfix's mailbox_command)");
  deliver_cmd->add_option("--user", deliver.user, "recipient user")->required();
  deliver_cmd->add_option("--mailbox", deliver.mailbox, "target mailbox (default INBOX)");
  deliver_cmd->add_option("--from,-f", deliver.from, "envelope sender");
  add_source_flags(deliver_cmd, deliver.source);

  ImportArgs mail_import;
  auto* mail_import_cmd =
      app.add_subcommand("import", "import a Maildir, a directory of messages or an mbox into a mailbox");
  mail_import_cmd->add_option("USER", mail_import.user, "user (must exist)")->required();
  mail_import_cmd->add_option("SOURCE", mail_import.source_path, "Maildir, directory or mbox file")
      ->required();
  mail_import_cmd->add_option("--mailbox", mail_import.mailbox,
                              "target mailbox (default INBOX, created if missing)");
  mail_import_cmd->add_option("--batch", mail_import.batch, "messages per store transaction (default 1000)");
  add_source_flags(mail_import_cmd, mail_import.source);

  IndexArgs index_args;
  auto* index_cmd = app.add_subcommand("index", "bring a user's search index up to date now");
  index_cmd->add_option("USER", index_args.user, "user")->required();
  index_cmd->add_option("--mailbox", index_args.mailbox, "only this mailbox (default: every mailbox)");
  add_source_flags(index_cmd, index_args.source);
  mail_import_cmd->add_option_function<std::string>(
      "--data-dir", [&](const std::string& d) { mail_import.source.data_dir = d; }, "same as --data");

  CheckArgs check_args;
  auto* check_cmd = app.add_subcommand("check", "verify users' mail stores and, with --repair, repair them");
  check_cmd->add_option("USER", check_args.users, "users to check");
  check_cmd->add_flag("--all", check_args.all, "check every user");
  check_cmd->add_flag("--repair", check_args.repair,
                      "repair what can be repaired (never deleting mail; files no row names go to lost+found)");
  add_source_flags(check_cmd, check_args.source);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (serve_cmd->parsed()) return run_serve(serve);
  if (add_cmd->parsed()) return run_user_add(user_src, user_name);
  if (passwd_cmd->parsed()) return run_user_passwd(user_src, user_name);
  if (del_cmd->parsed()) return run_user_del(user_src, user_name);
  if (list_cmd->parsed()) return run_user_list(user_src);
  if (import_cmd->parsed()) return run_user_import(user_src, import_file);
  if (deliver_cmd->parsed()) return run_deliver(deliver);
  if (mail_import_cmd->parsed()) return run_import(mail_import);
  if (index_cmd->parsed()) return run_index(index_args);
  if (check_cmd->parsed()) return run_check(check_args);
  return kExitUsage;
}

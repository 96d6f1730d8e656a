// loft index: brings a user's search index up to date now, in the
// foreground (after `loft import` of a big mailbox, say), instead of leaving
// it to the server's background indexer and the first SEARCHes. Dovecot's
// `doveadm index` is the same idea.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "cli/commands.h"
#include "cli/privileges.h"
#include "cli/sysexits.h"
#include "store/store.h"

namespace loft::cli {
namespace {

int fail(int code, const std::string& msg) {
  std::cerr << "loft index: " << msg << "\n";
  return code;
}

// Indexes every message stored when we started. False when there is no
// index or it failed (SEARCH then reads messages: nothing is lost).
bool index_mailbox(store::UserStore& mail, const std::string& mailbox, uint32_t& indexed) {
  const uint32_t last_uid = mail.status(mailbox).uidnext - 1;
  if (last_uid == 0) return true;  // nothing was ever stored
  std::optional<uint32_t> through = mail.update_search_index(mailbox);
  if (!through) return false;
  indexed = *through;
  return indexed >= last_uid;
}

}  // namespace

int run_index(const IndexArgs& args) {
  Config config;
  try {
    config = args.source.load();
  } catch (const ConfigError& e) {
    return fail(kExitConfig, e.what());
  }
  if (!std::filesystem::exists(config.users_db()))
    return fail(kExitNoUser, "no such user '" + args.user + "' (no user database)");
  const auto start = std::chrono::steady_clock::now();
  try {
    become_data_owner(config.data_dir);
    auto users = auth::UserDb::open(config.users_db());
    auto record = users->find(args.user);
    if (!record) return fail(kExitNoUser, "no such user '" + args.user + "'");
    auto store = store::open_maildir_store(config.store_options());
    auto mail = store->user(record->name);
    std::vector<std::string> mailboxes;
    if (!args.mailbox.empty()) {
      if (!mail->mailbox_exists(args.mailbox)) return fail(kExitUsage, "no such mailbox '" + args.mailbox + "'");
      mailboxes.push_back(args.mailbox);
    } else {
      for (const store::MailboxInfo& m : mail->list_mailboxes()) mailboxes.push_back(m.name);
    }
    bool complete = true;
    for (const std::string& name : mailboxes) {
      uint32_t indexed = 0;
      const bool done = index_mailbox(*mail, name, indexed);
      complete = complete && done;
      std::cout << name << ": " << (done ? "indexed" : "incomplete") << " through UID " << indexed << "\n";
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "loft index: " << mailboxes.size() << " mailboxes in " << secs << " s\n";
    return complete ? kExitOk : kExitSoftware;
  } catch (const std::exception& e) {
    return fail(kExitSoftware, e.what());
  }
}

}  // namespace loft::cli

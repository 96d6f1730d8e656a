#include "store/user_check.h"

#include <filesystem>

#include "store/check_util.h"
#include "store/index_health.h"
#include "store/index_rebuild.h"
#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;
using Kind = CheckFinding::Kind;

// Message files in every cur/ of the Maildir (what an index would have to
// account for).
uint64_t count_message_files(const fs::path& maildir) {
  uint64_t n = list_files(maildir / "cur").size();
  for (const FileEntry& d : list_mailbox_like_dirs(maildir)) n += list_files(maildir / d.name / "cur").size();
  return n;
}

// A damaged or missing index, rebuilt with --repair when that is safe.
// Returns whether the store can be opened and checked now.
bool check_index_file(const MaildirOptions& opts, const fs::path& user_dir, const IndexHealth& health,
                      bool repair, CheckReport& report) {
  CheckFinding f;
  if (!health.exists || health.empty) {
    // A store being made for the first time has neither index nor mail.
    const uint64_t files = count_message_files(user_dir / "Maildir");
    if (files == 0) {
      report.notes.push_back("no index yet: it is made when the mail is first opened");
      return false;
    }
    f = make_finding(Kind::kIndexDamaged, {}, 0,
                     std::string("index.sqlite is ") + (health.exists ? "empty" : "missing") + ", but " +
                         std::to_string(files) + " message files exist",
                     "index.sqlite");
  } else {
    std::string what = health.damage.front();
    if (health.damage.size() > 1) what += " (and " + std::to_string(health.damage.size() - 1) + " more)";
    f = make_finding(Kind::kIndexDamaged, {}, 0, "index.sqlite is damaged: " + what, "index.sqlite");
  }
  if (repair) {
    if (socket_has_listener(opts.notify_socket)) {
      // The server may hold the damaged file open and would go on using it.
      mark_failed(f, "the server is running: stop it and run loft check --repair again to rebuild the index");
    } else {
      try {
        const RebuildResult r = rebuild_index(user_dir, opts.fsync);
        std::string action = r.moved_aside.empty() ? std::string("index")
                                                   : "damaged index moved aside to " + r.moved_aside + "; index";
        action += " rebuilt from the files: " + std::to_string(r.messages) + " messages in " +
                  std::to_string(r.mailboxes) + " mailboxes, new UIDVALIDITYs, flags kept for " +
                  std::to_string(r.salvaged);
        mark_repaired(f, action);
      } catch (const std::exception& e) {
        mark_failed(f, e.what());
      }
    }
  }
  report.findings.push_back(f);
  if (!f.repaired) report.notes.push_back("nothing else was checked: that needs a readable index");
  return f.repaired;
}

void check_dangling_rows(const fs::path& index, const IndexHealth& health, bool repair, CheckReport& report) {
  std::vector<CheckFinding> found;
  for (const DanglingRows& d : health.dangling) {
    found.push_back(make_finding(Kind::kIndexDamaged, {}, 0,
                                 "index table " + d.table + ": " + std::to_string(d.rows) +
                                     " rows belong to a mailbox or message that does not exist",
                                 "index.sqlite"));
  }
  if (repair && !found.empty()) {
    try {
      remove_dangling_rows(index);
      // A mailbox row gone leaves its directory: reported below as belonging
      // to no mailbox, and moved to lost+found with its files.
      for (CheckFinding& f : found) mark_repaired(f, "rows deleted (no file is touched)");
    } catch (const std::exception& e) {
      for (CheckFinding& f : found) mark_failed(f, e.what());
    }
  }
  for (CheckFinding& f : found) report.findings.push_back(std::move(f));
}

}  // namespace

CheckReport check_user_mail(const MaildirOptions& opts, std::shared_ptr<const Notifier> notifier,
                            const std::string& user, bool repair) {
  check_user_name(user);
  CheckReport report;
  const fs::path user_dir = opts.root / user;
  std::error_code ec;
  if (!fs::is_directory(user_dir, ec)) {
    report.notes.push_back("no mail stored yet");
    return report;
  }
  const fs::path index = user_dir / "index.sqlite";
  IndexHealth health = inspect_index(index);
  if (!health.exists || health.empty || !health.damage.empty()) {
    if (!check_index_file(opts, user_dir, health, repair, report)) return report;
    health = inspect_index(index);
  }
  check_dangling_rows(index, health, repair, report);
  std::unique_ptr<MaildirUserStore> store;
  try {
    store = std::make_unique<MaildirUserStore>(user, opts, std::move(notifier), /*housekeeping=*/false);
  } catch (const StoreError& e) {
    report.findings.push_back(
        make_finding(Kind::kIndexDamaged, {}, 0, std::string("cannot open: ") + e.what(), "index.sqlite"));
    return report;
  }
  CheckReport rest = store->check(repair);
  for (CheckFinding& f : rest.findings) report.findings.push_back(std::move(f));
  for (std::string& n : rest.notes) report.notes.push_back(std::move(n));
  report.mailboxes = rest.mailboxes;
  report.messages = rest.messages;
  report.complete = report.complete && rest.complete;
  return report;
}

}  // namespace loft::store::internal

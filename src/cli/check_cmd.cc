// loft check [--repair] USER... | --all: verifies users' mail stores (index
// against files, UIDs, MODSEQs, sizes, derived data) and, with --repair,
// repairs what can be repaired without deleting mail (store/store.h,
// UserStore::check). Safe while `loft serve` runs: repairs are ordinary
// index transactions, announced to the server through its notify socket.
//
// Output: one line per finding, "<user>: <finding>" (what is wrong and,
// after "; ", what was done), notes on what was not checked, then one
// summary line per user. Exit status: 0 when nothing is wrong (or all of it
// was repaired), 1 when problems remain, 75 when a check could not finish
// (a lock held too long: try again), 67 when a named user does not exist.
#include <cstdint>
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

constexpr int kExitProblems = 1;

int fail(int code, const std::string& msg) {
  std::cerr << "loft check: " << msg << "\n";
  return code;
}

std::string counted(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Prints the report; returns whether problems remain.
bool print_report(const std::string& user, const store::CheckReport& report, bool repair) {
  for (const store::CheckFinding& f : report.findings) std::cout << user << ": " << f.line() << "\n";
  for (const std::string& note : report.notes) std::cout << user << ": note: " << note << "\n";
  const size_t found = report.findings.size();
  const size_t left = report.unrepaired();
  std::cout << "loft check: " << user << ": " << counted(report.mailboxes, "mailbox", "mailboxes") << ", "
            << counted(report.messages, "message", "messages") << ": ";
  if (found == 0) {
    std::cout << (report.complete ? "clean" : "no problems found, but the check did not finish");
  } else {
    std::cout << counted(found, "problem", "problems");
    if (repair) std::cout << ", " << found - left << " repaired";
    if (left > 0 && !repair) std::cout << " (run with --repair to repair)";
  }
  std::cout << "\n";
  return left > 0;
}

}  // namespace

int run_check(const CheckArgs& args) {
  if (args.all == !args.users.empty()) return fail(kExitUsage, "name users or give --all (not both)");
  Config config;
  try {
    config = args.source.load();
  } catch (const ConfigError& e) {
    return fail(kExitConfig, e.what());
  }
  if (!std::filesystem::exists(config.users_db())) return fail(kExitNoUser, "no users (no user database)");
  bool problems = false, incomplete = false, unknown = false;
  try {
    become_data_owner(config.data_dir);
    auto users = auth::UserDb::open(config.users_db());
    std::vector<std::string> names = args.all ? users->list() : args.users;
    auto store = store::open_maildir_store(config.store_options());
    for (const std::string& name : names) {
      auto record = users->find(name);
      if (!record) {
        std::cerr << "loft check: no such user '" << name << "'\n";
        unknown = true;
        continue;
      }
      try {
        store::CheckReport report = store->check_user(record->name, args.repair);
        problems = print_report(record->name, report, args.repair) || problems;
        incomplete = incomplete || !report.complete;
      } catch (const std::exception& e) {
        std::cerr << "loft check: " << record->name << ": " << e.what() << "\n";
        incomplete = true;
      }
    }
  } catch (const std::exception& e) {
    return fail(kExitTempFail, e.what());
  }
  std::cout.flush();
  if (problems) return kExitProblems;
  if (incomplete) return kExitTempFail;
  if (unknown) return kExitNoUser;
  return kExitOk;
}

}  // namespace loft::cli

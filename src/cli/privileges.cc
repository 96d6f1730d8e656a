#include "cli/privileges.h"

#include "cli/config.h"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace loft::cli {
namespace {

void switch_to(uid_t uid, gid_t gid) {
  if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
    throw std::runtime_error(std::string("cannot drop privileges: ") + strerror(errno));
  if (setuid(0) == 0) throw std::runtime_error("privileges could be regained after dropping them");
}

}  // namespace

void check_run_as(const std::string& run_as) {
  if (geteuid() != 0 || run_as.empty()) return;
  struct passwd* pw = getpwnam(run_as.c_str());
  if (!pw) throw ConfigError("run_as: no such user '" + run_as + "'");
  if (pw->pw_uid == 0) throw ConfigError("run_as: refusing to keep running as root");
}

void drop_privileges(const std::string& run_as, const std::filesystem::path& data_dir,
                     const std::vector<std::filesystem::path>& made_as_root) {
  if (geteuid() != 0) return;
  std::string name = run_as;
  if (name.empty()) name = getpwnam("loft") ? "loft" : "nobody";
  struct passwd* pw = getpwnam(name.c_str());
  if (!pw) throw std::runtime_error("run_as: no such user '" + name + "'");
  if (pw->pw_uid == 0) throw std::runtime_error("run_as: refusing to keep running as root");
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;

  struct stat st;
  if (stat(data_dir.c_str(), &st) == 0 && st.st_uid != uid) {
    spdlog::info("giving {} to user {}", data_dir.string(), name);
    std::error_code ec;
    lchown(data_dir.c_str(), uid, gid);
    for (auto it = std::filesystem::recursive_directory_iterator(data_dir, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (lchown(it->path().c_str(), uid, gid) != 0)
        throw std::runtime_error("cannot chown " + it->path().string() + ": " + strerror(errno));
    }
  }
  for (auto& p : made_as_root) {
    if (lstat(p.c_str(), &st) == 0 && st.st_uid != uid && lchown(p.c_str(), uid, gid) != 0)
      throw std::runtime_error("cannot chown " + p.string() + ": " + strerror(errno));
  }
  switch_to(uid, gid);
  spdlog::info("running as {} (uid {})", name, uid);
}

void become_data_owner(const std::filesystem::path& data_dir) {
  if (geteuid() != 0) return;
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0 || st.st_uid == 0) return;
  switch_to(st.st_uid, st.st_gid);
}

}  // namespace loft::cli

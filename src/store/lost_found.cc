#include "store/lost_found.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>

#include "store/maildir_files.h"

namespace loft::store::internal {
namespace {

constexpr int kMaxSuffix = 10000;

void make_dir(const fs::path& dir, bool fsync) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    if (fsync) fsync_dir(dir.parent_path());
  } else if (errno != EEXIST) {
    throw_io("mkdir " + dir.string(), errno);
  }
}

}  // namespace

std::string lost_found_folder(std::string_view mailbox_dir) {
  if (mailbox_dir.empty()) return "INBOX";
  if (mailbox_dir.front() == '.') mailbox_dir.remove_prefix(1);
  return std::string(mailbox_dir);
}

fs::path LostFound::make_folder(std::string_view folder) {
  const fs::path top = user_dir_ / kLostFoundDir;
  make_dir(top, fsync_);
  if (folder.empty()) return top;
  const fs::path dir = top / std::string(folder);
  make_dir(dir, fsync_);
  return dir;
}

std::string LostFound::take(const fs::path& path, std::string_view folder, std::string_view name) {
  const fs::path dir = make_folder(folder);
  // RENAME_NOREPLACE: nothing already in lost+found is ever overwritten,
  // even by a second check running at the same time.
  for (int n = 0; n <= kMaxSuffix; ++n) {
    std::string target = std::string(name);
    if (n > 0) target += "." + std::to_string(n);
    const fs::path to = dir / target;
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      touched_.insert(dir);
      touched_.insert(path.parent_path());
      return std::string(kLostFoundDir) + "/" + (folder.empty() ? "" : std::string(folder) + "/") + target;
    }
    if (errno != EEXIST) throw_io("move " + path.string() + " to " + to.string(), errno);
  }
  throw StoreError(ErrorCode::kTemporary, "no free name in " + dir.string());
}

void LostFound::sync() {
  if (fsync_) {
    for (const fs::path& dir : touched_) fsync_dir(dir);
  }
  touched_.clear();
}

}  // namespace loft::store::internal

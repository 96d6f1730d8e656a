// <data>/mail/<user>/lost+found/: where `loft check --repair` puts what no
// index row names (files in cur/ never acknowledged or expunged but not yet
// unlinked, files left in tmp/, directories of no mailbox) instead of
// deleting them. Mail is never deleted by a repair: an administrator looks
// and re-imports with `loft import USER <user dir>/lost+found/<folder>`
// (a directory of message files) if wanted.
//
// Layout: lost+found/<folder>/<original name>, where <folder> is "INBOX" for
// INBOX's files and the mailbox's directory name without its leading '.'
// otherwise; an unknown directory goes to lost+found/<its name without '.'>.
// A name already taken gets ".1", ".2", ... appended. The store never reads
// lost+found.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace loft::store::internal {

inline constexpr char kLostFoundDir[] = "lost+found";

// The folder for a mailbox directory ("" is INBOX).
std::string lost_found_folder(std::string_view mailbox_dir);

class LostFound {
 public:
  LostFound(std::filesystem::path user_dir, bool fsync) : user_dir_(std::move(user_dir)), fsync_(fsync) {}

  // Moves a file or directory (on the user directory's file system) into
  // lost+found/<folder>/ ("" : lost+found itself) as `name`. Returns its new
  // path relative to the user directory. Throws StoreError(kTemporary)
  // when it cannot; then it did not move.
  std::string take(const std::filesystem::path& path, std::string_view folder, std::string_view name);
  // Makes the moves so far durable (when fsync): every directory a move
  // touched is fsync'ed once.
  void sync();

 private:
  std::filesystem::path make_folder(std::string_view folder);

  std::filesystem::path user_dir_;
  bool fsync_;
  std::set<std::filesystem::path> touched_;
};

}  // namespace loft::store::internal

// MaildirUserStore: taking in messages other tools dropped into new/.
//
// Each file is copied (CRLF-normalised) through tmp/ into cur/, committed
// with an import marker naming the new/ file, and only then unlinked from
// new/. The marker makes a crash between commit and unlink harmless: the
// next scan sees the marker and just unlinks. flock on new/ keeps two
// processes from taking in the same file.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <unordered_set>

#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

// Directory mtimes have coarse granularity: an mtime this recent could
// still be shared by a drop that happens right after we looked.
constexpr std::chrono::seconds kSettledMtimeAge{2};

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

size_t MaildirUserStore::scan_new(std::string_view mailbox) {
  const std::string name = canonical_mailbox_name(mailbox);
  Changed changed;
  size_t count;
  {
    std::lock_guard lock(mu_);
    count = scan_new_locked(require_mailbox(name), changed);
  }
  announce(changed);
  return count;
}

void MaildirUserStore::scan_new_if_changed(const MailboxRow& row, Changed& changed) {
  struct stat st;
  if (::stat((mailbox_path(row) / "new").c_str(), &st) != 0) return;
  auto it = new_dir_mtime_.find(row.id);
  if (it != new_dir_mtime_.end() && same_time(it->second, st.st_mtim)) return;
  try {
    scan_new_locked(row, changed);
  } catch (const StoreError&) {
    // Listing must work even when taking in fails (disk full, say); the
    // mtime stays unremembered, so the next call tries again.
  }
}

size_t MaildirUserStore::scan_new_locked(const MailboxRow& row, Changed& changed) {
  const fs::path new_dir = mailbox_path(row) / "new";
  int dfd = ::open(new_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == ENOENT) return 0;
    throw_io("open " + new_dir.string(), errno);
  }
  FdCloser closer(dfd);
  while (::flock(dfd, LOCK_EX) != 0) {
    if (errno != EINTR) throw_io("flock " + new_dir.string(), errno);
  }

  std::vector<FileEntry> entries = list_files(new_dir);
  std::sort(entries.begin(), entries.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
  std::vector<std::string> marker_list = db_->import_markers(row.id);
  std::unordered_set<std::string> markers(marker_list.begin(), marker_list.end());

  size_t count = 0;
  bool unlinked = false;
  for (const FileEntry& e : entries) {
    if (!markers.count(e.name)) {
      if (!db_->mailbox_by_id(row.id)) break;  // deleted meanwhile
      if (!import_new_file(row, dfd, e.name)) continue;
      ++count;
    }
    ::unlinkat(dfd, e.name.c_str(), 0);
    unlinked = true;
  }
  if (unlinked || !markers.empty()) {
    // Markers go only once the unlinks are durable.
    if (opts_.fsync && ::fsync(dfd) != 0) throw_io("fsync " + new_dir.string(), errno);
    Transaction tx(*db_, Transaction::kWrite);
    db_->clear_import_markers(row.id);
    tx.commit();
  }

  struct stat st;
  if (::fstat(dfd, &st) == 0 && is_older_than(st.st_mtim, kSettledMtimeAge)) {
    new_dir_mtime_[row.id] = st.st_mtim;
  } else {
    new_dir_mtime_.erase(row.id);
  }
  if (count > 0) changed.push_back(row.name);
  return count;
}

bool MaildirUserStore::import_new_file(const MailboxRow& row, int new_dir_fd, const std::string& name) {
  // A file that vanished or that we may not read is left where it is.
  int fd = ::openat(new_dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;

  const fs::path dir = mailbox_path(row);
  std::string file;
  uint64_t size;
  {
    MessageWriter writer(dir, opts_.fsync);
    char buf[64 * 1024];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io("read new/" + name, errno);
      if (n == 0) break;
      writer.write(std::string_view(buf, static_cast<size_t>(n)));
    }
    size = writer.size();
    file = writer.finish();
  }
  try {
    Transaction tx(*db_, Transaction::kWrite);
    auto current = db_->mailbox_by_id(row.id);
    if (!current) throw StoreError(ErrorCode::kNotFound, "mailbox was deleted");
    if (current->uidnext == 0 || current->uidnext == UINT32_MAX) {
      throw StoreError(ErrorCode::kNotPermitted, "mailbox has used up its UIDs");
    }
    MessageInfo info;
    info.uid = current->uidnext;
    info.size = size;
    info.internal_date = static_cast<int64_t>(st.st_mtime);
    info.flags = flags_from_maildir_info(name);
    info.modseq = current->highest_modseq + 1;
    db_->insert_message(row.id, info, file);
    db_->add_import_marker(row.id, name);
    db_->set_counters(row.id, info.uid + 1, info.modseq);
    tx.commit();
  } catch (...) {
    unlink_quiet(dir / "cur" / file);
    throw;
  }
  return true;
}

}  // namespace loft::store::internal

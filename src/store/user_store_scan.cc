// MaildirUserStore: taking in messages other tools dropped into new/.
//
// Files are taken in name order, in batches (up to kBatchFiles files or
// kBatchBytes octets of files and parse results):
//   1. each file is copied (CRLF-normalised) into tmp/ and parsed;
//   2. the batch's files are fsync'ed together, renamed into cur/, and cur/
//      is fsync'ed once (MessageBatch);
//   3. one index transaction adds the batch's messages (UIDs in name order),
//      their parse results and an import marker naming each new/ file;
//   4. the batch's new/ files are unlinked.
// After the last batch new/ is fsync'ed and the markers are dropped. A crash
// before 3 leaves only invisible files (tmp/ or orphans in cur/, removed by
// the housekeeping on open) and the new/ files are taken in again; a crash
// after 3 leaves markers, and the next scan just unlinks the marked files.
// So nothing is lost and nothing is taken in twice.
//
// Only the index work holds mu_; flock on new/ keeps two scanners (threads
// or processes) from taking in the same file.
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
#include "store/message_tree.h"
#include "store/user_store.h"

namespace loft::store::internal {

namespace fs = std::filesystem;

// One taken-in file: what its index row needs besides the cur/ name.
struct MaildirUserStore::Import {
  std::string new_name;  // in new/
  int64_t internal_date = 0;
  uint32_t flags = 0;
  uint64_t size = 0;
  std::string tree;  // empty when parsing failed: computed when first asked for
};

namespace {

// A batch bounds the files in tmp/ not yet visible and the work lost to a
// crash; a few hundred already make the per-batch fsyncs negligible.
constexpr size_t kBatchFiles = 256;
constexpr uint64_t kBatchBytes = 64ull << 20;

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
  MailboxRow row;
  {
    WriteLock lock(*this);
    row = require_mailbox(name);
  }
  Changed changed;
  size_t count;
  try {
    count = take_in_new(row, changed);
  } catch (...) {
    announce(changed, 1);  // batches committed before the failure (how many is not known)
    throw;
  }
  announce(changed, count);
  return count;
}

size_t MaildirUserStore::take_in_new_if_changed(const std::string& canonical_name, Changed& changed) {
  MailboxRow row = require_mailbox(*ReadAccess(*this), canonical_name);
  return new_dir_changed(row) ? take_in_new_quietly(row, changed) : 0;
}

void MaildirUserStore::read_taking_in_new(const std::string& canonical_name,
                                          const std::function<void(IndexDb&, const MailboxRow&)>& read) {
  Changed changed;
  size_t taken_in = 0;
  for (bool checked_new = false, done = false; !done; checked_new = true) {
    std::optional<MailboxRow> take_in;
    {
      ReadAccess db(*this);
      Transaction tx(*db, Transaction::kRead);
      MailboxRow row = require_mailbox(*db, canonical_name);
      if (!checked_new && new_dir_changed(row)) {
        take_in = row;  // after this read ends: taking in writes
      } else {
        read(*db, row);
        tx.commit();
        done = true;
      }
    }
    if (take_in) taken_in = take_in_new_quietly(*take_in, changed);
  }
  announce(changed, taken_in);
}

bool MaildirUserStore::new_dir_changed(const MailboxRow& row) {
  struct stat st;
  if (::stat((mailbox_path(row) / "new").c_str(), &st) != 0) return false;
  std::lock_guard lock(cache_mu_);
  auto it = new_dir_mtime_.find(row.id);
  return it == new_dir_mtime_.end() || !same_time(it->second, st.st_mtim);
}

size_t MaildirUserStore::take_in_new_quietly(const MailboxRow& row, Changed& changed) {
  try {
    return take_in_new(row, changed);
  } catch (const StoreError&) {
    // Listing must work even when taking in fails (disk full, say); the
    // mtime stays unremembered, so the next call tries again.
    return changed.empty() ? 0 : 1;  // some batches may have been taken in
  }
}

size_t MaildirUserStore::take_in_new(const MailboxRow& row, Changed& changed) {
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
  std::unordered_set<std::string> markers;
  {
    // A reader sees every marker: they are committed under the flock we hold.
    ReadAccess db(*this);
    for (std::string& m : db->import_markers(row.id)) markers.insert(std::move(m));
  }

  size_t count = 0;
  // Markers that may go once new/ is fsync'ed: their file is unlinked (or
  // was already gone). A file that cannot be unlinked keeps its marker, so
  // it is never taken in twice.
  std::vector<std::string> done;
  bool unlinked = false;
  auto unlink_new = [&](const std::string& name) {
    if (::unlinkat(dfd, name.c_str(), 0) == 0 || errno == ENOENT) {
      done.push_back(name);
      unlinked = true;
    }
  };
  // Taken in before a crash: only the unlink (or the marker's removal) is
  // missing.
  {
    std::unordered_set<std::string> present;
    for (const FileEntry& e : entries) present.insert(e.name);
    for (const std::string& m : markers) {
      if (present.count(m)) {
        unlink_new(m);
      } else {
        done.push_back(m);
      }
    }
  }

  const fs::path dir = mailbox_path(row);
  auto batch = std::make_unique<MessageBatch>(dir, opts_.fsync);
  std::vector<Import> imports;
  imports.reserve(kBatchFiles);
  uint64_t tree_bytes = 0;  // held in memory until the commit
  // Commits the batch; false when the mailbox is gone.
  auto flush = [&]() -> bool {
    if (imports.empty()) return true;
    if (!commit_imports(row, *batch, imports)) return false;
    if (count == 0) changed.push_back(row.name);  // announced even if a later batch fails
    count += imports.size();
    for (const Import& imp : imports) unlink_new(imp.new_name);
    imports.clear();
    tree_bytes = 0;
    batch = std::make_unique<MessageBatch>(dir, opts_.fsync);
    return true;
  };
  bool mailbox_gone = false;
  for (const FileEntry& e : entries) {
    if (markers.count(e.name)) continue;
    if (imports.size() >= kBatchFiles || batch->bytes() + tree_bytes >= kBatchBytes) {
      if (!flush()) {
        mailbox_gone = true;
        break;
      }
    }
    if (stage_new_file(row, dfd, e.name, *batch, imports)) tree_bytes += imports.back().tree.size();
  }
  if (!mailbox_gone && !flush()) mailbox_gone = true;
  batch.reset();  // removes the files of a batch that was not committed

  if (!mailbox_gone && !done.empty()) {
    // Markers go only once the unlinks are durable.
    if (unlinked && opts_.fsync && ::fsync(dfd) != 0) throw_io("fsync " + new_dir.string(), errno);
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    db_->remove_import_markers(row.id, done);
    tx.commit();
  }

  struct stat st;
  {
    std::lock_guard lock(cache_mu_);
    if (!mailbox_gone && ::fstat(dfd, &st) == 0 && is_older_than(st.st_mtim, kSettledMtimeAge)) {
      new_dir_mtime_[row.id] = st.st_mtim;
    } else {
      new_dir_mtime_.erase(row.id);
    }
  }
  return count;
}

bool MaildirUserStore::stage_new_file(const MailboxRow& row, int new_dir_fd, const std::string& name,
                                      MessageBatch& batch, std::vector<Import>& imports) {
  // A file that vanished or that we may not read is left where it is.
  int fd = ::openat(new_dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;

  Import imp;
  imp.new_name = name;
  imp.internal_date = static_cast<int64_t>(st.st_mtime);
  imp.flags = flags_from_maildir_info(name);
  MessageWriter writer(mailbox_path(row), opts_.fsync);
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io("read new/" + name, errno);
    if (n == 0) break;
    writer.write(std::string_view(buf, static_cast<size_t>(n)));
  }
  imp.size = writer.size();
  batch.add(writer.stage());
  try {
    // Read back while the file is still in the page cache.
    imp.tree = tree_of_file(batch.tmp_path(batch.size() - 1));
  } catch (const StoreError&) {
    imp.tree.clear();
  }
  imports.push_back(std::move(imp));
  return true;
}

bool MaildirUserStore::commit_imports(const MailboxRow& row, MessageBatch& batch,
                                      std::vector<Import>& imports) {
  const std::vector<std::string>& files = batch.publish();
  WriteLock lock(*this);
  Transaction tx(*db_, Transaction::kWrite);
  auto current = db_->mailbox_by_id(row.id);
  if (!current) return false;  // the batch's files go with the batch
  // One MODSEQ for the batch, as for a COPY of many messages.
  const uint64_t modseq = current->highest_modseq + 1;
  uint32_t uid = current->uidnext;
  for (size_t i = 0; i < imports.size(); ++i, ++uid) {
    if (uid == 0 || uid == UINT32_MAX) {
      throw StoreError(ErrorCode::kNotPermitted, "mailbox has used up its UIDs");
    }
    const Import& imp = imports[i];
    MessageInfo info;
    info.uid = uid;
    info.size = imp.size;
    info.internal_date = imp.internal_date;
    info.flags = imp.flags;
    info.modseq = modseq;
    int64_t id = db_->insert_message(row.id, info, files[i]);
    if (!imp.tree.empty()) db_->put_tree(id, imp.tree);
    db_->add_import_marker(row.id, imp.new_name);
  }
  db_->set_counters(row.id, uid, modseq);
  tx.commit();
  batch.keep();
  return true;
}

}  // namespace loft::store::internal

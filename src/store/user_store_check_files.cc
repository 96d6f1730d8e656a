// loft check: what no index row names. Files in a mailbox's cur/ without a
// row were never acknowledged (a writer died between its rename and its
// commit) or were expunged and not yet unlinked; files in tmp/ were left by
// a writer that died; a directory in the Maildir may be a mailbox whose row
// was lost. None is visible to clients. The store's own housekeeping on
// open deletes such files once old; a check reports them instead, and a
// repair moves them to lost+found (lost_found.h), never deleting them.
//
// Only what is old enough counts: a younger file may belong to a writer
// that is about to commit (kOrphanAge, kStaleTmpAge, as housekeeping uses).
// Moves happen under the index's write lock, after reading the index again,
// so nothing a commit names is ever taken away.
#include <sys/stat.h>

#include <algorithm>
#include <unordered_set>

#include "store/check_util.h"
#include "store/lost_found.h"
#include "store/maildir_files.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;
using Kind = CheckFinding::Kind;

// Moves per write transaction: other writers wait at most for this many
// renames (and one round of fsyncs).
constexpr size_t kMovesPerTransaction = 256;

struct Loose {
  fs::path path;       // where it is
  std::string folder;  // in lost+found
  std::string name;    // its name there
  std::string indexed_name;  // cur/ files: the name a row would have; empty otherwise
};

// Looked at again after the index was read: what went meanwhile was on
// its way out (an expunge or a mailbox deletion finishing after its commit).
bool still_there(const fs::path& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void sort_by_name(std::vector<FileEntry>& files) {
  std::sort(files.begin(), files.end(), [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
}

}  // namespace

void MaildirUserStore::check_loose_files(const MailboxRow& row, bool repair, CheckReport& report) {
  const fs::path dir = mailbox_path(row);
  // Listed before the index is read: a file committed in between is in both.
  std::vector<FileEntry> cur = list_files(dir / "cur");
  std::vector<FileEntry> tmp = list_files(dir / "tmp");
  sort_by_name(cur);
  sort_by_name(tmp);
  std::unordered_set<std::string> indexed;
  {
    WriteLock lock(*this);
    for (std::string& f : db_->files(row.id)) indexed.insert(std::move(f));
  }
  const std::string folder = lost_found_folder(row.dir);
  std::vector<CheckFinding> found;
  std::vector<Loose> loose;  // parallel to found
  for (const FileEntry& f : cur) {
    if (indexed.count(f.name) || !is_older_than(f.mtime, kOrphanAge)) continue;
    if (!still_there(dir / "cur" / f.name)) continue;  // an expunge unlinked it after its commit
    found.push_back(make_finding(Kind::kOrphanFile, row.name, 0, "file " + f.name + " in cur/ has no index row",
                                 file_label(row, "cur", f.name)));
    loose.push_back(Loose{dir / "cur" / f.name, folder, f.name, f.name});
  }
  for (const FileEntry& f : tmp) {
    if (!is_older_than(f.mtime, kStaleTmpAge)) continue;
    found.push_back(make_finding(Kind::kOrphanFile, row.name, 0,
                                 "file " + f.name + " in tmp/ was left by a delivery that never finished",
                                 file_label(row, "tmp", f.name)));
    loose.push_back(Loose{dir / "tmp" / f.name, folder, f.name, {}});
  }
  if (repair && !found.empty()) {
    LostFound lost(user_dir_, opts_.fsync);
    for (size_t start = 0; start < loose.size(); start += kMovesPerTransaction) {
      const size_t end = std::min(loose.size(), start + kMovesPerTransaction);
      try {
        WriteLock lock(*this);
        // Held, not committed: no other writer commits while we look again.
        Transaction tx(*db_, Transaction::kWrite);
        std::vector<std::string> now = db_->files(row.id);
        const std::unordered_set<std::string> still_indexed(now.begin(), now.end());
        for (size_t i = start; i < end; ++i) {
          if (!loose[i].indexed_name.empty() && still_indexed.count(loose[i].indexed_name)) {
            found[i].action = "left alone: the index names it now";
            continue;
          }
          try {
            mark_repaired(found[i], "moved to " + lost.take(loose[i].path, loose[i].folder, loose[i].name));
          } catch (const StoreError& e) {
            mark_failed(found[i], e.what());
          }
        }
        lost.sync();
      } catch (const StoreError& e) {
        for (size_t i = start; i < end; ++i) {
          if (!found[i].repaired) mark_failed(found[i], e.what());
        }
      }
    }
  }
  for (CheckFinding& f : found) report.findings.push_back(std::move(f));
}

void MaildirUserStore::check_unknown_dirs(bool repair, CheckReport& report) {
  // Listed before the index is read: a mailbox made in between (its
  // directory is made inside its transaction) is in both.
  const std::vector<FileEntry> dirs = list_mailbox_like_dirs(maildir_);
  auto known_dirs = [&] {
    std::unordered_set<std::string> known;
    for (const MailboxRow& row : db_->mailboxes()) known.insert(row.dir);
    // Deleted mailboxes whose directory housekeeping has still to remove.
    for (std::string& dir : db_->pending_removals()) known.insert(std::move(dir));
    return known;
  };
  std::unordered_set<std::string> known;
  {
    WriteLock lock(*this);
    known = known_dirs();
  }
  std::vector<CheckFinding> found;
  std::vector<std::string> names;  // parallel to found
  for (const FileEntry& d : dirs) {
    if (known.count(d.name) || !is_older_than(d.mtime, kOrphanAge)) continue;
    if (!still_there(maildir_ / d.name)) continue;  // a deleted mailbox's, removed after its commit
    found.push_back(
        make_finding(Kind::kUnknownDir, {}, 0, "directory Maildir/" + d.name + " belongs to no mailbox",
                     "Maildir/" + d.name));
    names.push_back(d.name);
  }
  if (repair && !found.empty()) {
    LostFound lost(user_dir_, opts_.fsync);
    try {
      WriteLock lock(*this);
      Transaction tx(*db_, Transaction::kWrite);  // held: no mailbox is made meanwhile
      const std::unordered_set<std::string> still_known = known_dirs();
      for (size_t i = 0; i < found.size(); ++i) {
        if (still_known.count(names[i])) {
          found[i].action = "left alone: a mailbox has it now";
          continue;
        }
        try {
          mark_repaired(found[i], "moved to " + lost.take(maildir_ / names[i], "", lost_found_folder(names[i])));
        } catch (const StoreError& e) {
          mark_failed(found[i], e.what());
        }
      }
      lost.sync();
    } catch (const StoreError& e) {
      for (CheckFinding& f : found) {
        if (!f.repaired) mark_failed(f, e.what());
      }
    }
  }
  for (CheckFinding& f : found) report.findings.push_back(std::move(f));
}

}  // namespace loft::store::internal

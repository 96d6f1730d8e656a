#include "store/index_rebuild.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <ctime>
#include <optional>
#include <set>

#include "store/index_db.h"
#include "store/index_salvage.h"
#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/search_index_db.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

constexpr char kIndexName[] = "index.sqlite";
// When the damaged index no longer says which UIDVALIDITYs it handed out:
// they were each the time of a mailbox's creation or, within a burst of
// creations, one more than the last, so none is above the time now plus
// the number of mailboxes ever made in one burst. This margin covers that.
constexpr uint32_t kUnknownUidvalidityMargin = 3600;

// The highest UIDVALIDITY handed out, as far as can be told: the damaged
// index's record, else the highest of its mailboxes and of the search
// index's boxes (which carry the UIDVALIDITY they were built for), and the
// margin above.
uint32_t last_uidvalidity(const fs::path& user_dir, const Salvage& salvage) {
  if (salvage.last_uidvalidity_known) return salvage.last_uidvalidity;
  uint64_t last = salvage.last_uidvalidity;
  for (const SearchBoxRow& box : SearchIndexDb::Inspect(user_dir / "search.sqlite").boxes) {
    last = std::max<uint64_t>(last, box.key.uidvalidity);
  }
  last = std::max<uint64_t>(last, static_cast<uint64_t>(std::time(nullptr)) + kUnknownUidvalidityMargin);
  return static_cast<uint32_t>(std::min<uint64_t>(last, UINT32_MAX - 100000));
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// index.sqlite and its WAL moved to index.sqlite.damaged-<time>[-wal]; the
// WAL first, so that a crash part-way never leaves it beside a new index
// (SQLite would replay it there). Returns the new name of the main file.
std::string move_aside(const fs::path& user_dir) {
  const fs::path index = user_dir / kIndexName;
  for (int n = 0;; ++n) {
    std::string aside = std::string(kIndexName) + ".damaged-" + utc_stamp();
    if (n > 0) aside += "." + std::to_string(n);
    struct stat st;
    if (::lstat((user_dir / aside).c_str(), &st) == 0) {
      if (n > 100) throw StoreError(ErrorCode::kTemporary, "no free name to move the index aside");
      continue;
    }
    for (const char* suffix : {"-wal", "-shm", ""}) {
      const fs::path from = index.string() + suffix;
      const fs::path to = (user_dir / aside).string() + suffix;
      if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0 && errno != ENOENT) {
        throw_io("move " + from.string() + " aside", errno);
      }
    }
    return aside;
  }
}

void remove_db_files(const fs::path& file) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) unlink_quiet(file.string() + suffix);
}

// The name a directory's mailbox gets: what the damaged index said, else
// the name the directory was made for, else "Recovered/<directory>"; never
// INBOX or a name already taken. Empty when none is valid.
std::string pick_name(const std::string& dir, const Salvage& salvage, const std::set<std::string>& taken) {
  std::vector<std::string> candidates;
  if (auto it = salvage.mailboxes.find(dir); it != salvage.mailboxes.end()) candidates.push_back(it->second.name);
  candidates.push_back(decode_mailbox_dir(dir));
  candidates.push_back("Recovered/" + dir.substr(1));
  for (const std::string& c : candidates) {
    try {
      std::string name = canonical_mailbox_name(c);
      if (!is_inbox(name) && !taken.count(name)) return name;
    } catch (const StoreError&) {
    }
  }
  return {};
}

std::string special_use_of(const std::string& dir, const std::string& name, const Salvage& salvage) {
  if (auto it = salvage.mailboxes.find(dir); it != salvage.mailboxes.end()) return it->second.special_use;
  for (const DefaultMailbox& def : kDefaultMailboxes) {
    if (name == def.name) return def.special_use;
  }
  return {};
}

// When a file was delivered, to the microsecond: from a store file name
// ("<seconds>.M<microseconds>P..."; the digits are not zero-padded, so names
// do not sort by time), else the file's mtime.
struct Delivered {
  int64_t seconds = 0;
  int64_t micros = 0;
  auto operator<=>(const Delivered&) const = default;
};

Delivered delivered(const FileEntry& f) {
  if (is_store_file_name(f.name)) {
    const size_t dot = f.name.find('.');
    const size_t p = f.name.find('P', dot);
    return {std::stoll(f.name.substr(0, dot)), std::stoll(f.name.substr(dot + 2, p - dot - 2))};
  }
  return {static_cast<int64_t>(f.mtime.tv_sec), static_cast<int64_t>(f.mtime.tv_nsec / 1000)};
}

// Adds every file in the mailbox's cur/ as a message; returns UIDNEXT.
uint32_t add_messages(IndexDb& db, int64_t mailbox_id, const std::string& dir, const fs::path& path,
                      const Salvage& salvage, RebuildResult& result) {
  std::vector<FileEntry> files = list_files(path / "cur");
  // UIDs in delivery order, as they were given.
  std::sort(files.begin(), files.end(), [](const FileEntry& a, const FileEntry& b) {
    const Delivered first = delivered(a), second = delivered(b);
    return first != second ? first < second : a.name < b.name;
  });
  uint32_t uid = 1;
  for (const FileEntry& f : files) {
    struct stat st;
    if (::lstat((path / "cur" / f.name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    MessageInfo info;
    info.uid = uid++;
    info.size = static_cast<uint64_t>(st.st_size);
    info.modseq = 1;
    std::vector<std::string> keywords;
    if (auto it = salvage.messages.find({dir, f.name}); it != salvage.messages.end()) {
      info.flags = it->second.flags;
      info.internal_date = it->second.internal_date;
      info.internal_tz = it->second.internal_tz;
      keywords = it->second.keywords;
      ++result.salvaged;
    } else {
      info.flags = flags_from_maildir_info(f.name);  // a foreign Maildir name may carry some
      info.internal_date = delivered(f).seconds;
    }
    const int64_t id = db.insert_message(mailbox_id, info, f.name);
    db.add_keywords(id, keywords);
    ++result.messages;
  }
  return uid;
}

}  // namespace

RebuildResult rebuild_index(const fs::path& user_dir, bool fsync) {
  RebuildResult result;
  Salvage salvage;
  struct stat st;
  if (::lstat((user_dir / kIndexName).c_str(), &st) == 0) {
    result.moved_aside = move_aside(user_dir);
    if (fsync) fsync_dir(user_dir);
    salvage = salvage_index(user_dir / result.moved_aside);
  }
  const fs::path maildir = user_dir / "Maildir";
  const fs::path building = user_dir / (std::string(kIndexName) + ".rebuilding");
  remove_db_files(building);  // left by a rebuild that died
  {
    IndexDb db(building, fsync);
    Transaction tx(db, Transaction::kWrite);
    // UIDVALIDITY must change for every mailbox: above anything handed out.
    db.raise_last_uidvalidity(last_uidvalidity(user_dir, salvage));
    std::vector<std::pair<std::string, std::string>> boxes = {{"", kInboxName}};  // (dir, name)
    std::set<std::string> taken = {kInboxName};
    for (const FileEntry& d : list_mailbox_like_dirs(maildir)) {
      // Unusable names stay where they are; loft check reports them.
      if (!is_safe_mailbox_dir(d.name)) continue;
      if (salvage.pending_removals.count(d.name)) {
        db.add_pending_removal(d.name);  // deleted: housekeeping finishes it
        continue;
      }
      std::string name = pick_name(d.name, salvage, taken);
      if (name.empty()) continue;
      taken.insert(name);
      boxes.emplace_back(d.name, std::move(name));
    }
    for (const auto& [dir, name] : boxes) {
      MailboxRow row;
      row.name = name;
      row.dir = dir;
      row.special_use = special_use_of(dir, name, salvage);
      row.uidvalidity = db.next_uidvalidity();
      const int64_t id = db.insert_mailbox(row);
      const fs::path path = dir.empty() ? maildir : maildir / dir;
      db.set_counters(id, add_messages(db, id, dir, path, salvage, result), 1);
      for (const auto& [marker_dir, file] : salvage.import_markers) {
        if (marker_dir == dir) db.add_import_marker(id, file);  // taken in already: not twice
      }
      ++result.mailboxes;
    }
    if (salvage.subscriptions) {
      for (const std::string& name : *salvage.subscriptions) db.set_subscribed(name, true);
    } else {
      for (const std::string& name : taken) db.set_subscribed(name, true);
    }
    tx.commit();
  }  // closed: checkpointed, its WAL gone
  const fs::path index = user_dir / kIndexName;
  if (::renameat2(AT_FDCWD, building.c_str(), AT_FDCWD, index.c_str(), RENAME_NOREPLACE) != 0) {
    throw_io("rename " + building.string() + " into place", errno);
  }
  if (fsync) fsync_dir(user_dir);
  return result;
}

}  // namespace loft::store::internal

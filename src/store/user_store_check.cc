// MaildirUserStore::check() (loft check): the order of the parts, the INBOX
// row, mailbox directories, and each mailbox's rows against its files
// (missing files, sizes, files named twice, UIDNEXT, HIGHESTMODSEQ, expunge
// records). Files no row names are user_store_check_files.cc's, cached
// trees user_store_check_trees.cc's, the search index
// user_store_check_search.cc's.
//
// Safe beside a running server: the read pass takes a read transaction, and
// each repair is one write transaction that first checks again, under the
// write lock, that what it repairs is still so (a row expunged meanwhile is
// left alone). Repairs change MODSEQs and are announced like any commit
// (the change feed, the notify socket), so IMAP sessions see removed rows
// as EXPUNGE / VANISHED and corrected sizes as changed messages. A
// removed row's UID is never given out again: UIDNEXT stays.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "store/check_util.h"
#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;
using Kind = CheckFinding::Kind;

enum class FileState { kPresent, kMissing, kUnusable };
struct OnDisk {
  FileState state = FileState::kMissing;
  uint64_t size = 0;
  std::string why;  // kUnusable: what is wrong with it
};

// Message files never change once written, so this needs no lock.
OnDisk look_at(const fs::path& mailbox_dir, const std::string& file) {
  fs::path path;
  try {
    path = cur_path(mailbox_dir, file);
  } catch (const StoreError&) {
    return {FileState::kUnusable, 0, "is not a plain file name"};
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {FileState::kMissing, 0, {}};
    return {FileState::kUnusable, 0, std::strerror(errno)};
  }
  if (!S_ISREG(st.st_mode)) return {FileState::kUnusable, 0, "is not a regular file"};
  return {FileState::kPresent, static_cast<uint64_t>(st.st_size), {}};
}

}  // namespace

struct MaildirUserStore::MessagePlan {
  struct Item {
    size_t finding = 0;  // index into the mailbox's findings
    MessageRow row;
    uint64_t disk_size = 0;
    std::string new_file;  // kSharedFile: the row's own copy
  };
  std::vector<Item> missing, resized, shared;
  std::vector<std::pair<size_t, uint32_t>> vanished;  // an expunge record of a present UID
  std::optional<size_t> uidnext_finding, modseq_finding;
  std::optional<size_t> status_finding;  // the row's STATUS counts disagree with its messages
  uint32_t max_uid = 0;     // over rows and expunge records
  uint64_t max_modseq = 0;  // likewise
  // Every finding this plan would repair.
  std::vector<size_t> findings() const {
    std::vector<size_t> out;
    for (const auto* items : {&missing, &resized, &shared}) {
      for (const Item& item : *items) out.push_back(item.finding);
    }
    for (const auto& v : vanished) out.push_back(v.first);
    if (uidnext_finding) out.push_back(*uidnext_finding);
    if (status_finding) out.push_back(*status_finding);
    if (modseq_finding) out.push_back(*modseq_finding);
    return out;
  }
  bool empty() const {
    return missing.empty() && resized.empty() && shared.empty() && vanished.empty() && !uidnext_finding &&
           !modseq_finding && !status_finding;
  }
};

CheckReport MaildirUserStore::check(bool repair) {
  CheckReport report;
  // Each part on its own: one that fails (a lock held too long, an I/O
  // error) is reported and the others still run.
  auto part = [&](const std::string& what, auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      report.complete = false;
      report.notes.push_back(what + ": check not finished: " + e.what());
    }
  };
  part("INBOX", [&] { check_inbox_row(repair, report); });
  std::vector<MailboxRow> rows;
  part("mailboxes", [&] {
    WriteLock lock(*this);
    rows = db_->mailboxes();
  });
  for (const MailboxRow& row : rows) {
    ++report.mailboxes;
    part("mailbox " + row.name, [&] {
      if (!is_safe_mailbox_dir(row.dir)) {
        // Never used as a path; nothing of it can be checked or repaired.
        report.findings.push_back(make_finding(Kind::kIndexDamaged, row.name, 0,
                                               "the index names an unsafe directory for it"));
        return;
      }
      check_mailbox_dirs(row, repair, report);
      report.messages += check_messages(row, repair, report);
      check_trees(row, repair, report);
      check_loose_files(row, repair, report);
    });
  }
  part("Maildir", [&] { check_unknown_dirs(repair, report); });
  part("search index", [&] { check_search_index(repair, report); });
  return report;
}

// The store always has an INBOX row; without one (an index edited by hand)
// the Maildir's own cur/ would belong to nothing.
void MaildirUserStore::check_inbox_row(bool repair, CheckReport& report) {
  // No mailbox at all is a store whose first open has not made its default
  // mailboxes yet (it makes all of them in one transaction, or none): not
  // a problem, and not ours to make.
  auto state = [&] {
    if (db_->mailbox_by_name(kInboxName)) return 1;
    return db_->mailboxes().empty() ? 0 : -1;
  };
  {
    WriteLock lock(*this);
    const int s = state();
    if (s == 0) report.notes.push_back("no mailboxes yet: they are made when the mail is first opened");
    if (s >= 0) return;
  }
  CheckFinding f = make_finding(Kind::kIndexDamaged, kInboxName, 0, "INBOX has no row in the index");
  if (repair) {
    try {
      {
        WriteLock lock(*this);
        Transaction tx(*db_, Transaction::kWrite);
        if (state() < 0) {
          MailboxRow row;
          row.name = kInboxName;
          row.uidvalidity = db_->next_uidvalidity();  // above the lost row's
          db_->insert_mailbox(row);
          db_->set_subscribed(row.name, true);
        }
        tx.commit();
      }
      // Its files have no rows now: they are orphans, moved to lost+found below.
      mark_repaired(f, "INBOX made again, empty, with a new UIDVALIDITY");
      announce({kInboxName});
    } catch (const StoreError& e) {
      mark_failed(f, e.what());
    }
  }
  report.findings.push_back(std::move(f));
}

void MaildirUserStore::check_mailbox_dirs(const MailboxRow& row, bool repair, CheckReport& report) {
  const fs::path dir = mailbox_path(row);
  std::vector<std::string> missing;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    missing.push_back(dir_label(row));
  } else {
    for (const char* sub : {"cur", "new", "tmp"}) {
      if (!fs::is_directory(dir / sub, ec)) missing.push_back(dir_label(row) + "/" + sub);
    }
  }
  for (const std::string& label : missing) {
    CheckFinding f = make_finding(Kind::kMailboxDir, row.name, 0, "directory " + label + " is missing", label);
    if (repair) {
      try {
        make_maildir(dir, opts_.fsync);  // makes whatever of it is missing
        mark_repaired(f, "made again (empty)");
      } catch (const StoreError& e) {
        mark_failed(f, e.what());
      }
    }
    report.findings.push_back(std::move(f));
  }
}

uint64_t MaildirUserStore::check_messages(const MailboxRow& listed, bool repair, CheckReport& report) {
  MailboxRow row;
  std::vector<MessageRow> rows;
  std::vector<TombstoneRow> tombstones;
  {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kRead);
    std::optional<MailboxRow> current = db_->mailbox_by_id(listed.id);
    if (!current) return 0;  // deleted meanwhile
    row = *current;
    rows = db_->messages(row.id);
    tombstones = db_->tombstones(row.id);
    tx.commit();
  }
  const fs::path dir = mailbox_path(row);
  std::vector<CheckFinding> found;
  MessagePlan plan;
  auto add = [&](Kind kind, uint32_t uid, std::string problem, const std::string& file = {}) {
    found.push_back(
        make_finding(kind, row.name, uid, std::move(problem), file.empty() ? file : file_label(row, "cur", file)));
    return found.size() - 1;
  };
  std::vector<OnDisk> disk;
  disk.reserve(rows.size());
  for (const MessageRow& m : rows) disk.push_back(look_at(dir, m.file));
  // A file found missing may have been expunged meanwhile (the row goes
  // first, the file after): only a row that is still there is a problem.
  std::unordered_set<int64_t> expunged_meanwhile;
  if (std::any_of(disk.begin(), disk.end(), [](const OnDisk& d) { return d.state == FileState::kMissing; })) {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kRead);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (disk[i].state != FileState::kMissing) continue;
      std::optional<MessageRow> now = db_->message(row.id, rows[i].info.uid);
      if (!now || now->id != rows[i].id) expunged_meanwhile.insert(rows[i].id);
    }
    tx.commit();
  }
  std::unordered_map<std::string, uint32_t> uid_by_file;
  std::unordered_set<uint32_t> present;
  for (size_t i = 0; i < rows.size(); ++i) {
    const MessageRow& m = rows[i];
    const uint32_t uid = m.info.uid;
    present.insert(uid);
    plan.max_uid = std::max(plan.max_uid, uid);
    plan.max_modseq = std::max(plan.max_modseq, m.info.modseq);
    if (disk[i].state == FileState::kMissing) {
      if (!expunged_meanwhile.count(m.id)) {
        plan.missing.push_back({add(Kind::kMissingFile, uid, "file " + m.file + " is missing", m.file), m, 0, {}});
      }
      continue;
    }
    if (disk[i].state == FileState::kUnusable) {
      add(Kind::kMissingFile, uid, "file " + m.file + " " + disk[i].why, m.file);  // not ours to change
      continue;
    }
    auto [first, fresh] = uid_by_file.emplace(m.file, uid);
    if (!fresh) {
      plan.shared.push_back({add(Kind::kSharedFile, uid,
                                 "file " + m.file + " is also the file of uid " + std::to_string(first->second),
                                 m.file),
                             m, disk[i].size, {}});
    }
    if (disk[i].size != m.info.size) {
      plan.resized.push_back({add(Kind::kSizeMismatch, uid,
                                  "file " + m.file + " has " + std::to_string(disk[i].size) +
                                      " octets, the index says " + std::to_string(m.info.size),
                                  m.file),
                              m, disk[i].size, {}});
    }
  }
  for (const TombstoneRow& t : tombstones) {
    plan.max_uid = std::max(plan.max_uid, t.uid);
    plan.max_modseq = std::max(plan.max_modseq, t.modseq);
    if (present.count(t.uid)) {
      plan.vanished.emplace_back(add(Kind::kTombstone, t.uid, "present, but also recorded as expunged"), t.uid);
    }
  }
  if (plan.max_uid >= row.uidnext) {
    plan.uidnext_finding = add(Kind::kCounters, 0,
                               "UIDNEXT " + std::to_string(row.uidnext) + " is not above UID " +
                                   std::to_string(plan.max_uid));
  }
  if (plan.max_modseq > row.highest_modseq) {
    plan.modseq_finding = add(Kind::kCounters, 0,
                              "HIGHESTMODSEQ " + std::to_string(row.highest_modseq) + " is below MODSEQ " +
                                  std::to_string(plan.max_modseq));
  }
  MailboxRow counted;
  for (const MessageRow& m : rows) {
    ++counted.message_count;
    counted.unseen_count += (m.info.flags & kSeen) == 0;
    counted.deleted_count += (m.info.flags & kDeleted) != 0;
    counted.total_size += m.info.size;
  }
  if (counted.message_count != row.message_count || counted.unseen_count != row.unseen_count ||
      counted.deleted_count != row.deleted_count || counted.total_size != row.total_size) {
    auto counts = [](const MailboxRow& r) {
      return std::to_string(r.message_count) + " messages, " + std::to_string(r.unseen_count) + " unseen, " +
             std::to_string(r.deleted_count) + " deleted, " + std::to_string(r.total_size) + " octets";
    };
    plan.status_finding =
        add(Kind::kCounters, 0, "STATUS counts say " + counts(row) + "; the messages are " + counts(counted));
  }
  if (repair && !plan.empty()) repair_messages(row, plan, found);
  for (CheckFinding& f : found) report.findings.push_back(std::move(f));
  return rows.size();
}

void MaildirUserStore::repair_messages(const MailboxRow& row, MessagePlan& plan, std::vector<CheckFinding>& found) {
  const fs::path dir = mailbox_path(row);
  // Files first, as every change does: a row sharing its file gets a copy
  // of its own (a hard link) before the commit that names it, so expunging
  // one of them never takes the other's content.
  std::vector<fs::path> created;
  auto drop_created = [&] {
    for (const fs::path& p : created) unlink_quiet(p);
    created.clear();
  };
  try {
    for (MessagePlan::Item& item : plan.shared) {
      item.new_file = cur_file_name(new_unique_name(), item.disk_size);
      link_or_copy(cur_path(dir, item.row.file), cur_path(dir, item.new_file), opts_.fsync);
      created.push_back(cur_path(dir, item.new_file));
    }
    if (opts_.fsync && !created.empty()) fsync_dir(dir / "cur");
  } catch (const StoreError& e) {
    drop_created();
    for (const MessagePlan::Item& item : plan.shared) mark_failed(found[item.finding], e.what());
    plan.shared.clear();
  }

  std::vector<std::pair<size_t, std::string>> done;  // finding, action: marked once committed
  std::string name;
  try {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    std::optional<MailboxRow> current = db_->mailbox_by_id(row.id);
    if (!current) {
      drop_created();  // deleted meanwhile: its rows went with it
      return;
    }
    name = current->name;
    // What the read pass saw, still so under the write lock?
    auto unchanged = [&](const MessagePlan::Item& item) {
      std::optional<MessageRow> now = db_->message(row.id, item.row.info.uid);
      return now && now->id == item.row.id && now->file == item.row.file;
    };
    const bool bump = !plan.missing.empty() || !plan.resized.empty() || !plan.vanished.empty();
    const uint64_t modseq = std::max(current->highest_modseq, plan.max_modseq) + (bump ? 1 : 0);
    const uint32_t uidnext =
        std::max(current->uidnext, plan.max_uid == UINT32_MAX ? UINT32_MAX : plan.max_uid + 1);
    // A row expunged since the read pass is no problem any more.
    const std::string changed_meanwhile = "expunged meanwhile";
    for (const MessagePlan::Item& item : plan.missing) {
      if (!unchanged(item)) {
        done.emplace_back(item.finding, changed_meanwhile);
        continue;
      }
      db_->delete_message(item.row.id);  // keywords and cached tree go with it
      db_->insert_tombstone(row.id, item.row.info.uid, modseq);
      done.emplace_back(item.finding, "row removed (its UID is not used again)");
    }
    for (const MessagePlan::Item& item : plan.shared) {
      if (!unchanged(item)) {
        done.emplace_back(item.finding, changed_meanwhile);
        unlink_quiet(cur_path(dir, item.new_file));  // named by nothing
        continue;
      }
      db_->set_file(item.row.id, item.new_file);
      done.emplace_back(item.finding, "given a copy of its own, " + item.new_file);
    }
    for (const MessagePlan::Item& item : plan.resized) {
      // The file is the content: the index follows it. Its cached tree was
      // made from other bytes, and so were its search index entries (the
      // mailbox's box is dropped after the commit).
      if (!unchanged(item)) {
        done.emplace_back(item.finding, changed_meanwhile);
        continue;
      }
      db_->set_size(item.row.id, item.disk_size, modseq);
      db_->drop_tree(item.row.id);
      done.emplace_back(item.finding, "recorded size set to " + std::to_string(item.disk_size) +
                                          "; cached tree and the mailbox's search index dropped");
    }
    for (const auto& [finding, uid] : plan.vanished) {
      // Sessions may have been told it is gone: a new MODSEQ makes them hear
      // of it again.
      db_->delete_tombstone(row.id, uid);
      if (std::optional<MessageRow> m = db_->message(row.id, uid)) db_->set_flags(m->id, m->info.flags, modseq);
      done.emplace_back(finding, "expunge record dropped");
    }
    if (plan.uidnext_finding) done.emplace_back(*plan.uidnext_finding, "UIDNEXT raised to " + std::to_string(uidnext));
    if (plan.modseq_finding) done.emplace_back(*plan.modseq_finding, "HIGHESTMODSEQ raised to " + std::to_string(modseq));
    db_->set_counters(row.id, uidnext, modseq);
    // Last, so that they count what the repairs above left.
    db_->recount(row.id);
    if (plan.status_finding) done.emplace_back(*plan.status_finding, "counts taken again from the messages");
    tx.commit();
  } catch (const StoreError& e) {
    drop_created();
    for (size_t finding : plan.findings()) mark_failed(found[finding], e.what());
    return;
  }
  for (auto& [finding, action] : done) mark_repaired(found[finding], std::move(action));
  announce({name});
  if (!plan.resized.empty()) {
    try {
      search_->forget(SearchMailboxKey{row.id, row.uidvalidity});
    } catch (const std::exception& e) {
      // Only derived data: SEARCH may keep old answers for these messages.
      for (const MessagePlan::Item& item : plan.resized) {
        found[item.finding].action += " (search index not dropped: " + std::string(e.what()) + ")";
      }
    }
  }
}

}  // namespace loft::store::internal

// MaildirUserStore: opening, housekeeping, reads.
#include "store/user_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_set>

#include "store/lost_found.h"
#include "store/mailbox_names.h"
#include "store/maildir_files.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

}  // namespace

MaildirUserStore::MaildirUserStore(std::string user, const MaildirOptions& opts,
                                   std::shared_ptr<const Notifier> notifier, bool housekeeping,
                                   std::shared_ptr<DirWatcher> watcher)
    : user_(std::move(user)),
      user_dir_(opts.root / user_),
      maildir_(user_dir_ / "Maildir"),
      opts_(opts),
      notifier_(std::move(notifier)),
      readers_(user_dir_ / "index.sqlite"),
      watcher_(std::move(watcher)) {
  check_user_name(user_);
  std::error_code ec;
  fs::create_directories(opts_.root, ec);
  if (::mkdir(user_dir_.c_str(), 0700) != 0) {
    if (errno != EEXIST) throw_io("mkdir " + user_dir_.string(), errno);
  } else if (opts_.fsync) {
    fsync_dir(opts_.root);
  }
  if (housekeeping) make_maildir(maildir_, opts_.fsync);
  db_ = std::make_unique<IndexDb>(user_dir_ / "index.sqlite", opts_.fsync);
  WriteLock lock(*this);
  if (housekeeping) {
    create_default_mailboxes();
    clean_up();
  }
  start_search_index(/*background=*/housekeeping);
}

void MaildirUserStore::create_default_mailboxes() {
  if (db_->mailbox_by_name(kInboxName)) return;
  Transaction tx(*db_, Transaction::kWrite);
  if (db_->mailbox_by_name(kInboxName)) return;  // another process was first
  for (const auto& def : kDefaultMailboxes) {
    MailboxRow row;
    row.name = def.name;
    row.special_use = def.special_use;
    db_->set_subscribed(row.name, true);
    if (!is_inbox(row.name)) {
      row.dir = choose_dir(row.name);
      make_maildir(maildir_ / row.dir, opts_.fsync);
    }
    row.uidvalidity = db_->next_uidvalidity();
    db_->insert_mailbox(row);
  }
  tx.commit();
  // The new index file's directory entry must be durable too.
  if (opts_.fsync) fsync_dir(user_dir_);
}

std::string MaildirUserStore::choose_dir(std::string_view canonical_name) {
  const std::string base = encode_mailbox_dir(canonical_name);
  std::string dir = base;
  for (int n = 2;; ++n) {
    struct stat st;
    bool on_disk = ::lstat((maildir_ / dir).c_str(), &st) == 0 || errno != ENOENT;
    if (!on_disk && !db_->dir_taken(dir)) return dir;
    if (n > 100000) throw StoreError(ErrorCode::kTemporary, "no free directory name for mailbox");
    dir = base + "~" + std::to_string(n);
  }
}

void MaildirUserStore::clean_up() {
  // Best effort: housekeeping must never keep a user from their mail.
  try {
    finish_pending_removals();
    for (const MailboxRow& row : db_->mailboxes()) {
      try {
        clean_mailbox_files(row);
      } catch (const StoreError&) {
      }
    }
  } catch (const StoreError&) {
  }
}

void MaildirUserStore::finish_pending_removals() {
  for (const std::string& dir : db_->pending_removals()) {
    if (dir.empty() || !is_safe_mailbox_dir(dir)) continue;
    if (!remove_tree(maildir_ / dir)) continue;
    Transaction tx(*db_, Transaction::kWrite);
    db_->drop_pending_removal(dir);
    tx.commit();
  }
}

void MaildirUserStore::clean_mailbox_files(const MailboxRow& row) {
  const fs::path dir = mailbox_path(row);
  for (const FileEntry& f : list_files(dir / "tmp")) {
    if (is_older_than(f.mtime, kStaleTmpAge)) unlink_quiet(dir / "tmp" / f.name);
  }
  // List first, then read the index: a file committed in between is in both.
  std::vector<FileEntry> cur = list_files(dir / "cur");
  std::vector<std::string> indexed = db_->files(row.id);
  std::unordered_set<std::string> known(indexed.begin(), indexed.end());
  // Old orphans go to lost+found, never deleted. By the order of work they
  // are deliveries never acknowledged or messages expunged but not yet
  // unlinked; but a lost or replaced index makes every message look like one.
  LostFound lost(user_dir_, opts_.fsync);
  bool moved = false;
  for (const FileEntry& f : cur) {
    // Only our own names: a foreign file is not ours to move.
    if (known.count(f.name) || !is_store_file_name(f.name) || !is_older_than(f.mtime, kOrphanAge)) continue;
    try {
      lost.take(dir / "cur" / f.name, lost_found_folder(row.dir), f.name);
      moved = true;
    } catch (const StoreError&) {
    }
  }
  if (moved) lost.sync();
}

MailboxRow MaildirUserStore::require_mailbox(IndexDb& db, std::string_view canonical_name) {
  auto row = db.mailbox_by_name(canonical_name);
  if (!row) throw StoreError(ErrorCode::kNotFound, "no such mailbox");
  return *row;
}

fs::path MaildirUserStore::mailbox_path(const MailboxRow& row) const {
  // The index is trusted, but a path leaving the Maildir is never built.
  if (!is_safe_mailbox_dir(row.dir))
    throw StoreError(ErrorCode::kTemporary, "index holds a bad directory name");
  return row.dir.empty() ? maildir_ : maildir_ / row.dir;
}

void MaildirUserStore::announce(const Changed& changed, size_t added) {
  for (const std::string& mailbox : changed) {
    feed_->publish(mailbox);
    if (notifier_) notifier_->send(user_, mailbox);
    if (search_) search_->kick(mailbox, added);  // indexed off the caller's thread
  }
}

std::unique_ptr<Subscription> MaildirUserStore::subscribe(
    std::function<void(const std::string& mailbox)> cb) {
  auto subscription = feed_->subscribe(std::move(cb));
  refresh_watches();
  return subscription;
}

MailboxStatus MaildirUserStore::status(std::string_view mailbox) {
  const std::string name = canonical_mailbox_name(mailbox);
  Changed changed;
  const size_t taken_in = take_in_new_if_changed(name, changed);
  MailboxStatus st;
  {
    ReadAccess db(*this);
    Transaction tx(*db, Transaction::kRead);
    st = db->status(require_mailbox(*db, name));
    tx.commit();
  }
  announce(changed, taken_in);
  return st;
}

std::vector<MessageInfo> MaildirUserStore::list_messages(std::string_view mailbox) {
  const std::string name = canonical_mailbox_name(mailbox);
  Changed changed;
  const size_t taken_in = take_in_new_if_changed(name, changed);
  std::vector<MessageInfo> out;
  {
    ReadAccess db(*this);
    Transaction tx(*db, Transaction::kRead);
    std::vector<MessageRow> rows = db->messages(require_mailbox(*db, name).id);
    tx.commit();
    out.reserve(rows.size());
    for (MessageRow& r : rows) out.push_back(std::move(r.info));
  }
  announce(changed, taken_in);
  return out;
}

MessageFile MaildirUserStore::open_message(std::string_view mailbox, uint32_t uid) {
  const std::string name = canonical_mailbox_name(mailbox);
  ReadAccess db(*this);
  Transaction tx(*db, Transaction::kRead);
  MailboxRow row = require_mailbox(*db, name);
  auto msg = db->message(row.id, uid);
  if (!msg) throw StoreError(ErrorCode::kNotFound, "no such message");
  // kNotFound when expunged by another process since the lookup.
  return open_message_file(cur_path(mailbox_path(row), msg->file));
}

// One read transaction for all of them: the POP3 read-ahead's batch costs
// one index lookup, not one per message.
std::vector<std::optional<MessageFile>> MaildirUserStore::open_messages(std::string_view mailbox,
                                                                        std::span<const uint32_t> uids) {
  const std::string name = canonical_mailbox_name(mailbox);
  std::vector<std::optional<MessageFile>> out;
  out.reserve(uids.size());
  ReadAccess db(*this);
  Transaction tx(*db, Transaction::kRead);
  MailboxRow row = require_mailbox(*db, name);
  const fs::path dir = mailbox_path(row);
  for (uint32_t uid : uids) {
    auto msg = db->message(row.id, uid);
    if (!msg) {
      out.emplace_back(std::nullopt);
      continue;
    }
    try {
      out.emplace_back(open_message_file(cur_path(dir, msg->file)));
    } catch (const StoreError& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      out.emplace_back(std::nullopt);  // expunged by another process since the lookup
    }
  }
  return out;
}

MailboxChanges MaildirUserStore::changes_since(std::string_view mailbox, uint64_t modseq) {
  MailboxChanges out;
  read_taking_in_new(canonical_mailbox_name(mailbox), [&](IndexDb& db, const MailboxRow& row) {
    out.highest_modseq = row.highest_modseq;
    for (MessageRow& r : db.messages(row.id, modseq)) out.added_or_changed.push_back(std::move(r.info));
    out.expunged = db.tombstones_since(row.id, modseq);
  });
  return out;
}

}  // namespace loft::store::internal

// MaildirUserStore: mailbox management. A mailbox's directory is chosen
// once, at creation, and recorded in the index; RENAME changes only names.
#include <algorithm>
#include <array>

#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

// RFC 6154 (and RFC 8457's \Important).
constexpr std::array<std::string_view, 8> kSpecialUses = {"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
                                                          "\\Junk", "\\Sent",    "\\Trash",  "\\Important"};

}  // namespace

std::vector<MailboxInfo> MaildirUserStore::list_mailboxes() {
  ReadAccess db(*this);
  std::vector<MailboxInfo> out;
  for (MailboxRow& row : db->mailboxes()) {
    out.push_back(MailboxInfo{std::move(row.name), std::move(row.special_use), row.subscribed});
  }
  return out;
}

std::vector<std::string> MaildirUserStore::list_subscriptions() {
  ReadAccess db(*this);
  return db->subscriptions();
}

bool MaildirUserStore::mailbox_exists(std::string_view name) {
  std::string canonical;
  try {
    canonical = canonical_mailbox_name(name);
  } catch (const StoreError&) {
    return false;  // a name that cannot be created does not exist
  }
  ReadAccess db(*this);
  return db->mailbox_by_name(canonical).has_value();
}

void MaildirUserStore::create_mailbox(std::string_view name, std::string_view special_use) {
  const std::string canonical = canonical_mailbox_name(name);
  if (!special_use.empty() &&
      std::find(kSpecialUses.begin(), kSpecialUses.end(), special_use) == kSpecialUses.end()) {
    throw StoreError(ErrorCode::kNotPermitted, "unknown special-use attribute");
  }
  if (is_inbox(canonical)) throw StoreError(ErrorCode::kAlreadyExists, "mailbox exists");
  {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    if (db_->mailbox_by_name(canonical)) throw StoreError(ErrorCode::kAlreadyExists, "mailbox exists");
    MailboxRow row;
    row.name = canonical;
    row.special_use = std::string(special_use);
    row.dir = choose_dir(canonical);
    const fs::path path = mailbox_path(row);
    try {
      make_maildir(path, opts_.fsync);
      row.uidvalidity = db_->next_uidvalidity();
      db_->insert_mailbox(row);
      tx.commit();
    } catch (...) {
      remove_tree(path);  // choose_dir() made sure nobody else uses it
      throw;
    }
  }
  refresh_watches();
  announce({canonical});
}

void MaildirUserStore::delete_mailbox(std::string_view name) {
  const std::string canonical = canonical_mailbox_name(name);
  if (is_inbox(canonical)) throw StoreError(ErrorCode::kNotPermitted, "INBOX cannot be deleted");
  {
    WriteLock lock(*this);
    MailboxRow row;
    {
      Transaction tx(*db_, Transaction::kWrite);
      row = require_mailbox(canonical);
      mailbox_path(row);  // refuses a bad directory before anything changes
      // The directory goes after the commit; recording it first means a
      // crash in between is finished on the next open.
      db_->delete_mailbox(row.id);
      db_->add_pending_removal(row.dir);
      tx.commit();
    }
    {
      std::lock_guard cache_lock(cache_mu_);
      new_dir_mtime_.erase(row.id);
      snapshots_.erase(row.id);
    }
    if (remove_tree(mailbox_path(row))) {
      try {
        Transaction tx(*db_, Transaction::kWrite);
        db_->drop_pending_removal(row.dir);
        tx.commit();
      } catch (const StoreError&) {
        // Retried on the next open; the mailbox is deleted either way.
      }
    }
  }
  refresh_watches();
  announce({canonical});
}

void MaildirUserStore::rename_mailbox(std::string_view from, std::string_view to) {
  const std::string src = canonical_mailbox_name(from);
  const std::string dst = canonical_mailbox_name(to);
  if (is_inbox(dst) || src == dst) throw StoreError(ErrorCode::kAlreadyExists, "mailbox exists");
  if (!is_inbox(src) && is_same_or_below(dst, src)) {
    throw StoreError(ErrorCode::kNotPermitted, "cannot rename a mailbox below itself");
  }
  Changed changed;
  std::vector<fs::path> unlink_after;
  // Mail already dropped into INBOX's new/ goes with the rest (and is
  // announced now, whatever becomes of the rename).
  if (is_inbox(src)) {
    Changed taken;
    const size_t taken_in = take_in_new_if_changed(src, taken);
    announce(taken, taken_in);
  }
  {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    MailboxRow source = require_mailbox(src);
    if (db_->mailbox_by_name(dst)) throw StoreError(ErrorCode::kAlreadyExists, "mailbox exists");

    if (is_inbox(src)) {
      // RFC 3501 6.3.5: all messages move to a new mailbox, INBOX stays
      // (empty, same UIDVALIDITY, UIDs not reused), its children stay put.
      // The files are linked into the new directory before the commit and
      // unlinked from INBOX after it: a crash before the commit leaves
      // invisible links in an unused directory, one after it invisible
      // orphans in INBOX (cleaned up on open), never a lost message or one
      // visible twice. The rows move, so keywords and cached trees go along.
      MailboxRow target;
      target.name = dst;
      target.dir = choose_dir(dst);
      const fs::path from_dir = mailbox_path(source);
      const fs::path to_dir = mailbox_path(target);
      try {
        make_maildir(to_dir, opts_.fsync);
        std::vector<MessageRow> messages = db_->messages(source.id);
        for (const MessageRow& m : messages) {
          link_or_copy(cur_path(from_dir, m.file), cur_path(to_dir, m.file), opts_.fsync);
        }
        if (opts_.fsync) fsync_dir(to_dir / "cur");
        target.uidvalidity = db_->next_uidvalidity();
        target.highest_modseq = source.highest_modseq;
        const int64_t target_id = db_->insert_mailbox(target);
        uint32_t uid = 1;
        for (const MessageRow& m : messages) db_->move_message(m.id, target_id, uid++);
        db_->set_counters(target_id, uid, target.highest_modseq);
        const uint64_t modseq = source.highest_modseq + 1;
        for (const MessageRow& m : messages) {
          db_->insert_tombstone(source.id, m.info.uid, modseq);
          unlink_after.push_back(cur_path(from_dir, m.file));
        }
        if (!messages.empty()) db_->set_counters(source.id, source.uidnext, modseq);
        tx.commit();
      } catch (...) {
        unlink_after.clear();
        remove_tree(to_dir);
        throw;
      }
      changed = {src, dst};
    } else {
      // The mailbox and everything below it, renamed in the index only.
      std::vector<std::pair<MailboxRow, std::string>> moves;
      for (MailboxRow& row : db_->mailboxes()) {
        if (!is_same_or_below(row.name, src)) continue;
        std::string new_name = canonical_mailbox_name(dst + row.name.substr(src.size()));
        auto clash = db_->mailbox_by_name(new_name);
        if (clash && !is_same_or_below(clash->name, src)) {
          throw StoreError(ErrorCode::kAlreadyExists, "mailbox exists: " + new_name);
        }
        moves.emplace_back(std::move(row), std::move(new_name));
      }
      // Two steps so that a new name equal to another moved mailbox's old
      // name never trips the UNIQUE constraint; "\x01" names are never valid.
      for (const auto& [row, new_name] : moves)
        db_->set_mailbox_name(row.id, "\x01" + std::to_string(row.id));
      for (const auto& [row, new_name] : moves) {
        db_->set_mailbox_name(row.id, new_name);
        changed.push_back(row.name);
        changed.push_back(new_name);
      }
      // Subscriptions of the old names (with or without a mailbox) move
      // along; one already held by a new name is simply kept.
      std::vector<std::pair<std::string, std::string>> renamed_subscriptions;
      for (const std::string& sub : db_->subscriptions()) {
        if (!is_same_or_below(sub, src)) continue;
        try {
          renamed_subscriptions.emplace_back(sub, canonical_mailbox_name(dst + sub.substr(src.size())));
        } catch (const StoreError&) {
          // The new name would be invalid (too long): that subscription stays.
        }
      }
      for (const auto& [old_name, new_name] : renamed_subscriptions) db_->set_subscribed(old_name, false);
      for (const auto& [old_name, new_name] : renamed_subscriptions) db_->set_subscribed(new_name, true);
      tx.commit();
    }
    for (const fs::path& p : unlink_after) unlink_quiet(p);
  }
  refresh_watches();
  announce(changed);
}

void MaildirUserStore::set_subscribed(std::string_view name, bool subscribed) {
  const std::string canonical = canonical_mailbox_name(name);
  {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    // Like Dovecot: only an existing mailbox can be subscribed (RFC 3501
    // 6.3.6 allows the check); any name can be unsubscribed, since the
    // subscription outlives its mailbox.
    if (subscribed) require_mailbox(canonical);
    if (!db_->set_subscribed(canonical, subscribed)) return;
    tx.commit();
  }
  announce({canonical});
}

}  // namespace loft::store::internal

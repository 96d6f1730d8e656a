// MaildirUserStore: watching the new/ directories, so that mail another
// program drops there (see dir_watcher.h) reaches subscribers, IDLE among
// them, at once. The mail itself is taken in by the subscribers' next read
// (take_in_new_if_changed), as without a watch.
#include <set>

#include "store/user_store.h"

namespace loft::store::internal {

void MaildirUserStore::refresh_watches() {
  if (!watcher_) return;
  std::lock_guard lock(watch_mu_);
  if (!watching_ && !feed_->has_subscribers()) return;
  watching_ = true;
  std::vector<MailboxRow> rows;
  try {
    rows = ReadAccess(*this)->mailboxes();
  } catch (const StoreError&) {
    return;  // kept as they are; the next change to the mailboxes tries again
  }
  std::set<int64_t> live;
  for (const MailboxRow& row : rows) {
    live.insert(row.id);
    if (new_dir_watches_.count(row.id)) continue;
    // nullptr (not watchable): arrivals are seen at the next poll instead.
    new_dir_watches_[row.id] =
        watcher_->watch(mailbox_path(row) / "new", [this, id = row.id] { new_mail_arrived(id); });
  }
  std::erase_if(new_dir_watches_, [&](const auto& w) { return !live.count(w.first); });
}

void MaildirUserStore::stop_watching() {
  std::lock_guard lock(watch_mu_);
  new_dir_watches_.clear();
  watching_ = false;
}

void MaildirUserStore::new_mail_arrived(int64_t mailbox_id) {
  std::optional<MailboxRow> row;
  try {
    row = ReadAccess(*this)->mailbox_by_id(mailbox_id);
  } catch (const StoreError&) {
    return;
  }
  if (row) feed_->publish(row->name);
}

}  // namespace loft::store::internal

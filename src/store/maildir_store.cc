// open_maildir_store(): the Store that hands out cached MaildirUserStores,
// and keeps the most recently used ones open for a while (keep_open).
#include <stdio.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "store/mailbox_names.h"
#include "store/dir_watcher.h"
#include "store/maildir_files.h"
#include "store/notify.h"
#include "store/store.h"
#include "store/user_check.h"
#include "store/user_store.h"

namespace loft::store {
namespace {

namespace fs = std::filesystem;
using internal::MaildirUserStore;

class MaildirStore : public Store {
 public:
  explicit MaildirStore(const MaildirOptions& opts)
      : opts_(opts), notifier_(std::make_shared<internal::Notifier>(opts.notify_socket)) {
    std::error_code ec;
    fs::create_directories(opts_.root, ec);
    if (ec) throw StoreError(ErrorCode::kTemporary, "create " + opts_.root.string() + ": " + ec.message());
  }

  std::shared_ptr<UserStore> user(const std::string& name) override {
    internal::check_user_name(name);
    std::vector<std::shared_ptr<MaildirUserStore>> released;  // closed after mu_ is unlocked
    const DirId id = dir_id(name);
    {
      std::lock_guard lock(mu_);
      release_expired(released);
      if (auto existing = cached_locked(name, id, released)) return existing;
    }
    // Opened without holding mu_: opening does housekeeping on disk and
    // must not hold up other users. If another thread won, use theirs.
    auto opened = std::make_shared<MaildirUserStore>(name, opts_, notifier_, /*housekeeping=*/true, watcher_);
    const DirId opened_id = dir_id(name);
    std::lock_guard lock(mu_);
    auto& slot = users_[name];
    std::shared_ptr<MaildirUserStore> store = slot.lock();
    if (!store) {
      store = opened;
      slot = opened;
      if (++inserts_ % 64 == 0) prune_expired();
    }
    keep(name, store, opened_id, released);
    return store;
  }

  void remove_user(const std::string& name) override {
    internal::check_user_name(name);
    std::vector<std::shared_ptr<MaildirUserStore>> released;
    {
      std::lock_guard lock(mu_);
      users_.erase(name);
      drop_kept(name, released);
    }
    const fs::path dir = opts_.root / name;
    // Renamed away first so no half-deleted user is ever opened; user names
    // never start with '.', so the new name cannot clash with a user.
    const fs::path doomed = opts_.root / (".removed-" + internal::new_unique_name());
    if (::rename(dir.c_str(), doomed.c_str()) != 0) {
      if (errno == ENOENT) return;
      internal::throw_io("rename " + dir.string(), errno);
    }
    if (opts_.fsync) internal::fsync_dir(opts_.root);
    if (!internal::remove_tree(doomed)) {
      throw StoreError(ErrorCode::kTemporary, "could not remove all of " + doomed.string());
    }
  }

  void notify_external(const std::string& user, const std::string& mailbox) override {
    if (auto store = cached(user)) store->publish_external(mailbox);
  }

  CheckReport check_user(const std::string& name, bool repair) override {
    CheckReport report = internal::check_user_mail(opts_, notifier_, name, repair);
    // The check's store announced its repairs on the notify socket (another
    // process's server); a store this process keeps open hears it here.
    if (auto store = cached(name)) {
      std::set<std::string> changed;
      for (const CheckFinding& f : report.findings) {
        if (f.repaired && !f.mailbox.empty()) changed.insert(f.mailbox);
      }
      for (const std::string& mailbox : changed) store->publish_external(mailbox);
    }
    return report;
  }

 private:
  using Clock = std::chrono::steady_clock;
  using Released = std::vector<std::shared_ptr<MaildirUserStore>>;

  // Which directory a kept store was opened on: a user removed (by another
  // process, `loft user del`) and made again has a new one, and must not be
  // served by a store whose files are gone.
  struct DirId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const DirId&) const = default;
  };
  struct Kept {
    std::string name;
    std::shared_ptr<MaildirUserStore> store;
    DirId dir;
    Clock::time_point used;
  };

  DirId dir_id(const std::string& name) const {
    struct stat st {};
    if (::stat((opts_.root / name).c_str(), &st) != 0) return {};
    return {st.st_dev, st.st_ino};
  }

  // The store for `name` if one is open and still on `dir`; a kept one
  // becomes the most recently used.
  std::shared_ptr<MaildirUserStore> cached_locked(const std::string& name, const DirId& dir, Released& released) {
    if (auto k = kept_index_.find(name); k != kept_index_.end()) {
      if (k->second->dir != dir) {
        users_.erase(name);
        drop_kept(name, released);
        return nullptr;
      }
      k->second->used = Clock::now();
      kept_.splice(kept_.begin(), kept_, k->second);
      return k->second->store;
    }
    auto it = users_.find(name);
    if (it == users_.end()) return nullptr;
    auto store = it->second.lock();
    if (store) keep(name, store, dir, released);
    return store;
  }

  void keep(const std::string& name, const std::shared_ptr<MaildirUserStore>& store, const DirId& dir,
            Released& released) {
    if (opts_.keep_open == 0) return;
    drop_kept(name, released);
    kept_.push_front(Kept{name, store, dir, Clock::now()});
    kept_index_[name] = kept_.begin();
    while (kept_.size() > opts_.keep_open) pop_oldest(released);
  }

  void drop_kept(const std::string& name, Released& released) {
    auto k = kept_index_.find(name);
    if (k == kept_index_.end()) return;
    released.push_back(std::move(k->second->store));
    kept_.erase(k->second);
    kept_index_.erase(k);
  }

  void pop_oldest(Released& released) {
    released.push_back(std::move(kept_.back().store));
    kept_index_.erase(kept_.back().name);
    kept_.pop_back();
  }

  void release_expired(Released& released) {
    const auto limit = Clock::now() - std::chrono::seconds(opts_.keep_open_seconds);
    while (!kept_.empty() && kept_.back().used < limit) pop_oldest(released);
  }

  std::shared_ptr<MaildirUserStore> cached(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = users_.find(name);
    if (it == users_.end()) return nullptr;
    return it->second.lock();
  }

  void prune_expired() {
    for (auto it = users_.begin(); it != users_.end();) {
      it = it->second.expired() ? users_.erase(it) : std::next(it);
    }
  }

  const MaildirOptions opts_;
  const std::shared_ptr<const internal::Notifier> notifier_;
  // One inotify instance for every user store this process opens (its
  // thread starts with the first subscriber).
  const std::shared_ptr<internal::DirWatcher> watcher_ = std::make_shared<internal::DirWatcher>();
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<MaildirUserStore>> users_;
  std::list<Kept> kept_;  // most recently used first, at most opts_.keep_open
  std::unordered_map<std::string, std::list<Kept>::iterator> kept_index_;
  uint64_t inserts_ = 0;
};

}  // namespace

std::unique_ptr<Store> open_maildir_store(const MaildirOptions& opts) {
  return std::make_unique<MaildirStore>(opts);
}

}  // namespace loft::store

// open_maildir_store(): the Store that hands out cached MaildirUserStores.
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>

#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/notify.h"
#include "store/store.h"
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
    if (auto existing = cached(name)) return existing;
    // Opened without holding mu_: opening does housekeeping on disk and
    // must not hold up other users. If another thread won, use theirs.
    auto opened = std::make_shared<MaildirUserStore>(name, opts_, notifier_);
    std::lock_guard lock(mu_);
    auto& slot = users_[name];
    if (auto existing = slot.lock()) return existing;
    slot = opened;
    if (++inserts_ % 64 == 0) prune_expired();
    return opened;
  }

  void remove_user(const std::string& name) override {
    internal::check_user_name(name);
    {
      std::lock_guard lock(mu_);
      users_.erase(name);
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

 private:
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
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<MaildirUserStore>> users_;
  uint64_t inserts_ = 0;
};

}  // namespace

std::unique_ptr<Store> open_maildir_store(const MaildirOptions& opts) {
  return std::make_unique<MaildirStore>(opts);
}

}  // namespace loft::store

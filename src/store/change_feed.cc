#include "store/change_feed.h"

#include <vector>

namespace loft::store::internal {

class ChangeFeed::Handle : public Subscription {
 public:
  Handle(std::weak_ptr<ChangeFeed> feed, uint64_t id) : feed_(std::move(feed)), id_(id) {}
  ~Handle() override {
    if (auto feed = feed_.lock()) feed->unsubscribe(id_);
  }

 private:
  std::weak_ptr<ChangeFeed> feed_;
  uint64_t id_;
};

std::unique_ptr<Subscription> ChangeFeed::subscribe(Callback cb) {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  subscribers_.emplace(id, std::make_shared<Callback>(std::move(cb)));
  return std::make_unique<Handle>(weak_from_this(), id);
}

void ChangeFeed::unsubscribe(uint64_t id) {
  std::lock_guard lock(mu_);
  subscribers_.erase(id);
}

void ChangeFeed::publish(const std::string& mailbox) {
  // Holding the lock while calling makes unsubscribe wait for a running
  // callback, so a subscriber's state may die right after ~Subscription.
  std::lock_guard lock(mu_);
  std::vector<std::pair<uint64_t, std::shared_ptr<Callback>>> snapshot(subscribers_.begin(),
                                                                       subscribers_.end());
  for (auto& [id, cb] : snapshot) {
    if (!subscribers_.count(id)) continue;  // dropped by an earlier callback
    try {
      (*cb)(mailbox);
    } catch (...) {
      // A subscriber's failure must not undo or hide a committed change.
    }
  }
}

bool ChangeFeed::has_subscribers() {
  std::lock_guard lock(mu_);
  return !subscribers_.empty();
}

}  // namespace loft::store::internal

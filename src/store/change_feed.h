// Per-user list of change subscribers (UserStore::subscribe).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/store.h"

namespace loft::store::internal {

class ChangeFeed : public std::enable_shared_from_this<ChangeFeed> {
 public:
  using Callback = std::function<void(const std::string& mailbox)>;

  // The subscription stays valid if it outlives the feed. Once its
  // destructor returns, its callback is not running and never runs again.
  std::unique_ptr<Subscription> subscribe(Callback cb);
  // Runs every callback on this thread. Must not be called with the
  // UserStore's lock held, so callbacks may call back into the store.
  void publish(const std::string& mailbox);
  bool has_subscribers();

 private:
  class Handle;
  void unsubscribe(uint64_t id);

  // Recursive: a callback may drop its own (or another) subscription.
  std::recursive_mutex mu_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Callback>> subscribers_;
};

}  // namespace loft::store::internal

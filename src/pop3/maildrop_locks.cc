#include "pop3/pop3.h"

namespace loft::pop3 {

bool MaildropLocks::try_lock(const std::string& user) {
  std::lock_guard lock(mu_);
  return held_.insert(user).second;
}

void MaildropLocks::unlock(const std::string& user) {
  std::lock_guard lock(mu_);
  held_.erase(user);
}

bool MaildropLocks::is_locked(const std::string& user) const {
  std::lock_guard lock(mu_);
  return held_.count(user) != 0;
}

}  // namespace loft::pop3

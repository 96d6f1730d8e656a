// loft check of one user's mail (Store::check_user for the Maildir
// backend): the index file first, through a connection of its own (a
// damaged one may not open, and opening the store would make a new one),
// then MaildirUserStore::check() on a store opened without housekeeping,
// apart from any store the process keeps open, so that what housekeeping
// would delete is seen and kept.
#pragma once

#include <memory>
#include <string>

#include "store/notify.h"
#include "store/store.h"

namespace loft::store::internal {

CheckReport check_user_mail(const MaildirOptions& opts, std::shared_ptr<const Notifier> notifier,
                            const std::string& user, bool repair);

}  // namespace loft::store::internal

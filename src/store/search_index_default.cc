// Default UserStore::search_index() and update_search_index(): no index, so
// SEARCH scans. For wrappers and test doubles; the Maildir backend overrides them.
#include "store/store.h"

namespace loft::store {

std::unique_ptr<MailboxSearchIndex> UserStore::search_index(std::string_view mailbox) {
  (void)mailbox;
  return nullptr;
}

std::optional<uint32_t> UserStore::update_search_index(std::string_view) { return std::nullopt; }

}  // namespace loft::store

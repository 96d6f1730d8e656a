// Default UserStore::append_many / move / store_flags_unchanged_since /
// expunge_deleted / list_subscriptions, built from the basic calls. Only for
// wrappers and test doubles: they are all-or-nothing against errors (undone
// on failure) but not against crashes or concurrent writers. The Maildir
// backend overrides them all.
#include <algorithm>

#include "store/store.h"

namespace loft::store {

std::vector<uint32_t> UserStore::append_many(std::string_view mailbox, std::span<const NewMessage> msgs) {
  std::vector<uint32_t> uids;
  try {
    for (const NewMessage& m : msgs) uids.push_back(append(mailbox, m));
  } catch (...) {
    if (!uids.empty()) {
      try {
        expunge(mailbox, uids);
      } catch (...) {
      }
    }
    throw;
  }
  return uids;
}

std::vector<uint32_t> UserStore::move(std::string_view from, std::span<const uint32_t> uids, std::string_view to) {
  std::vector<uint32_t> new_uids = copy(from, uids, to);
  expunge(from, uids);
  return new_uids;
}

std::vector<MessageInfo> UserStore::store_flags_unchanged_since(std::string_view mailbox,
                                                                std::span<const uint32_t> uids, int mode,
                                                                uint32_t flags,
                                                                std::span<const std::string> keywords,
                                                                uint64_t max_modseq, std::vector<uint32_t>* modified) {
  std::vector<uint32_t> wanted(uids.begin(), uids.end());
  std::sort(wanted.begin(), wanted.end());
  std::vector<uint32_t> pass;
  for (const MessageInfo& m : list_messages(mailbox)) {
    if (!std::binary_search(wanted.begin(), wanted.end(), m.uid)) continue;
    if (m.modseq > max_modseq) {
      if (modified) modified->push_back(m.uid);
    } else {
      pass.push_back(m.uid);
    }
  }
  if (pass.empty()) return {};
  return store_flags(mailbox, pass, mode, flags, keywords);
}

std::vector<uint32_t> UserStore::expunge_deleted(std::string_view mailbox,
                                                 std::optional<std::span<const uint32_t>> within) {
  std::vector<uint32_t> wanted;
  if (within) {
    wanted.assign(within->begin(), within->end());
    std::sort(wanted.begin(), wanted.end());
  }
  std::vector<uint32_t> uids;
  for (const MessageInfo& m : list_messages(mailbox)) {
    if (!(m.flags & kDeleted)) continue;
    if (within && !std::binary_search(wanted.begin(), wanted.end(), m.uid)) continue;
    uids.push_back(m.uid);
  }
  if (uids.empty()) return {};
  return expunge(mailbox, uids);
}

std::vector<std::string> UserStore::list_subscriptions() {
  std::vector<std::string> out;
  for (const MailboxInfo& m : list_mailboxes())
    if (m.subscribed) out.push_back(m.name);
  return out;
}

}  // namespace loft::store

// Default UserStore::append_many / move / store_flags_unchanged_since, built
// from the basic calls. Only for wrappers and test doubles: they are
// all-or-nothing against errors (undone on failure) but not against crashes
// or concurrent writers. The Maildir backend overrides all three.
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

}  // namespace loft::store

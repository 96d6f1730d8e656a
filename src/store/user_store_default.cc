// Default UserStore::parsed_message(s): parse the file on every call. Only
// for wrappers and test doubles written before the calls existed; the
// Maildir backend overrides both with its index cache.
#include <algorithm>

#include "mime/message.h"
#include "store/store.h"

namespace loft::store {

std::string UserStore::parsed_message(std::string_view mailbox, uint32_t uid) {
  MessageFile file = open_message(mailbox, uid);
  return mime::ParseMessage(file.read(0, static_cast<size_t>(file.size()))).Serialize();
}

std::vector<std::pair<uint32_t, std::string>> UserStore::parsed_messages(std::string_view mailbox,
                                                                         std::span<const uint32_t> uids) {
  if (!mailbox_exists(mailbox)) throw StoreError(ErrorCode::kNotFound, "no such mailbox");
  std::vector<uint32_t> wanted(uids.begin(), uids.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<std::pair<uint32_t, std::string>> out;
  for (uint32_t uid : wanted) {
    try {
      out.emplace_back(uid, parsed_message(mailbox, uid));
    } catch (const StoreError& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
    }
  }
  return out;
}

}  // namespace loft::store

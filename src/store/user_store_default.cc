// MailboxSnapshot::find(), and the default UserStore::snapshot() and
// parsed_message(s) (which parse the file on every call). The defaults are
// only for wrappers and test doubles written before the calls existed; the
// Maildir backend overrides them with its caches.
#include <algorithm>

#include "mime/message.h"
#include "store/store.h"

namespace loft::store {

const MessageInfo* MailboxSnapshot::find(uint32_t uid) const {
  auto it = std::lower_bound(messages.begin(), messages.end(), uid,
                             [](const MessageInfo& m, uint32_t u) { return m.uid < u; });
  return it != messages.end() && it->uid == uid ? &*it : nullptr;
}

std::shared_ptr<const MailboxSnapshot> UserStore::snapshot(std::string_view mailbox) {
  auto snap = std::make_shared<MailboxSnapshot>();
  snap->status = status(mailbox);
  snap->messages = list_messages(mailbox);
  return snap;
}

std::vector<std::optional<MessageFile>> UserStore::open_messages(std::string_view mailbox,
                                                                 std::span<const uint32_t> uids) {
  if (!mailbox_exists(mailbox)) throw StoreError(ErrorCode::kNotFound, "no such mailbox");
  std::vector<std::optional<MessageFile>> out;
  out.reserve(uids.size());
  for (uint32_t uid : uids) {
    try {
      out.emplace_back(open_message(mailbox, uid));
    } catch (const StoreError& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      out.emplace_back(std::nullopt);
    }
  }
  return out;
}

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

#include "imap/search_store_source.h"

#include <algorithm>

namespace loft::imap {

std::vector<LoadedMessage> StoreMessageSource::Load(std::span<const uint32_t> uids, bool whole) {
  std::vector<LoadedMessage> out;
  std::vector<uint32_t> sorted(uids.begin(), uids.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::pair<uint32_t, std::string>> trees = mail_.parsed_messages(mailbox_, sorted);
  out.reserve(trees.size());
  for (auto& [uid, serialized] : trees) {
    std::optional<mime::Message> tree = mime::Message::Deserialize(serialized);
    serialized = std::string();
    if (!tree) continue;
    store::MessageFile file;
    try {
      file = mail_.open_message(mailbox_, uid);
    } catch (const store::StoreError& e) {
      if (e.code() == store::ErrorCode::kNotFound) continue;  // expunged meanwhile
      throw;
    }
    // Header keys need the top-level header only.
    uint64_t size = whole ? file.size() : std::min<uint64_t>(file.size(), tree->root().body_offset);
    LoadedMessage lm;
    lm.uid = uid;
    lm.data = file.read(0, size);
    lm.tree = std::move(*tree);
    out.push_back(std::move(lm));
  }
  return out;
}

}  // namespace loft::imap

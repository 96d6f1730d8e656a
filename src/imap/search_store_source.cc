#include "imap/search_store_source.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "mime/casemap.h"

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

namespace loft::imap {
namespace {

// The index field for a key, and whether its answer is the key's answer.
std::optional<std::pair<store::SearchField, bool>> FieldOf(const SearchKey& key) {
  using Type = SearchKey::Type;
  using store::SearchField;
  if (key.text.empty()) return std::nullopt;  // decided without content, or field existence
  if (key.type == Type::kBody) return std::pair{SearchField::kBody, true};
  if (key.type == Type::kText) return std::pair{SearchField::kText, true};
  if (key.type != Type::kHeader) return std::nullopt;
  if (key.named_header) {
    if (key.header == "FROM") return std::pair{SearchField::kFrom, true};
    if (key.header == "TO") return std::pair{SearchField::kTo, true};
    if (key.header == "CC") return std::pair{SearchField::kCc, true};
    if (key.header == "BCC") return std::pair{SearchField::kBcc, true};
    if (key.header == "SUBJECT") return std::pair{SearchField::kSubject, true};
  }
  // HEADER name s: the top-level field's decoded value is in the message's
  // header text as TEXT sees it, so that is a superset.
  return std::pair{SearchField::kPartHeaders, false};
}

}  // namespace

std::optional<ContentCandidates> StoreContentIndex::Lookup(const SearchKey& key) {
  std::optional<std::pair<store::SearchField, bool>> field = FieldOf(key);
  if (!field) return std::nullopt;
  std::optional<std::vector<uint32_t>> found = index_.find(field->first, mime::SearchCasemap(key.text));
  if (!found) return std::nullopt;
  ContentCandidates c;
  c.uids = RangeList::FromNumbers(std::move(*found));
  c.exact = field->second;
  const uint32_t through = index_.indexed_through();
  if (through < std::numeric_limits<uint32_t>::max()) c.unknown.add(through + 1, std::numeric_limits<uint32_t>::max());
  return c;
}

bool HasIndexedContentKey(const SearchKey& key) {
  if (FieldOf(key)) return true;
  for (const SearchKey& c : key.children)
    if (HasIndexedContentKey(c)) return true;
  return false;
}

}  // namespace loft::imap

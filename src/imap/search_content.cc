#include "imap/search_content.h"

#include "mime/casemap.h"

namespace loft::imap {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

bool MessageText::MatchHeader(const SearchKey& key, std::string_view folded_key) {
  if (key.text.empty()) return text_.HasHeader(key.header);  // existence of the field
  for (const std::string& value : HeaderValuesForSearch(key))
    if (Contains(mime::SearchCasemap(value), folded_key)) return true;
  return false;
}

MessageDate MessageText::SentDate() {
  const std::string_view data = text_.data();
  for (const mime::HeaderField& f : text_.TopHeader().fields) {
    if (!f.has_colon || !mime::HeaderNameEquals(f.Name(data), "Date")) continue;
    std::optional<MessageDate> d = ParseMessageDate(mime::SearchHeaderValue(data, f));
    if (!d) return MessageDate{};
    // Dovecot keeps the sent date as a 32-bit unsigned number: dates before
    // 1970 or after 2106 wrap around (1969 becomes 2105), and its searches
    // see the wrapped value.
    d->utc = static_cast<int64_t>(static_cast<uint32_t>(d->utc));
    return *d;
  }
  return MessageDate{};
}

bool MessageText::MatchBody(std::string_view folded_key) {
  if (folded_key.empty()) return true;
  for (const std::string& body : FoldedBodies())
    if (Contains(body, folded_key)) return true;
  return false;
}

bool MessageText::MatchText(std::string_view folded_key) {
  if (folded_key.empty()) return true;
  for (const std::string& text : FoldedTexts())
    if (Contains(text, folded_key)) return true;
  return false;
}

}  // namespace loft::imap

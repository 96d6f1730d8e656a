// A message's text as SEARCH matches it: the extraction rules live in
// mime/search_text.h (shared with the store's search index, which must see
// exactly the same text); this adds the matching of SEARCH keys.
//
//  - SENT*: the first Date: field, in its own zone; missing or broken is
//    1970-01-01, and dates outside 1970..2106 wrap like Dovecot's 32-bit field.
//
// Text and keys are compared after mime::SearchCasemap() (mime/casemap.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imap/search_date.h"
#include "imap/search_keys.h"
#include "mime/message.h"
#include "mime/search_text.h"

namespace loft::imap {

class MessageText {
 public:
  // `data` is the message (or at least its top-level header when only header
  // keys are asked); `tree` was parsed from the whole message. Both must
  // outlive this object.
  MessageText(const mime::Message& tree, std::string_view data) : text_(tree, data) {}

  // A kHeader key; `folded_key` is SearchCasemap(key.text).
  bool MatchHeader(const SearchKey& key, std::string_view folded_key);
  bool MatchBody(std::string_view folded_key);
  bool MatchText(std::string_view folded_key);
  // The first Date: field; 1970-01-01 00:00 +0000 when it is missing or
  // unparsable, as Dovecot (no fallback to the internal date).
  MessageDate SentDate();

  // The searchable strings, exposed for tests.
  std::vector<std::string> HeaderValuesForSearch(const SearchKey& key) {
    return text_.HeaderValues(key.header, key.named_header);
  }
  const std::vector<std::string>& FoldedBodies() { return text_.FoldedBodies(); }
  const std::vector<std::string>& FoldedTexts() { return text_.FoldedTexts(); }

 private:
  mime::SearchText text_;
};

}  // namespace loft::imap

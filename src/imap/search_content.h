// A message's text as SEARCH matches it, with Dovecot 2.3's rules
// (index-search.c, message-search.c, message-decoder.c):
//
//  - HEADER name "s": every top-level field of that name, its value unfolded
//    (CRLF dropped, a tab starting a continuation line made a space), RFC 2047
//    decoded; "" matches any message that has the field.
//  - FROM / TO / CC / BCC: the field's addresses re-written the way Dovecot's
//    message_address_write() does ("Name" <local@domain>, groups "g: <a@b>;"),
//    then decoded.  SUBJECT: runs of blanks compressed to one space first.
//  - BODY: the body of every leaf part whose own Content-Type is text/* or
//    message/* (or missing), transfer-decoded and converted to UTF-8 (no
//    charset: UTF-8; invalid bytes U+FFFD). Preambles, epilogues, other types
//    and bodies with an unknown Content-Transfer-Encoding ("7-bit") are not
//    searched; neither are headers.
//  - Header text outside encoded-words that is not UTF-8 becomes U+FFFD.
//  - SENT*: the first Date: field, in its own zone; missing or broken is
//    1970-01-01, and dates outside 1970..2106 wrap like Dovecot's 32-bit field.
//  - TEXT: per part, every header line ("Name: " + decoded value + CRLF),
//    the blank line, and the body as for BODY. A match never spans two parts.
//
// Text and keys are compared after SearchCasemap() (search_casemap.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/search_date.h"
#include "imap/search_keys.h"
#include "mime/header.h"
#include "mime/message.h"

namespace loft::imap {

class MessageText {
 public:
  // `data` is the message (or at least its top-level header when only header
  // keys are asked); `tree` was parsed from the whole message. Both must
  // outlive this object.
  MessageText(const mime::Message& tree, std::string_view data) : tree_(tree), data_(data) {}

  // A kHeader key; `folded_key` is SearchCasemap(key.text).
  bool MatchHeader(const SearchKey& key, std::string_view folded_key);
  bool MatchBody(std::string_view folded_key);
  bool MatchText(std::string_view folded_key);
  // The first Date: field; 1970-01-01 00:00 +0000 when it is missing or
  // unparsable, as Dovecot (no fallback to the internal date).
  MessageDate SentDate();

  // The searchable strings, exposed for tests.
  std::vector<std::string> HeaderValuesForSearch(const SearchKey& key);
  const std::vector<std::string>& FoldedBodies();
  const std::vector<std::string>& FoldedTexts();

 private:
  const mime::HeaderBlock& top_header();
  // The part's header and, for text-like leaves, its decoded body.
  void BuildParts();

  const mime::Message& tree_;
  std::string_view data_;
  std::optional<mime::HeaderBlock> top_header_;
  bool parts_built_ = false;
  std::vector<std::string> folded_bodies_;
  std::vector<std::string> folded_texts_;
};

// Dovecot's unfolding for searches (MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE).
std::string SearchHeaderValue(std::string_view data, const mime::HeaderField& field);
// message_address_write() of the parsed address list in `value`.
std::string WriteAddressesForSearch(std::string_view value);
// compress_lwsp(): runs of spaces and tabs become one space, leading ones go.
std::string CompressBlanks(std::string_view value);

}  // namespace loft::imap

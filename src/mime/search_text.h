// A message's text as IMAP SEARCH matches it, with Dovecot 2.3's rules
// (index-search.c, message-search.c, message-decoder.c). Pure: no I/O. Used
// by imap/'s SEARCH evaluator (imap/search_content.h) and by the store's
// search index, which must see exactly the same text.
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
//  - TEXT: per part, every header line ("Name: " + decoded value + CRLF),
//    the blank line, and the body as for BODY. A match never spans two parts.
//
// Text and keys are compared after SearchCasemap() (casemap.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.h"
#include "mime/message.h"

namespace loft::mime {

class SearchText {
 public:
  // `data` is the message (or at least its top-level header when only header
  // values are asked); `tree` was parsed from the whole message. Both must
  // outlive this object.
  SearchText(const Message& tree, std::string_view data) : tree_(tree), data_(data) {}

  std::string_view data() const { return data_; }
  const HeaderBlock& TopHeader();
  // Whether the top-level header has a field of this name (HEADER name "").
  bool HasHeader(std::string_view name);
  // The values of the top-level fields named `name`, as searched, decoded but
  // not case-mapped. `named` (the FROM/TO/CC/BCC/SUBJECT keys, name in upper
  // case): addresses re-written, or, for SUBJECT, blanks compressed.
  std::vector<std::string> HeaderValues(std::string_view name, bool named);

  // Per searched part (text-like leaves with a known encoding), the folded
  // decoded body; parts with an empty body are left out.
  const std::vector<std::string>& FoldedBodies();
  // Per part, the folded header text and body as TEXT searches it.
  const std::vector<std::string>& FoldedTexts();
  // Per part, the folded header text alone (its lines and the blank line
  // after them, so it ends in CRLF CRLF): FoldedTexts()[i] is
  // FoldedPartHeaders()[i] + that part's folded body.
  const std::vector<std::string>& FoldedPartHeaders();

 private:
  void BuildParts();

  const Message& tree_;
  std::string_view data_;
  std::optional<HeaderBlock> top_header_;
  bool parts_built_ = false;
  std::vector<std::string> folded_bodies_;
  std::vector<std::string> folded_texts_;
  std::vector<std::string> folded_headers_;
};

// Dovecot's unfolding for searches (MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE).
std::string SearchHeaderValue(std::string_view data, const HeaderField& field);
// message_address_write() of the parsed address list in `value`.
std::string WriteAddressesForSearch(std::string_view value);
// compress_lwsp(): runs of spaces and tabs become one space, leading ones go.
std::string CompressBlanks(std::string_view value);
// RFC 2047 decoding of a header value; bytes outside encoded-words that are
// not UTF-8 become U+FFFD.
std::string DecodeSearchHeaderText(std::string_view value);

}  // namespace loft::mime

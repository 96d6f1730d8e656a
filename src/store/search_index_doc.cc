// The text the search index holds for a message, and which needles it can
// answer exactly.
#include <cstdint>

#include "mime/casemap.h"
#include "mime/search_text.h"
#include "store/search_index.h"

namespace loft::store::internal {
namespace {

// Appends a folded piece, joined to what is there by the separator. NUL
// becomes the separator too: a needle with NUL is never answered from the
// index, and no other needle can match across it.
void AppendPiece(std::string& out, std::string_view folded) {
  if (!out.empty()) out += kSearchSeparator;
  for (char c : folded) {
    if (c == '\0')
      out += kSearchSeparator;
    else
      out += c;
  }
}

void AppendHeader(std::string& out, mime::SearchText& text, std::string_view name) {
  for (const std::string& value : text.HeaderValues(name, true)) AppendPiece(out, mime::SearchCasemap(value));
}

// The next code point of valid UTF-8 (SearchCasemap() output is valid).
uint32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : 4;
  uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      i = s.size();
      return 0xFFFD;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  i += len;
  return cp;
}

}  // namespace

SearchDoc MakeSearchDoc(const mime::Message& tree, std::string_view data) {
  mime::SearchText text(tree, data);
  SearchDoc doc;
  for (const std::string& body : text.FoldedBodies()) AppendPiece(doc.body, body);
  for (const std::string& header : text.FoldedPartHeaders()) AppendPiece(doc.headers, header);
  AppendHeader(doc.from, text, "FROM");
  AppendHeader(doc.to, text, "TO");
  AppendHeader(doc.cc, text, "CC");
  AppendHeader(doc.bcc, text, "BCC");
  AppendHeader(doc.subject, text, "SUBJECT");
  return doc;
}

bool IndexableNeedle(SearchField field, std::string_view folded_needle) {
  size_t chars = 0;
  size_t i = 0;
  while (i < folded_needle.size()) {
    const uint32_t cp = NextCodePoint(folded_needle, i);
    ++chars;
    if (cp == 0 || cp == 0xA0) return false;
    if ((cp == '\r' || cp == '\n') && field == SearchField::kText) return false;
  }
  return chars >= 3;
}

bool FieldContains(SearchField field, const mime::Message& tree, std::string_view data,
                   std::string_view folded_needle) {
  mime::SearchText text(tree, data);
  auto any = [&](const std::vector<std::string>& pieces) {
    for (const std::string& p : pieces)
      if (p.find(folded_needle) != std::string::npos) return true;
    return false;
  };
  auto header = [&](std::string_view name) {
    for (const std::string& value : text.HeaderValues(name, true))
      if (mime::SearchCasemap(value).find(folded_needle) != std::string::npos) return true;
    return false;
  };
  switch (field) {
    case SearchField::kBody:
      return any(text.FoldedBodies());
    case SearchField::kText:
      return any(text.FoldedTexts());
    case SearchField::kPartHeaders:
      return any(text.FoldedPartHeaders());
    case SearchField::kFrom:
      return header("FROM");
    case SearchField::kTo:
      return header("TO");
    case SearchField::kCc:
      return header("CC");
    case SearchField::kBcc:
      return header("BCC");
    case SearchField::kSubject:
      return header("SUBJECT");
  }
  return false;
}

}  // namespace loft::store::internal

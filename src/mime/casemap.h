// Text normalisation for SEARCH string matching: Dovecot's default
// comparator i;unicode-casemap (RFC 5051), as Dovecot 2.3 implements it in
// uni_utf8_to_decomposed_titlecase(): every character is mapped to its simple
// titlecase and then decomposed. A search key matches when its normalised
// form is a substring of the normalised text, so "andre" finds "André"
// (E + combining acute) and "strasse" does not find "Straße" (no full case
// folding). Decomposition is NFKD here (Unicode 14 tables); Dovecot's tables
// are older, which only matters for characters added since.
#pragma once

#include <string>
#include <string_view>

namespace loft::mime {

// Appends the normalised form of `text` to `out`. Invalid UTF-8 bytes become
// U+FFFD, one per byte, like Dovecot.
void AppendSearchCasemap(std::string_view text, std::string& out);
std::string SearchCasemap(std::string_view text);

}  // namespace loft::mime

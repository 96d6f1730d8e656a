// The untagged answer of SEARCH / UID SEARCH as Dovecot 2.3 writes it
// (imap-search.c), and what RETURN (SAVE) keeps (RFC 5182):
//
//   * SEARCH 2 5 7                         IMAP4rev1, no RETURN
//   * SEARCH 2 5 (MODSEQ 917162500)        a MODSEQ key was used (RFC 7162)
//   * ESEARCH (TAG "a") UID MIN 1 MAX 9 ALL 1:3,9 COUNT 4 MODSEQ 12
//                                          RETURN (...) (RFC 4731), or IMAP4rev2
//
// ESEARCH items come in Dovecot's order MIN MAX ALL COUNT MODSEQ; MIN, MAX and
// ALL only when something matched. RETURN (SAVE) alone answers nothing. When
// only MIN and/or MAX are asked (SAVE and MODSEQ aside), SAVE keeps just
// those messages and MODSEQ is the higher of theirs (RFC 5182 2.1, RFC 7162).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imap/search_keys.h"
#include "imap/sequence_set.h"

namespace loft::imap {

struct SearchHit {
  uint32_t seq = 0;
  uint32_t uid = 0;
  uint64_t modseq = 0;
};

struct SearchAnswerOptions {
  std::string_view tag;
  bool uid = false;                    // UID SEARCH: UIDs and the UID indicator
  std::optional<SearchReturn> result;  // RETURN (...) given
  bool esearch = false;                // answer ESEARCH even without RETURN (IMAP4rev2: RETURN (ALL))
  bool modseq = false;                 // a MODSEQ key was used
};

struct SearchAnswer {
  std::string untagged;           // CRLF-terminated lines; may be empty
  std::optional<RangeList> save;  // UIDs to keep as "$"
};

// `hits` ascending by sequence number.
SearchAnswer BuildSearchAnswer(std::span<const SearchHit> hits, const SearchAnswerOptions& options);

}  // namespace loft::imap

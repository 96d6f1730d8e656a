// Sequence sets ("1:*,3,5:7", RFC 3501 sequence-set) and the SEARCHRES
// marker "$" (RFC 5182), and the normalised number ranges they stand for.
//
//   Parsed<SequenceSet> s = SequenceSet::Parse("5:3,*");
//   RangeList uids = s->Resolve(max_uid);                  // UID sets, SEARCH
//   Parsed<RangeList> seqs = s->ResolveSequenceNumbers(n);  // FETCH/STORE/COPY
//
// Parsing follows Dovecot (imap-seqset.c) where it is lenient: "n:m" with
// n > m is m:n, and one trailing comma is accepted ("1,"). Numbers must be
// 1..4294967295 (Dovecot silently wraps larger ones; here they are invalid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"

namespace loft::imap {

// An inclusive range of message numbers.
struct SeqRange {
  uint32_t first = 0;
  uint32_t last = 0;
  bool operator==(const SeqRange&) const = default;
};

// Sorted, disjoint, non-adjacent ranges: the normal form of a set.
class RangeList {
 public:
  RangeList() = default;
  // Normalises any ranges (first > last is swapped).
  static RangeList FromRanges(std::vector<SeqRange> ranges);
  static RangeList FromNumbers(std::vector<uint32_t> numbers);

  void add(uint32_t first, uint32_t last);
  bool contains(uint32_t n) const;
  bool empty() const { return ranges_.empty(); }
  uint64_t count() const;  // how many numbers
  uint32_t min() const { return ranges_.empty() ? 0 : ranges_.front().first; }
  uint32_t max() const { return ranges_.empty() ? 0 : ranges_.back().last; }
  const std::vector<SeqRange>& ranges() const { return ranges_; }
  // Every number, ascending (for sets known to be small, e.g. clamped to a mailbox).
  std::vector<uint32_t> numbers() const;
  // "1:3,5,7:9" (empty string for an empty list).
  std::string ToString() const;

  bool operator==(const RangeList&) const = default;

 private:
  void normalise();
  std::vector<SeqRange> ranges_;
};

class SequenceSet {
 public:
  // In elements(), '*' is written as this (0 is no valid number).
  static constexpr uint32_t kStar = 0;
  // Dovecot has no bound; a 64 KiB line holds at most ~16000 elements anyway.
  static constexpr size_t kMaxElements = 100000;

  // `error_text` is what a failure says ("Invalid messageset", "Invalid UID
  // messageset", "Invalid uidset"...). "$" is accepted when allow_saved.
  static Parsed<SequenceSet> Parse(std::string_view text, std::string_view error_text = "Invalid messageset",
                                   bool allow_saved = true);

  // "$": the session substitutes the saved search result.
  bool is_saved_result() const { return saved_; }
  bool uses_star() const;
  // The elements as written, first <= last except for kStar.
  const std::vector<SeqRange>& elements() const { return elements_; }

  // '*' stands for `largest` (the message count, or the highest UID; 0 for an
  // empty mailbox); the result is clamped to 1..largest. A range beyond the
  // largest number ("10:*" with largest 7) still includes the largest (RFC 9051).
  RangeList Resolve(uint32_t largest) const;
  // Sequence numbers as Dovecot checks them: every number must exist (1..count)
  // or the command fails with "Invalid messageset". Not for "$".
  Parsed<RangeList> ResolveSequenceNumbers(uint32_t count) const;

  // The set as the client wrote it, normalised ("1:*", "$").
  std::string ToString() const;

 private:
  std::vector<SeqRange> elements_;
  bool saved_ = false;
};

// The message-set argument of FETCH, STORE, COPY, MOVE...: an atom (else
// "Invalid arguments"), "Invalid uidset" / "Invalid messageset" when
// malformed (Dovecot's texts). "$" is accepted.
Parsed<SequenceSet> ParseSetArg(const Arg& arg, bool uid);

}  // namespace loft::imap

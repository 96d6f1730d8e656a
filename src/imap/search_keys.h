// SEARCH arguments into an AST: the search keys of RFC 3501 and RFC 9051,
// CONDSTORE's MODSEQ (RFC 7162), SEARCHRES's "$" (RFC 5182), WITHIN's
// OLDER/YOUNGER (RFC 5032), CHARSET, and ESEARCH's RETURN options (RFC 4731),
// parsed like Dovecot 2.3 (mail-search-register-imap.c), error texts included.
//
//   Parsed<SearchProgram> p = ParseSearchArgs(cmd.args);
//   // p->root: the key tree; p->charset; p->result (RETURN options, if any)
//
// The tree is faithful to the request except for two simplifications: a
// parenthesised list of one key is that key, and NEW / OLD / UNKEYWORD /
// UNSEEN-style keys are expressed with their parts (NEW = (RECENT UNSEEN)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"
#include "imap/dates.h"
#include "imap/sequence_set.h"

namespace loft::imap {

struct SearchKey {
  enum class Type {
    kAll,
    kAnd,           // children: all must match (a list, or keys in a row)
    kOr,            // children[0] or children[1]
    kNot,           // children[0] must not match
    kSequenceSet,   // set: message sequence numbers
    kUidSet,        // set: UIDs ("UID <set>"); "$" (either form) is the saved result
    kFlag,          // flag (store::Flag bit or kRecentFlag), present
    kKeyword,       // text, present (false: UNKEYWORD)
    kInternalDate,  // date_op, date: BEFORE / ON / SINCE
    kSentDate,      // date_op, date: SENTBEFORE / SENTON / SENTSINCE (Date: header)
    kLarger,        // number: RFC822.SIZE > number
    kSmaller,       // number: RFC822.SIZE < number
    kHeader,        // header (upper case), text; FROM/TO/CC/BCC/SUBJECT keep their names
    kBody,          // text in the body
    kText,          // text in header or body
    kModSeq,        // number; modseq_entry/modseq_entry_type when given
    kOlder,         // number: internal date at least this many seconds ago
    kYounger,       // number: internal date at most this many seconds ago
  };
  enum class DateOp { kBefore, kOn, kSince };
  enum class EntryType { kAll, kPrivate, kShared };

  Type type = Type::kAll;
  std::vector<SearchKey> children;
  SequenceSet set;
  uint32_t flag = 0;
  bool present = true;
  std::string header;
  std::string text;
  DateOp date_op = DateOp::kSince;
  CivilDate date;
  uint64_t number = 0;
  // FROM/TO/CC/BCC/SUBJECT (address- or subject-aware matching in Dovecot)
  // rather than HEADER <name>.
  bool named_header = false;
  std::string modseq_entry;  // "/flags/\\seen", "/flags/$label" (lower case), or empty
  EntryType modseq_entry_type = EntryType::kAll;

  // A compact rendering for tests and logs, e.g.
  // (AND \Seen (NOT (OR (FROM "x") (UID 1:*)))).
  std::string DebugString() const;
};

struct SearchReturn {
  bool min = false;
  bool max = false;
  bool all = false;
  bool count = false;
  bool save = false;
  // RETURN () means ALL (RFC 4731).
  bool operator==(const SearchReturn&) const = default;
};

struct SearchProgram {
  std::string charset = "UTF-8";        // upper case; "US-ASCII" or "UTF-8"
  std::optional<SearchReturn> result;   // RETURN (...) given: answer with ESEARCH
  SearchKey root;
};

struct SearchOptions {
  // NOT/OR/list nesting. Dovecot has no bound; deep nesting only costs stack.
  size_t max_depth = 200;
};

// SEARCH [RETURN (...)] [CHARSET x] key...
// Errors: "Missing search parameters", "Unknown argument X", "Unexpected
// string as search key: X", "No search parameters inside list", "Missing
// argument" (NOT/OR), "Missing parameter for search key (for search key: X)",
// "Unexpected ( (for search key: X)", "Invalid messageset", "Invalid UID
// messageset", "Invalid search date parameter", "Invalid search size
// parameter", "Invalid search interval parameter", "Invalid MODSEQ value",
// "Invalid MODSEQ type", "Invalid MODSEQ system flag", "Invalid search key"
// (a string that is not UTF-8), "Invalid charset argument", "Unknown SEARCH
// return option", "SEARCH return options contain non-atoms", "Too deep search
// key nesting"; NO "[BADCHARSET (UTF-8 US-ASCII)] Unknown charset".
Parsed<SearchProgram> ParseSearchArgs(ArgSpan args, const SearchOptions& options = {});

// The keys alone (no RETURN / CHARSET), e.g. for a SORT or THREAD command.
Parsed<SearchKey> ParseSearchKeys(ArgSpan args, const SearchOptions& options = {});

}  // namespace loft::imap

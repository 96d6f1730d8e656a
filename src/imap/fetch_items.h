// FETCH arguments: the message set, the attributes (RFC 3501 / 9051, BINARY
// RFC 3516, CONDSTORE MODSEQ RFC 7162) and the modifiers CHANGEDSINCE and
// VANISHED, parsed like Dovecot 2.3 (cmd-fetch.c, imap-fetch-body.c,
// imap-msgpart.c), error texts included.
//
//   Parsed<FetchArgs> f = ParseFetchArgs(cmd.args, cmd.uid, qresync_enabled);
//
// Each FetchItem carries `name`, the item name to answer with, as Dovecot
// writes it: upper case, header field names upper-cased (quoted ones stay
// quoted), a partial range reduced to its origin: BODY.PEEK[header.fields
// (from "to")]<0.10> answers as BODY[HEADER.FIELDS (FROM "TO")]<0>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/arg_error.h"
#include "imap/args.h"
#include "imap/sequence_set.h"

namespace loft::imap {

enum class FetchAttr {
  kFlags,
  kInternalDate,
  kRfc822Size,
  kEnvelope,
  kBody,           // BODY: the body structure without extension data
  kBodyStructure,
  kUid,
  kModSeq,
  kRfc822,         // = BODY[] (sets \Seen)
  kRfc822Header,   // = BODY.PEEK[HEADER]
  kRfc822Text,     // = BODY[TEXT] (sets \Seen)
  kBodySection,    // BODY[...] / BODY.PEEK[...]
  kBinarySection,  // BINARY[...] / BINARY.PEEK[...]
  kBinarySize,     // BINARY.SIZE[...]
};

struct FetchSection {
  enum class Text {
    kAll,              // BODY[] (whole message) / BODY[1.2] (the part's body)
    kHeader,           // HEADER
    kHeaderFields,     // HEADER.FIELDS (...)
    kHeaderFieldsNot,  // HEADER.FIELDS.NOT (...)
    kText,             // TEXT
    kMime,             // MIME (only after a part number)
  };
  std::string part;                 // "" or "1.2.3" (digits as sent, like Dovecot)
  Text text = Text::kAll;
  std::vector<std::string> fields;  // HEADER.FIELDS[.NOT]: upper-cased names
  bool operator==(const FetchSection&) const = default;
};

struct FetchPartial {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // <offset.length>; none for <offset>
  bool operator==(const FetchPartial&) const = default;
};

struct FetchItem {
  FetchAttr attr = FetchAttr::kFlags;
  FetchSection section;                 // sections only
  bool peek = false;                    // BODY.PEEK / BINARY.PEEK
  std::optional<FetchPartial> partial;  // sections only (never BINARY.SIZE)
  std::string name;                     // the response item name (see above)

  // Whether fetching it sets \Seen (BODY[..], BINARY[..], RFC822, RFC822.TEXT).
  bool sets_seen() const;
  bool operator==(const FetchItem&) const = default;
};

struct FetchArgs {
  SequenceSet set;                      // sequence numbers, or UIDs for UID FETCH
  std::vector<FetchItem> items;         // in request order; UID first for UID FETCH
  std::optional<uint64_t> changed_since;
  bool vanished = false;                // UID FETCH ... (CHANGEDSINCE n VANISHED)
  bool sets_seen() const;
};

// FETCH <set> <att | macro | (att ...)> [(modifiers)]. Besides the attribute
// errors (ParseFetchAttribute): "Invalid arguments", "Invalid messageset" /
// "Invalid uidset", "FETCH list is empty", "FETCH list contains non-atoms",
// "FETCH modifiers contain non-atoms", "Invalid CHANGEDSINCE modseq",
// "QRESYNC not enabled", "Unknown FETCH modifier", "VANISHED used without
// CHANGEDSINCE". CHANGEDSINCE adds MODSEQ to the items.
Parsed<FetchArgs> ParseFetchArgs(ArgSpan args, bool uid, bool qresync_enabled);

// One attribute: its atom, plus the following arguments Dovecot's split form
// "BODY[HEADER.FIELDS" (list) "]<0.5>" uses when a header name came as a
// literal; `*consumed` is how many arguments were used (1 or 3). Errors:
// "Unknown parameter: X", "Unknown parameter RFC822.X", "Invalid BODY[..]
// section", "Invalid BODY[..] parameter: Missing '[' / Missing ']' / Header
// list contains non-strings / Unexpected data after ']' / Too big partial
// start / Too big partial end / Missing '>' in partial / Unexpected data
// after '>'" (BINARY[..] alike).
Parsed<FetchItem> ParseFetchAttribute(ArgSpan args, size_t* consumed);

}  // namespace loft::imap

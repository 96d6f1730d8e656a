// Loft's MIME tree: a message parsed in memory into parts with byte offsets,
// MIME fields (RFC 2045/2046/2183/2231/3066/2557/1864) and envelopes, plus IMAP
// section addressing (RFC 3501 6.4.5 / RFC 9051).
//
// Parsing follows Dovecot 2.3's message parser decision for decision (boundary
// matching, defaults, what counts as MIME, nesting limits), so that the
// BODYSTRUCTURE and ENVELOPE rendered from the tree (imap_strings.h) match
// Dovecot's byte for byte. No I/O: the caller owns the bytes; the tree only
// holds offsets and the few strings it parsed, so it can be cached per message
// (Serialize / Deserialize) and used later without the message at hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/header.h"

namespace loft::mime {

inline constexpr uint32_t kNoPart = UINT32_MAX;

// A string owned by the Message's text pool. A missing value (IMAP NIL) is
// distinct from an empty one.
struct TextRef {
  static constexpr uint32_t kAbsent = UINT32_MAX;
  uint32_t offset = kAbsent;
  uint32_t size = 0;
  bool present() const { return offset != kAbsent; }
};

// A run of entries in one of the Message's side tables.
struct Range {
  uint32_t first = 0;
  uint32_t count = 0;
};

struct Param {
  TextRef name;
  TextRef value;
};

// One ENVELOPE address. A group is a start entry (only mailbox = group name)
// followed by its members and an end entry with every field absent.
struct Address {
  TextRef name, route, mailbox, domain;
};

// ENVELOPE fields as Dovecot keeps them: strings raw (unquoted, not decoded),
// address lists parsed. An empty address Range means NIL.
struct Envelope {
  TextRef date, subject, in_reply_to, message_id;
  Range from, sender, reply_to, to, cc, bcc;
};

enum PartFlag : uint16_t {
  kPartMultipart = 1u << 0,      // has MIME children (or would, but had no boundary)
  kPartMessageRfc822 = 1u << 1,  // body is one nested message: the only child
  kPartText = 1u << 2,           // text/* or defaulted to text/plain
  kPartIsMime = 1u << 3,         // had MIME-Version or Content-Type (always for multipart children)
  kPartHasNuls = 1u << 4,        // NUL bytes somewhere in the part (header, body or children)
  kPartOverflow = 1u << 5,       // the part-count limit stopped boundary matching here
  kPartDigest = 1u << 6,         // multipart/digest: children default to message/rfc822
};

struct Part {
  // Byte offsets into the message: header [header_offset, body_offset),
  // body [body_offset, end_offset).
  uint64_t header_offset = 0;
  uint64_t body_offset = 0;
  uint64_t end_offset = 0;
  // Sizes as IMAP counts them: octets with every bare LF counted as CRLF, and
  // lines = LF count.
  uint64_t header_vsize = 0;
  uint64_t body_vsize = 0;
  uint32_t header_lines = 0;
  uint32_t body_lines = 0;

  uint32_t parent = kNoPart;
  uint32_t first_child = kNoPart;
  uint32_t next_sibling = kNoPart;
  uint16_t flags = 0;
  uint16_t depth = 0;  // 0 for the message itself

  // MIME fields, raw as parsed (absent when the header had none or the part is
  // not MIME). type/subtype are present together.
  TextRef type, subtype, transfer_encoding, id, description, md5, location, disposition;
  Range type_params, disposition_params;
  Range languages;  // entries of Message::strings
  uint32_t envelope = kNoPart;  // for a message/rfc822 part's child: its Envelope index
  // Explicit tail padding, always zero: Serialize writes Parts as raw bytes
  // and must never carry uninitialised memory into the index.
  uint32_t reserved_ = 0;

  bool is(PartFlag f) const { return (flags & f) != 0; }
  uint64_t header_size() const { return body_offset - header_offset; }
  uint64_t body_size() const { return end_offset - body_offset; }
};

struct ParseLimits {
  // Like Dovecot: a part at depth max_depth-1 cannot have children; deeper
  // multiparts and messages stay opaque leaves.
  uint32_t max_depth = 100;
  uint32_t max_parts = 10000;
  // Dovecot 2.3 treats message/global as an opaque leaf; set to parse it as a
  // nested message (RFC 6532) instead.
  bool nest_message_global = false;
};

class Message {
 public:
  Message() = default;

  size_t part_count() const { return parts_.size(); }
  const Part& part(uint32_t index) const { return parts_[index]; }
  const Part& root() const { return parts_[0]; }
  const std::vector<Part>& parts() const { return parts_; }

  // The envelope of the message itself (ENVELOPE).
  const Envelope& envelope() const { return envelopes_[0]; }
  const Envelope& envelope(uint32_t index) const { return envelopes_[index]; }

  std::string_view text(TextRef ref) const {
    return ref.present() ? std::string_view(text_).substr(ref.offset, ref.size) : std::string_view();
  }
  std::optional<std::string_view> nstring(TextRef ref) const {
    if (!ref.present()) return std::nullopt;
    return text(ref);
  }
  const Param& param(uint32_t i) const { return params_[i]; }
  const Address& address(uint32_t i) const { return addresses_[i]; }
  TextRef string_at(uint32_t i) const { return strings_[i]; }

  // Bytes of the tree in memory (for cache accounting).
  size_t memory_size() const;

  // A compact binary form for caches; Deserialize rejects anything malformed.
  std::string Serialize() const;
  static std::optional<Message> Deserialize(std::string_view data);

 private:
  friend class TreeBuilder;

  std::vector<Part> parts_;
  std::vector<Envelope> envelopes_;
  std::vector<Param> params_;
  std::vector<Address> addresses_;
  std::vector<TextRef> strings_;
  std::string text_;
};

// Parses a whole message held in memory. Never fails: any byte string gives a
// tree (at least the root part). Time is linear in the size for a fixed
// number of open boundaries (bounded by max_depth), memory is O(parts).
Message ParseMessage(std::string_view data, const ParseLimits& limits = {});

// ---- IMAP section addressing (RFC 3501 6.4.5) ----

// The part a section part-number ("1.2.3"; "" = the message) refers to, as
// Dovecot resolves it: "1" of a non-multipart message is the message itself,
// and a number below a message/rfc822 part addresses its nested message.
std::optional<uint32_t> FindSectionPart(const Message& msg, std::string_view part_number);

struct ByteRange {
  uint64_t offset = 0;
  uint64_t size = 0;
};

enum class SectionText {
  kAll,     // BODY[1.2]: the part's body (BODY[] for the message)
  kMime,    // BODY[1.2.MIME]: the part's own MIME header
  kHeader,  // BODY[HEADER] / BODY[1.2.HEADER]: header of the (nested) message
  kText,    // BODY[TEXT] / BODY[1.2.TEXT]: body of the (nested) message
};

// Byte range of a section in the message, or nullopt when it does not exist
// (e.g. "1.2.HEADER" when part 1.2 is not a message/rfc822). For kAll with
// part_number "" the whole message is returned.
std::optional<ByteRange> SectionRange(const Message& msg, std::string_view part_number, SectionText what);

// HEADER.FIELDS / HEADER.FIELDS.NOT: the matching (or non-matching) fields of
// a header block, byte-exact as stored (bare LF line ends made CRLF), in
// message order, followed by CRLF (the empty line; for a truncated header whose
// copied last line had no line end, that CRLF ends the line, as in Dovecot).
// `header` must be a header block (e.g. the kHeader or kMime range of a
// section); its own blank line is not copied.
std::string FilterHeaderFields(std::string_view header, const std::vector<std::string>& names, bool exclude);

}  // namespace loft::mime

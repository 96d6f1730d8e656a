// IMAP section addressing (RFC 3501 6.4.5) over a parsed tree, resolved the
// way Dovecot's imap-msgpart.c resolves it.

#include "mime/message.h"

namespace loft::mime {

std::optional<uint32_t> FindSectionPart(const Message& msg, std::string_view path) {
  uint32_t part = 0;
  if (path.empty()) return part;
  size_t i = 0;
  while (i < path.size()) {
    // One number; "1..2", "1.", ".1" and non-digits are malformed.
    uint64_t num = 0;
    size_t start = i;
    while (i < path.size() && path[i] >= '0' && path[i] <= '9') {
      num = num * 10 + static_cast<uint64_t>(path[i] - '0');
      if (num > UINT32_MAX) return std::nullopt;
      ++i;
    }
    if (i == start || num == 0) return std::nullopt;
    bool more = false;
    if (i < path.size()) {
      if (path[i] != '.' || i + 1 == path.size()) return std::nullopt;
      ++i;
      more = true;
    }
    const Part& p = msg.part(part);
    if (p.is(kPartMultipart)) {
      uint32_t child = p.first_child;
      for (; num > 1 && child != kNoPart; --num) child = msg.part(child).next_sibling;
      if (child == kNoPart) return std::nullopt;
      part = child;
    } else if (num != 1 || (more && !p.is(kPartMessageRfc822))) {
      // A non-multipart has only part 1 (itself); going deeper needs a message.
      return std::nullopt;
    }
    const Part& q = msg.part(part);
    if (more && q.is(kPartMessageRfc822)) {
      if (q.first_child == kNoPart) return std::nullopt;
      part = q.first_child;  // numbers below a message/rfc822 address its message
    }
  }
  return part;
}

std::optional<ByteRange> SectionRange(const Message& msg, std::string_view part_number, SectionText what) {
  std::optional<uint32_t> found = FindSectionPart(msg, part_number);
  if (!found) return std::nullopt;
  const Part* part = &msg.part(*found);
  const bool root = part_number.empty();
  switch (what) {
    case SectionText::kAll:
      if (root) return ByteRange{part->header_offset, part->end_offset - part->header_offset};
      return ByteRange{part->body_offset, part->body_size()};
    case SectionText::kMime:
      // Dovecot answers a message/rfc822 part's MIME header with its own
      // header too, and "1.MIME" of a single-part message with the message
      // header.
      if (root) return std::nullopt;
      return ByteRange{part->header_offset, part->header_size()};
    case SectionText::kHeader:
    case SectionText::kText:
      if (!root) {
        if (!part->is(kPartMessageRfc822) || part->first_child == kNoPart) return std::nullopt;
        part = &msg.part(part->first_child);
      }
      if (what == SectionText::kHeader) return ByteRange{part->header_offset, part->header_size()};
      return ByteRange{part->body_offset, part->body_size()};
  }
  return std::nullopt;
}

std::string FilterHeaderFields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    HeaderField field;
    size_t next;
    HeaderStep step = ReadHeaderField(header, pos, field, next);
    if (step != HeaderStep::kField) break;
    pos = next;
    bool listed = false;
    std::string_view name = field.Name(header);
    for (const std::string& n : names) {
      if (HeaderNameEquals(name, n)) {
        listed = true;
        break;
      }
    }
    if (listed == exclude) continue;
    // Copy the field with every line ending in CRLF, as IMAP sends it.
    std::string_view raw = field.Raw(header);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
      out += raw[i];
    }
  }
  // The empty line ending the header. Like Dovecot, exactly one CRLF is added:
  // when the header's last line had no line end (a truncated header) and was
  // copied, that CRLF ends it and no empty line follows.
  out += "\r\n";
  return out;
}

}  // namespace loft::mime

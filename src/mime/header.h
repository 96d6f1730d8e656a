// RFC 5322 header fields: splitting a header block into fields with byte
// offsets, and getting a field's value unfolded on demand.
//
// Tolerant like Dovecot: bare LF line ends, 8-bit bytes and NULs are kept, a
// line without a colon is a field with an empty name whose value is the whole
// line (so no field lookup ever matches it), a header without a blank line
// ends at the end of the data, and a message may be header-only. Nothing is copied: fields are offsets into the
// caller's buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loft::mime {

struct HeaderField {
  size_t offset = 0;        // first byte of the field (start of its name)
  size_t name_size = 0;     // name length; blanks before ':' are not part of it
  size_t value_offset = 0;  // first value byte on the first line (blanks after ':' skipped)
  size_t size = 0;          // whole field: continuation lines and the final line end included
  bool has_colon = false;

  std::string_view Name(std::string_view data) const { return data.substr(offset, name_size); }
  // The field exactly as stored, continuation lines and final line end included.
  std::string_view Raw(std::string_view data) const { return data.substr(offset, size); }
  // The value as stored: from value_offset up to, not including, the final line end.
  std::string_view RawValue(std::string_view data) const;
};

enum class HeaderStep {
  kField,      // a field was read
  kBlankLine,  // the empty line ending the header
  kEnd,        // no data left
};

// Reads the field (or blank line) starting at `pos`, which must be the start of
// a line. On return `next` is the start of the following line.
HeaderStep ReadHeaderField(std::string_view data, size_t pos, HeaderField& field, size_t& next);

// Dovecot's "full value": the first line's value and every continuation line
// joined with a bare LF (the CR of each CRLF dropped, indentation kept).
std::string FullValue(std::string_view data, const HeaderField& field);

// RFC 5322 unfolding: the value with every CRLF (or bare LF) of the folding
// removed; the indentation is kept.
std::string UnfoldedValue(std::string_view data, const HeaderField& field);

// Compares a field name as Dovecot does: ASCII case-insensitively, the name
// ending at its first NUL.
bool HeaderNameEquals(std::string_view field_name, std::string_view wanted);

// A message's header block split into fields.
struct HeaderBlock {
  std::vector<HeaderField> fields;
  size_t size = 0;              // header bytes, blank line included
  bool has_blank_line = false;  // false for header-only or truncated messages
};

// Splits the header starting at `start` (no MIME boundaries are considered).
HeaderBlock SplitHeader(std::string_view data, size_t start = 0);

}  // namespace loft::mime

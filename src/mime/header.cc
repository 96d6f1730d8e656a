#include "mime/header.h"

#include <cstring>

namespace loft::mime {
namespace {

bool IsLwsp(char c) { return c == ' ' || c == '\t'; }

// End of the line's content (before CRLF or LF) and start of the next line.
void LineBounds(std::string_view data, size_t pos, size_t& content_end, size_t& next) {
  size_t lf = data.find('\n', pos);
  if (lf == std::string_view::npos) {
    content_end = next = data.size();
    return;
  }
  content_end = (lf > pos && data[lf - 1] == '\r') ? lf - 1 : lf;
  next = lf + 1;
}

}  // namespace

std::string_view HeaderField::RawValue(std::string_view data) const {
  std::string_view raw = Raw(data);
  size_t end = raw.size();
  if (end > 0 && raw[end - 1] == '\n') {
    --end;
    if (end > 0 && raw[end - 1] == '\r') --end;
  }
  size_t begin = value_offset - offset;
  if (begin > end) begin = end;
  return raw.substr(begin, end - begin);
}

HeaderStep ReadHeaderField(std::string_view data, size_t pos, HeaderField& field, size_t& next) {
  if (pos >= data.size()) {
    next = data.size();
    return HeaderStep::kEnd;
  }
  if (data[pos] == '\n') {
    next = pos + 1;
    return HeaderStep::kBlankLine;
  }
  if (data[pos] == '\r' && pos + 1 < data.size() && data[pos + 1] == '\n') {
    next = pos + 2;
    return HeaderStep::kBlankLine;
  }
  size_t content_end, line_next;
  LineBounds(data, pos, content_end, line_next);
  field = HeaderField();
  field.offset = pos;
  size_t colon = data.substr(pos, content_end - pos).find(':');
  if (colon == std::string_view::npos) {
    // No colon: Dovecot takes the whole line as the value of a field with an
    // empty name, which no lookup ever matches.
    field.name_size = 0;
    field.value_offset = pos;
  } else {
    colon += pos;
    field.has_colon = true;
    size_t name_end = colon;
    while (name_end > pos && IsLwsp(data[name_end - 1])) --name_end;
    field.name_size = name_end - pos;
    // Skip all blanks after the colon, but when the value is nothing but
    // blanks, skip only the first one (Dovecot's SKIP_INITIAL_LWSP).
    size_t v = colon + 1;
    while (v < content_end && IsLwsp(data[v])) ++v;
    if (v == content_end && colon + 1 < content_end) v = colon + 2;
    field.value_offset = v;
  }
  // Continuation lines start with a blank.
  while (line_next < data.size() && IsLwsp(data[line_next])) {
    LineBounds(data, line_next, content_end, line_next);
  }
  field.size = line_next - pos;
  next = line_next;
  return HeaderStep::kField;
}

std::string FullValue(std::string_view data, const HeaderField& field) {
  std::string out;
  size_t end = field.offset + field.size;
  size_t content_end, next;
  LineBounds(data, field.offset, content_end, next);
  if (field.value_offset < content_end) out.append(data.substr(field.value_offset, content_end - field.value_offset));
  while (next < end) {
    size_t line = next;
    LineBounds(data, line, content_end, next);
    out.push_back('\n');
    out.append(data.substr(line, content_end - line));
  }
  return out;
}

std::string UnfoldedValue(std::string_view data, const HeaderField& field) {
  std::string out;
  size_t end = field.offset + field.size;
  size_t content_end, next;
  LineBounds(data, field.offset, content_end, next);
  if (field.value_offset < content_end) out.append(data.substr(field.value_offset, content_end - field.value_offset));
  while (next < end) {
    size_t line = next;
    LineBounds(data, line, content_end, next);
    out.append(data.substr(line, content_end - line));
  }
  return out;
}

bool HeaderNameEquals(std::string_view field_name, std::string_view wanted) {
  size_t nul = field_name.find('\0');
  if (nul != std::string_view::npos) field_name = field_name.substr(0, nul);
  if (field_name.size() != wanted.size()) return false;
  for (size_t i = 0; i < wanted.size(); ++i) {
    unsigned char a = static_cast<unsigned char>(field_name[i]);
    unsigned char b = static_cast<unsigned char>(wanted[i]);
    if (a >= 'A' && a <= 'Z') a += 'a' - 'A';
    if (b >= 'A' && b <= 'Z') b += 'a' - 'A';
    if (a != b) return false;
  }
  return true;
}

HeaderBlock SplitHeader(std::string_view data, size_t start) {
  HeaderBlock block;
  size_t pos = start;
  for (;;) {
    HeaderField field;
    size_t next;
    HeaderStep step = ReadHeaderField(data, pos, field, next);
    if (step == HeaderStep::kEnd) break;
    pos = next;
    if (step == HeaderStep::kBlankLine) {
      block.has_blank_line = true;
      break;
    }
    block.fields.push_back(field);
  }
  block.size = pos - start;
  return block;
}

}  // namespace loft::mime

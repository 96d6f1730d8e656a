#include "imap/fetch_binary.h"

#include <map>
#include <vector>

#include "mime/decode.h"

namespace loft::imap {
namespace {

enum class Cte { k78Bit, kBinary, kQp, kBase64, kUnknown };

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IsTspecialOrSpace(unsigned char c) {
  if (c <= 32 || c == 127) return true;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case '@':
    case ',':
    case ';':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '=':
      return true;
    default:
      return false;
  }
}

// message_decoder_parse_cte(): skip blanks and comments, take one MIME token.
Cte ParseCte(std::string_view value) {
  size_t i = 0;
  for (;;) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == '\r' || value[i] == '\n'))
      ++i;
    if (i < value.size() && value[i] == '(') {
      int depth = 0;
      for (; i < value.size(); ++i) {
        if (value[i] == '\\') {
          ++i;
          continue;
        }
        if (value[i] == '(') ++depth;
        if (value[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
      }
      continue;
    }
    break;
  }
  size_t start = i;
  while (i < value.size() && !IsTspecialOrSpace(static_cast<unsigned char>(value[i]))) ++i;
  std::string_view token = value.substr(start, i - start);
  if (EqualsNoCase(token, "7bit") || EqualsNoCase(token, "8bit")) return Cte::k78Bit;
  if (EqualsNoCase(token, "base64")) return Cte::kBase64;
  if (EqualsNoCase(token, "binary")) return Cte::kBinary;
  if (EqualsNoCase(token, "quoted-printable")) return Cte::kQp;
  return Cte::kUnknown;
}

struct HeaderLine {
  std::string_view text;  // with its line end
  bool is_cte = false;    // part of a Content-Transfer-Encoding field
};

// The header block split into lines; `blank` is its final empty line (if any).
struct SplitHeader {
  std::vector<HeaderLine> lines;
  std::string_view blank;
  Cte cte = Cte::k78Bit;
  bool has_nuls = false;
};

SplitHeader ParseHeader(std::string_view h) {
  SplitHeader out;
  out.has_nuls = h.find('\0') != std::string_view::npos;
  size_t pos = 0;
  bool in_cte = false;
  std::string cte_value;
  bool have_cte = false;
  while (pos < h.size()) {
    size_t nl = h.find('\n', pos);
    size_t end = nl == std::string_view::npos ? h.size() : nl + 1;
    std::string_view line = h.substr(pos, end - pos);
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.remove_suffix(1);
    if (content.empty()) {
      out.blank = h.substr(pos);
      break;
    }
    if (content[0] == ' ' || content[0] == '\t') {
      if (in_cte) cte_value.append(line);
    } else {
      size_t colon = content.find(':');
      std::string_view name = content.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      in_cte = colon != std::string_view::npos && EqualsNoCase(name, "Content-Transfer-Encoding");
      if (in_cte) {
        have_cte = true;
        cte_value.assign(line.substr(colon + 1));  // the last field wins
      }
    }
    out.lines.push_back(HeaderLine{line, in_cte});
    pos = end;
  }
  if (have_cte) out.cte = ParseCte(cte_value);
  return out;
}

bool IsB64(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}
bool IsBlank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Dovecot's base64 input stream refuses anything but the alphabet and
// whitespace, data after the padding, and an incomplete last quantum.
bool ValidBase64(std::string_view s) {
  size_t quantum = 0;
  size_t pad = 0;
  for (unsigned char c : s) {
    if (IsBlank(c)) continue;
    if (c == '=') {
      if (quantum < 2 || quantum + pad >= 4) return false;
      ++pad;
      continue;
    }
    if (!IsB64(c) || pad != 0) return false;
    quantum = (quantum + 1) % 4;
  }
  if (pad != 0) return quantum + pad == 4;
  return quantum == 0;
}

bool IsHex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// Dovecot's quoted-printable decoder refuses '=' that is neither "=XX" nor a
// soft line break.
bool ValidQuotedPrintable(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') continue;
    if (i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      i += 2;
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
    if (j < s.size() && s[j] == '\r') ++j;
    if (j < s.size() && s[j] == '\n') {
      i = j;
      continue;
    }
    return false;
  }
  return true;
}

struct PartSizes {
  bool converted_header = false;
  uint64_t header = 0;
  bool converted_body = false;
  uint64_t body = 0;
};

class Builder {
 public:
  Builder(const mime::Message& msg, std::string_view data) : msg_(msg), data_(data) {}

  // add_binary_part()
  BinaryError Add(uint32_t index, bool include_hdr) {
    const mime::Part& p = msg_.part(index);
    std::string_view header = Slice(p.header_offset, p.body_offset);
    SplitHeader h = ParseHeader(header);
    if (h.has_nuls) has_nuls_ = true;
    if (h.cte == Cte::kUnknown) return BinaryError::kUnknownCte;
    const bool converts = h.cte == Cte::kQp || h.cte == Cte::kBase64;
    if (!include_hdr) {
      // body only
    } else if (converts) {
      if (copy_start_ != 0) CopyTo(p.header_offset);
      size_t before = out_.size();
      for (const HeaderLine& line : h.lines)
        if (!line.is_cte) out_.append(line.text);
      out_.append("Content-Transfer-Encoding: binary\r\n");
      // Dovecot's header filter always ends the header with an empty line,
      // also when the part has none (the CRLF before a boundary that
      // follows the header directly belongs to the boundary).
      out_.append(h.blank.empty() ? std::string_view("\r\n") : h.blank);
      sizes_[p.header_offset].converted_header = true;
      sizes_[p.header_offset].header = out_.size() - before;
    } else {
      CopyTo(p.body_offset);
    }
    copy_start_ = p.body_offset;
    if (p.first_child != mime::kNoPart) {
      for (uint32_t c = p.first_child; c != mime::kNoPart; c = msg_.part(c).next_sibling) {
        BinaryError e = Add(c, true);
        if (e != BinaryError::kNone) return e;
      }
      CopyTo(p.end_offset);
      copy_start_ = p.end_offset;
      return BinaryError::kNone;
    }
    if (p.body_size() == 0) {
      copy_start_ = p.end_offset;
      return BinaryError::kNone;
    }
    std::string_view body = Slice(p.body_offset, p.end_offset);
    size_t before = out_.size();
    switch (h.cte) {
      case Cte::k78Bit:
      case Cte::kBinary:
        if (body.find('\0') != std::string_view::npos) has_nuls_ = true;
        out_.append(body);
        break;
      case Cte::kQp: {
        if (!ValidQuotedPrintable(body)) return BinaryError::kInvalidData;
        mime::QuotedPrintableDecoder d;
        d.Feed(body, out_);
        d.Finish(out_);
        converted_ = true;
        break;
      }
      case Cte::kBase64: {
        if (!ValidBase64(body)) return BinaryError::kInvalidData;
        mime::Base64Decoder d;
        d.Feed(body, out_);
        d.Finish(out_);
        converted_ = true;
        break;
      }
      case Cte::kUnknown:
        break;
    }
    if (converts) {
      sizes_[p.header_offset].converted_body = true;
      sizes_[p.header_offset].body = out_.size() - before;
    }
    copy_start_ = p.end_offset;
    return BinaryError::kNone;
  }

  std::string& out() { return out_; }
  bool literal8() const { return converted_ || has_nuls_; }
  bool converted() const { return converted_; }
  const std::map<uint64_t, PartSizes>& sizes() const { return sizes_; }

 private:
  std::string_view Slice(uint64_t from, uint64_t to) const {
    if (from > data_.size()) from = data_.size();
    if (to > data_.size()) to = data_.size();
    if (to < from) to = from;
    return data_.substr(from, to - from);
  }
  void CopyTo(uint64_t end) {
    if (end > copy_start_) out_.append(Slice(copy_start_, end));
  }

  const mime::Message& msg_;
  std::string_view data_;
  std::string out_;
  uint64_t copy_start_ = 0;
  bool has_nuls_ = false;
  bool converted_ = false;
  std::map<uint64_t, PartSizes> sizes_;  // by the part's header offset
};

}  // namespace

BinaryContent BinaryPart(const mime::Message& msg, uint32_t part, bool include_header,
                         std::string_view message) {
  BinaryContent r;
  Builder b(msg, message);
  r.error = b.Add(part, include_header);
  if (r.error != BinaryError::kNone) return r;
  if (b.converted()) {
    r.data = std::move(b.out());
  } else {
    // Nothing was decoded (at most a header rewritten): Dovecot then sends
    // the original bytes, as many as the rewritten form has.
    const mime::Part& p = msg.part(part);
    uint64_t start = std::min<uint64_t>(include_header ? p.header_offset : p.body_offset, message.size());
    r.data.assign(message.substr(start, b.out().size()));
  }
  r.literal8 = b.literal8();
  return r;
}

BinarySize BinaryPartSize(const mime::Message& msg, uint32_t part, bool include_header,
                          std::string_view message) {
  BinarySize r;
  Builder b(msg, message);
  BinaryError e = b.Add(0, true);
  if (e != BinaryError::kNone) {
    r.error = e;
    return r;
  }
  // index_mail_get_binary_size()
  const mime::Part& p = msg.part(part);
  uint64_t size = p.header_vsize + p.body_vsize;
  const uint64_t start = p.header_offset;
  const uint64_t end = start + size;
  const PartSizes* root = nullptr;
  for (const auto& [offset, s] : b.sizes()) {
    if (offset < start || offset >= end) continue;
    // The first part (in tree order) at that offset, as msg_part_find().
    const mime::Part* found = nullptr;
    for (const mime::Part& q : msg.parts()) {
      if (q.header_offset == offset) {
        found = &q;
        break;
      }
    }
    if (!found) continue;
    if (offset == start) root = &s;
    uint64_t hdr = s.converted_header ? s.header : found->header_vsize;
    uint64_t body = s.converted_body ? s.body : 0;
    size = size - (found->header_vsize + found->body_vsize) + hdr + body;
  }
  if (!include_header) {
    size -= root ? (root->converted_header ? root->header : p.header_vsize) : p.header_vsize;
  }
  r.size = size;
  return r;
}

}  // namespace loft::imap

// Base64 and quoted-printable decoders (RFC 2045 6.7, 6.8).

#include "util/ascii.h"
#include <array>

#include "mime/decode.h"

namespace loft::mime {
namespace {

constexpr std::array<int8_t, 256> MakeBase64Table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kBase64 = MakeBase64Table();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }


}  // namespace

void Base64Decoder::Feed(std::string_view in, std::string& out) {
  for (char c : in) {
    int v = kBase64[static_cast<unsigned char>(c)];
    if (v < 0) {
      if (c == '=') {
        // Padding: flush whole bytes of the partial quantum, start afresh.
        if (count_ == 2) out += static_cast<char>(bits_ >> 4);
        if (count_ == 3) {
          out += static_cast<char>(bits_ >> 10);
          out += static_cast<char>((bits_ >> 2) & 0xff);
        }
        bits_ = 0;
        count_ = 0;
      } else if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
        saw_garbage_ = true;
      }
      continue;
    }
    bits_ = (bits_ << 6) | static_cast<uint32_t>(v);
    if (++count_ == 4) {
      out += static_cast<char>((bits_ >> 16) & 0xff);
      out += static_cast<char>((bits_ >> 8) & 0xff);
      out += static_cast<char>(bits_ & 0xff);
      bits_ = 0;
      count_ = 0;
    }
  }
}

void Base64Decoder::Finish(std::string& out) {
  // An unpadded tail still carries whole bytes.
  if (count_ == 2) out += static_cast<char>(bits_ >> 4);
  if (count_ == 3) {
    out += static_cast<char>(bits_ >> 10);
    out += static_cast<char>((bits_ >> 2) & 0xff);
  }
  bits_ = 0;
  count_ = 0;
}

void QuotedPrintableDecoder::Feed(std::string_view in, std::string& out) {
  if (pending_.empty()) {
    Process(in, false, out);
    return;
  }
  std::string joined = std::move(pending_);
  pending_.clear();
  joined.append(in);
  Process(joined, false, out);
}

void QuotedPrintableDecoder::Finish(std::string& out) {
  std::string rest = std::move(pending_);
  pending_.clear();
  Process(rest, true, out);
}

// Decodes text that holds no line end: "=XX" escapes, '_' in Q encoding; a
// '=' not followed by two hex digits is kept as it is.
void QuotedPrintableDecoder::DecodeSegment(std::string_view seg, std::string& out) const {
  for (size_t i = 0; i < seg.size(); ++i) {
    char c = seg[i];
    if (c == '=' && i + 2 < seg.size() && HexValue(seg[i + 1]) >= 0 && HexValue(seg[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(seg[i + 1]) * 16 + HexValue(seg[i + 2]));
      i += 2;
    } else if (c == '_' && q_encoding_) {
      out += ' ';
    } else {
      out += c;
    }
  }
}

// Decodes one line's content (line end excluded). Blanks at its end are
// transport padding; a final '=' is a soft line break (no line end follows).
void QuotedPrintableDecoder::DecodeLine(std::string_view content, std::string_view eol, std::string& out) const {
  size_t end = content.size();
  while (end > 0 && IsBlank(content[end - 1])) --end;
  if (end > 0 && content[end - 1] == '=') {
    DecodeSegment(content.substr(0, end - 1), out);
    return;
  }
  DecodeSegment(content.substr(0, end), out);
  out.append(eol);
}

void QuotedPrintableDecoder::Process(std::string_view in, bool final, std::string& out) {
  size_t pos = 0;
  for (;;) {
    size_t lf = in.find('\n', pos);
    if (lf == std::string_view::npos) break;
    size_t content_end = (lf > pos && in[lf - 1] == '\r') ? lf - 1 : lf;
    DecodeLine(in.substr(pos, content_end - pos), in.substr(content_end, lf + 1 - content_end), out);
    pos = lf + 1;
  }
  std::string_view tail = in.substr(pos);
  if (final) {
    DecodeLine(tail, "", out);
    return;
  }
  // Decode what cannot change with more input; hold back trailing blanks (and
  // a CR) that may end the line, and a '=' that may start an escape or a soft
  // line break.
  size_t k = tail.size();
  while (k > 0 && (IsBlank(tail[k - 1]) || tail[k - 1] == '\r')) --k;
  for (size_t back = 1; back <= 2 && back <= k; ++back) {
    if (tail[k - back] == '=') {
      k -= back;
      break;
    }
  }
  DecodeSegment(tail.substr(0, k), out);
  pending_.assign(tail.substr(k));
}

std::string DecodeBase64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  Base64Decoder d;
  d.Feed(in, out);
  d.Finish(out);
  return out;
}

std::string DecodeQuotedPrintable(std::string_view in, bool q_encoding) {
  std::string out;
  out.reserve(in.size());
  QuotedPrintableDecoder d(q_encoding);
  d.Feed(in, out);
  d.Finish(out);
  return out;
}

std::string DecodeTransferEncoding(std::string_view body, std::string_view encoding) {
  if (util::equals_ignore_case(encoding, "base64")) return DecodeBase64(body);
  if (util::equals_ignore_case(encoding, "quoted-printable")) return DecodeQuotedPrintable(body);
  return std::string(body);
}

}  // namespace loft::mime

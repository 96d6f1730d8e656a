#include "imap/modified_utf7.h"

#include <cstdint>
#include <vector>

namespace loft::imap {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool IsDirect(unsigned char c) { return c >= 0x20 && c < 0x7f; }

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes one UTF-8 character at s[i]; returns its length, 0 when invalid.
size_t NextCodePoint(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t v;
  uint32_t min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    v = c & 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    v = c & 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    v = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

void AppendBase64Run(std::string& out, const std::vector<uint8_t>& bytes) {
  out += '&';
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    out += kBase64[bytes[i] >> 2];
    out += kBase64[((bytes[i] & 3) << 4) | (bytes[i + 1] >> 4)];
    out += kBase64[((bytes[i + 1] & 0x0f) << 2) | (bytes[i + 2] >> 6)];
    out += kBase64[bytes[i + 2] & 0x3f];
  }
  if (i + 1 == bytes.size()) {
    out += kBase64[bytes[i] >> 2];
    out += kBase64[(bytes[i] & 3) << 4];
  } else if (i + 2 == bytes.size()) {
    out += kBase64[bytes[i] >> 2];
    out += kBase64[((bytes[i] & 3) << 4) | (bytes[i + 1] >> 4)];
    out += kBase64[(bytes[i + 1] & 0x0f) << 2];
  }
  out += '-';
}

// Decodes the base64 run starting at s[i] (after '&', not "&-") up to its
// '-'; appends UTF-8 and returns the index after the '-', or npos.
size_t DecodeRun(std::string_view s, size_t i, std::string& out) {
  std::vector<uint8_t> bytes;
  uint32_t bits = 0;
  int nbits = 0;
  size_t count = 0;
  for (;; ++i) {
    if (i >= s.size()) return std::string_view::npos;
    if (s[i] == '-') break;
    int v = Base64Value(static_cast<unsigned char>(s[i]));
    if (v < 0) return std::string_view::npos;
    ++count;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      bytes.push_back(static_cast<uint8_t>(bits >> nbits));
      bits &= (1u << nbits) - 1;
    }
  }
  // A lone sextet carries no octet: Dovecot needs two characters per group.
  if (count % 4 == 1 || bytes.empty() || bytes.size() % 2 != 0) return std::string_view::npos;
  for (size_t k = 0; k < bytes.size(); k += 2) {
    uint32_t unit = (uint32_t{bytes[k]} << 8) | bytes[k + 1];
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (k + 4 > bytes.size()) return std::string_view::npos;  // the low half is missing
      uint32_t low = (uint32_t{bytes[k + 2]} << 8) | bytes[k + 3];
      if (low < 0xdc00 || low > 0xdfff) return std::string_view::npos;
      AppendUtf8(out, 0x10000 + (((unit & 0x3ff) << 10) | (low & 0x3ff)));
      k += 2;
      continue;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return std::string_view::npos;
    if (unit == 0) return std::string_view::npos;  // Dovecot refuses an encoded NUL
    if (unit >= 0x20 && unit < 0x7f) return std::string_view::npos;  // could stand for itself
    AppendUtf8(out, unit);
  }
  return i + 1;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = NextCodePoint(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::optional<std::string> DecodeModifiedUtf7(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!IsDirect(c)) return std::nullopt;
    if (c != '&') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '-') {
      out += '&';
      i += 2;
      continue;
    }
    size_t next = DecodeRun(s, i + 1, out);
    if (next == std::string_view::npos) return std::nullopt;
    // "&...-&...-": a superfluous shift back and forth.
    if (next + 1 < s.size() && s[next] == '&' && s[next + 1] != '-') return std::nullopt;
    if (next + 1 == s.size() && s[next] == '&') return std::nullopt;
    i = next;
  }
  return out;
}

bool IsValidModifiedUtf7(std::string_view s) { return DecodeModifiedUtf7(s).has_value(); }

std::optional<std::string> EncodeModifiedUtf7(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  std::vector<uint8_t> run;
  auto flush = [&out, &run] {
    if (!run.empty()) AppendBase64Run(out, run);
    run.clear();
  };
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = NextCodePoint(s, i, &cp);
    if (n == 0 || cp == 0) return std::nullopt;
    i += n;
    if (cp >= 0x20 && cp < 0x7f) {
      flush();
      if (cp == '&') {
        out += "&-";
      } else {
        out += static_cast<char>(cp);
      }
      continue;
    }
    if (cp >= 0x10000) {
      uint32_t v = cp - 0x10000;
      uint32_t hi = 0xd800 | (v >> 10);
      uint32_t lo = 0xdc00 | (v & 0x3ff);
      run.push_back(static_cast<uint8_t>(hi >> 8));
      run.push_back(static_cast<uint8_t>(hi & 0xff));
      run.push_back(static_cast<uint8_t>(lo >> 8));
      run.push_back(static_cast<uint8_t>(lo & 0xff));
    } else {
      run.push_back(static_cast<uint8_t>(cp >> 8));
      run.push_back(static_cast<uint8_t>(cp & 0xff));
    }
  }
  flush();
  return out;
}

}  // namespace loft::imap

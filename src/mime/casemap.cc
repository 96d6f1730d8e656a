#include "mime/casemap.h"

#include <algorithm>
#include <cstdint>

#include "mime/casemap_data.h"

// The table in casemap_data.cc is generated with Python:
//
//   for cp in range(0x80, 0x110000):            # surrogates and Hangul skipped
//       t = chr(cp).title(); t = t if len(t) == 1 else chr(cp)   # simple titlecase
//       d = unicodedata.normalize('NFKD', t)
//       if d != chr(cp): emit(cp, d.encode('utf-8'))

namespace loft::mime {
namespace {

using casemap_data::CasemapEntry;

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one UTF-8 sequence at text[i]; returns its length, 0 when invalid
// (overlong forms, surrogates and values above U+10FFFF included).
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  size_t len;
  uint32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
  return len;
}

constexpr uint32_t kHangulFirst = 0xAC00, kHangulLast = 0xD7A3;

void AppendHangul(uint32_t cp, std::string& out) {
  // Unicode 3.12: S -> L V [T].
  const uint32_t s = cp - kHangulFirst;
  AppendUtf8(0x1100 + s / (21 * 28), out);
  AppendUtf8(0x1161 + (s % (21 * 28)) / 28, out);
  if (s % 28 != 0) AppendUtf8(0x11A7 + s % 28, out);
}

}  // namespace

void AppendSearchCasemap(std::string_view text, std::string& out) {
  out.reserve(out.size() + text.size());
  const CasemapEntry* begin = casemap_data::kCasemapEntries;
  const CasemapEntry* end = begin + casemap_data::kCasemapEntryCount;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    i += len;
    if (cp >= kHangulFirst && cp <= kHangulLast) {
      AppendHangul(cp, out);
      continue;
    }
    const CasemapEntry* e =
        std::lower_bound(begin, end, cp, [](const CasemapEntry& a, uint32_t v) { return a.code_point < v; });
    if (e != end && e->code_point == cp) {
      out.append(reinterpret_cast<const char*>(casemap_data::kCasemapPool) + e->offset, e->size);
    } else {
      AppendUtf8(cp, out);
    }
  }
}

std::string SearchCasemap(std::string_view text) {
  std::string out;
  AppendSearchCasemap(text, out);
  return out;
}

}  // namespace loft::mime

// Charset conversion to UTF-8 through glibc's iconv, with the aliases real
// mail uses and U+FFFD for anything invalid.

#include <errno.h>
#include <iconv.h>

#include <string>

#include "mime/decode.h"

namespace loft::mime {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
// Longest incomplete multibyte sequence held back between Feed() calls.
constexpr size_t kMaxHeldBytes = 16;

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    out += c;
  }
  return out;
}

std::string NormalizeCharset(std::string_view charset) {
  while (!charset.empty() && (charset.front() == ' ' || charset.front() == '"' || charset.front() == '\''))
    charset.remove_prefix(1);
  while (!charset.empty() && (charset.back() == ' ' || charset.back() == '"' || charset.back() == '\''))
    charset.remove_suffix(1);
  std::string c = Lower(charset);
  if (c == "utf8" || c == "utf-8" || c == "unicode-1-1-utf-8" || c == "x-unicode20utf8") return "utf-8";
  if (c == "us-ascii" || c == "ascii" || c == "ansi_x3.4-1968" || c == "iso646-us" || c == "us") return "us-ascii";
  if (c == "latin1" || c == "latin-1" || c == "l1") return "iso-8859-1";
  if (c == "ks_c_5601-1987" || c == "ks_c_5601" || c == "ksc5601" || c == "ksc_5601" || c == "euc-kr") return "cp949";
  if (c == "shift_jis" || c == "shift-jis" || c == "x-sjis" || c == "sjis" || c == "windows-31j") return "cp932";
  if (c == "gb2312" || c == "gbk" || c == "x-gbk" || c == "euc-cn") return "gb18030";
  if (c == "iso-8859-8-i" || c == "iso-8859-8-e") return "iso-8859-8";
  if (c == "iso-8859-6-i" || c == "iso-8859-6-e") return "iso-8859-6";
  if (c == "x-mac-roman" || c == "macintosh") return "macintosh";
  return c;
}

// Length of the valid UTF-8 sequence at s[i], 0 if invalid, -1 if it may be
// valid but is cut off by the end of the data.
int Utf8SequenceLength(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size()) return -1;
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (d < min || d > max) return 0;
  }
  return len;
}

// Appends valid UTF-8 from `in`, U+FFFD for invalid bytes; returns how many
// bytes at the end were an incomplete sequence (left out) when !final.
size_t AppendSanitized(std::string_view in, bool final, std::string& out) {
  size_t i = 0;
  while (i < in.size()) {
    int len = Utf8SequenceLength(in, i);
    if (len > 0) {
      out.append(in.substr(i, len));
      i += len;
    } else if (len < 0 && !final) {
      return in.size() - i;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return 0;
}

void AppendCp1252(std::string_view in, std::string& out) {
  // Windows-1252 0x80..0x9F; unassigned bytes become U+FFFD.
  static const char16_t kHigh[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                     0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
                                     0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                     0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  for (char ch : in) {
    unsigned char c = static_cast<unsigned char>(ch);
    uint32_t cp = c < 0x80 ? c : (c < 0xA0 ? kHigh[c - 0x80] : c);
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
}

}  // namespace

struct CharsetToUtf8::Impl {
  iconv_t cd = reinterpret_cast<iconv_t>(-1);  // -1: UTF-8 validation only
  std::string held;
  ~Impl() {
    if (cd != reinterpret_cast<iconv_t>(-1)) iconv_close(cd);
  }
};

CharsetToUtf8::CharsetToUtf8(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CharsetToUtf8::CharsetToUtf8(CharsetToUtf8&&) noexcept = default;
CharsetToUtf8& CharsetToUtf8::operator=(CharsetToUtf8&&) noexcept = default;
CharsetToUtf8::~CharsetToUtf8() = default;

std::optional<CharsetToUtf8> CharsetToUtf8::Open(std::string_view charset) {
  auto impl = std::make_unique<Impl>();
  std::string name = NormalizeCharset(charset);
  if (name.empty()) return std::nullopt;  // iconv would take "" as the locale's charset
  if (name != "utf-8" && name != "us-ascii") {
    impl->cd = iconv_open("UTF-8", name.c_str());
    if (impl->cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  }
  return CharsetToUtf8(std::move(impl));
}

void CharsetToUtf8::Feed(std::string_view in, std::string& out) {
  std::string joined;
  if (!impl_->held.empty()) {
    joined = std::move(impl_->held);
    impl_->held.clear();
    joined.append(in);
    in = joined;
  }
  if (impl_->cd == reinterpret_cast<iconv_t>(-1)) {
    size_t incomplete = AppendSanitized(in, false, out);
    impl_->held.assign(in.substr(in.size() - incomplete));
    return;
  }
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char buf[4096];
  while (src_left > 0) {
    char* dst = buf;
    size_t dst_left = sizeof buf;
    size_t r = iconv(impl_->cd, &src, &src_left, &dst, &dst_left);
    // glibc's iconv writes whole characters only, but from UCS-4 or its lax
    // UTF-8 decoder (e.g. charset "*UTF-8") also code points above U+10FFFF:
    // those become U+FFFD like any other invalid input.
    AppendSanitized(std::string_view(buf, dst - buf), true, out);
    if (r != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    if (errno == EINVAL && src_left <= kMaxHeldBytes) {
      impl_->held.assign(src, src_left);  // wait for the rest of the character
      return;
    }
    out.append(kReplacement);  // EILSEQ (or an overlong incomplete sequence)
    ++src;
    --src_left;
  }
}

void CharsetToUtf8::Finish(std::string& out) {
  if (impl_->cd == reinterpret_cast<iconv_t>(-1)) {
    AppendSanitized(impl_->held, true, out);
    impl_->held.clear();
    return;
  }
  if (!impl_->held.empty()) {
    out.append(kReplacement);
    impl_->held.clear();
  }
  char buf[64];
  char* dst = buf;
  size_t dst_left = sizeof buf;
  iconv(impl_->cd, nullptr, nullptr, &dst, &dst_left);  // end shift states
  AppendSanitized(std::string_view(buf, dst - buf), true, out);
}

bool IsValidUtf8(std::string_view in) {
  for (size_t i = 0; i < in.size();) {
    int len = Utf8SequenceLength(in, i);
    if (len <= 0) return false;
    i += len;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  AppendSanitized(in, true, out);
  return out;
}

bool ConvertToUtf8(std::string_view charset, std::string_view in, std::string& out) {
  std::string name = NormalizeCharset(charset);
  bool known = !name.empty();
  if (known && name != "utf-8" && name != "us-ascii") {
    std::optional<CharsetToUtf8> conv = CharsetToUtf8::Open(name);
    if (conv) {
      conv->Feed(in, out);
      conv->Finish(out);
      return true;
    }
    known = false;
  }
  if (name == "utf-8" || IsValidUtf8(in)) {
    AppendSanitized(in, true, out);
  } else {
    AppendCp1252(in, out);  // 8-bit data labelled US-ASCII or unknown
  }
  return known;
}

}  // namespace loft::mime

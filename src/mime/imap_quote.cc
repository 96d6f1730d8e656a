// IMAP string quoting with Dovecot 2.3's rules (imap-quote.c).

#include <cstring>

#include "mime/imap_strings.h"

namespace loft::mime {
namespace {

// A quoted string can carry at most this many escaped characters before a
// literal is shorter (Dovecot's QUOTED_MAX_ESCAPE_CHARS).
constexpr int kMaxEscapes = 4;

std::string_view UpToNul(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

void AppendLiteral(std::string& out, std::string_view s) {
  out += '{';
  out += std::to_string(s.size());
  out += "}\r\n";
  out.append(s);
}

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

bool IsBlankOrNewline(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

void ReplaceNulsForLiteral(std::string& data) {
  for (char& c : data) {
    if (c == '\0') c = static_cast<char>(0x80);
  }
}

void AppendImapString(std::string& out, std::string_view s) {
  s = UpToNul(s);
  int escapes = 0;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      if (escapes++ < kMaxEscapes) continue;
      AppendLiteral(out, s);
      return;
    }
    if (c == '\r' || c == '\n' || u >= 0x80) {
      AppendLiteral(out, s);
      return;
    }
  }
  AppendQuoted(out, s);
}

void AppendImapNString(std::string& out, std::optional<std::string_view> s) {
  if (!s) {
    out += "NIL";
    return;
  }
  AppendImapString(out, *s);
}

void AppendImapNStringNoLf(std::string& out, std::optional<std::string_view> s) {
  if (!s) {
    out += "NIL";
    return;
  }
  std::string_view v = UpToNul(*s);
  if (v.find_first_of("\r\n") == std::string_view::npos) {
    AppendImapString(out, v);
    return;
  }
  std::string clean;
  clean.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c != '\r' && c != '\n') {
      clean += c;
    } else if (i + 1 < v.size() && !IsBlankOrNewline(v[i + 1])) {
      // Keep the words of two lines apart when the next line has no indent.
      clean += ' ';
    }
  }
  AppendImapString(out, clean);
}

void AppendImapStringForHumans(std::string& out, std::string_view src) {
  src = UpToNul(src);
  const size_t size = src.size();
  size_t remove_count = 0;
  bool whitespace_prefix = true, last_lwsp = true, modify = false;
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(src[i]);
    switch (c) {
      case '\r':
      case '\n':
      case '\t':
        modify = true;
        [[fallthrough]];
      case ' ':
        if (last_lwsp) {
          modify = true;
          ++remove_count;
        }
        last_lwsp = true;
        break;
      case '"':
      case '\\':
        modify = true;
        last_lwsp = false;
        break;
      default:
        if (c >= 0x80) modify = true;
        last_lwsp = false;
        break;
    }
    if (!last_lwsp) whitespace_prefix = false;
  }
  if (last_lwsp && size > 0 && !whitespace_prefix) {
    modify = true;
    ++remove_count;
  }
  if (!modify) {
    out += '"';
    out.append(src);
    out += '"';
    return;
  }
  if (size == remove_count) {
    out += "\"\"";  // only whitespace
    return;
  }
  std::string clean;
  clean.reserve(size - remove_count);
  last_lwsp = true;
  whitespace_prefix = true;
  for (size_t i = 0; i < size; ++i) {
    char c = src[i];
    if (IsBlankOrNewline(c)) {
      if (!last_lwsp) clean += ' ';
      last_lwsp = true;
    } else {
      last_lwsp = false;
      clean += c;
    }
    if (!last_lwsp) whitespace_prefix = false;
  }
  if (last_lwsp && size > 0 && !whitespace_prefix) clean.pop_back();
  AppendLiteral(out, clean);
}

}  // namespace loft::mime

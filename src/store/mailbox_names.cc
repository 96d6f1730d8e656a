#include "store/mailbox_names.h"

#include <cstdint>

#include "store/store.h"

namespace loft::store::internal {
namespace {

constexpr size_t kMaxDirStemBytes = 200;  // leaves room for "~N" below NAME_MAX (255)

[[noreturn]] void invalid(const std::string& why) { throw StoreError(ErrorCode::kInvalidName, why); }

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

bool is_dir_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string canonical_mailbox_name(std::string_view name) {
  if (name.empty()) invalid("empty mailbox name");
  if (name.size() > kMaxMailboxNameBytes) invalid("mailbox name too long");
  if (!is_valid_utf8(name)) invalid("mailbox name is not valid UTF-8");
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F) invalid("control character in mailbox name");
    // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0) {
      invalid("control character in mailbox name");
    }
  }
  size_t levels = 0;
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view part =
        name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) invalid("empty component in mailbox name");
    if (part == "." || part == "..") invalid("'.' or '..' component in mailbox name");
    if (++levels > kMaxMailboxLevels) invalid("mailbox name nested too deeply");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out(name);
  std::string_view first = name.substr(0, name.find('/'));
  if (ascii_iequals(first, kInboxName)) out.replace(0, first.size(), kInboxName);
  return out;
}

bool is_inbox(std::string_view canonical_name) { return canonical_name == kInboxName; }

bool is_same_or_below(std::string_view name, std::string_view parent) {
  if (name.size() < parent.size() || name.substr(0, parent.size()) != parent) return false;
  return name.size() == parent.size() || name[parent.size()] == '/';
}

std::string encode_mailbox_dir(std::string_view canonical_name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = ".";
  for (char ch : canonical_name) {
    auto c = static_cast<unsigned char>(ch);
    if (out.size() + 3 > kMaxDirStemBytes) break;
    if (is_dir_char(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string decode_mailbox_dir(std::string_view dir) {
  if (!dir.empty() && dir[0] == '.') dir.remove_prefix(1);
  if (size_t tilde = dir.rfind('~'); tilde != std::string_view::npos && tilde + 1 < dir.size() &&
                                      dir.find_first_not_of("0123456789", tilde + 1) == std::string_view::npos) {
    dir = dir.substr(0, tilde);
  }
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < dir.size(); ++i) {
    if (dir[i] == '%' && i + 2 < dir.size() && hex(dir[i + 1]) >= 0 && hex(dir[i + 2]) >= 0) {
      out += static_cast<char>(hex(dir[i + 1]) * 16 + hex(dir[i + 2]));
      i += 2;
    } else {
      out += dir[i];
    }
  }
  return out;
}

bool is_safe_mailbox_dir(std::string_view dir) {
  if (dir.empty()) return true;  // INBOX: the Maildir itself
  if (dir.size() < 2 || dir.size() > 255 || dir[0] != '.') return false;
  for (char ch : dir.substr(1)) {
    auto c = static_cast<unsigned char>(ch);
    if (!is_dir_char(c) && c != '%' && c != '~') return false;
  }
  return true;
}

void check_user_name(std::string_view user) {
  if (user.empty() || user.size() > 255) invalid("bad user name length");
  if (user[0] == '.') invalid("user name starts with '.'");
  for (char ch : user) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == '/') invalid("bad character in user name");
  }
}

void check_keyword(std::string_view keyword) {
  if (keyword.empty() || keyword.size() > 255) invalid("bad keyword length");
  for (char ch : keyword) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) invalid("bad character in keyword");
    switch (c) {
      case '(':
      case ')':
      case '{':
      case '%':
      case '*':
      case '"':
      case '\\':
      case ']':
        invalid("atom-special in keyword");
      default:
        break;
    }
  }
}

}  // namespace loft::store::internal

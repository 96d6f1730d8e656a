#include "imap/mailbox_name.h"

#include "imap/modified_utf7.h"

namespace loft::imap {

bool IsInboxName(std::string_view name) { return EqualsIgnoreCase(name, "INBOX"); }

std::string NormalizeInbox(std::string_view name, char separator) {
  if (name.size() >= 5 && EqualsIgnoreCase(name.substr(0, 5), "INBOX") &&
      (name.size() == 5 || name[5] == separator)) {
    return "INBOX" + std::string(name.substr(5));
  }
  return std::string(name);
}

Parsed<std::string> DecodeMailboxName(std::string_view wire, bool utf8_mode, char separator) {
  if (utf8_mode) {
    if (!IsValidUtf8(wire)) return ArgError::No("Mailbox name is not valid UTF-8");
    return NormalizeInbox(wire, separator);
  }
  std::optional<std::string> utf8 = DecodeModifiedUtf7(wire);
  if (!utf8) return ArgError::No("Mailbox name is not valid mUTF-7");
  return NormalizeInbox(*utf8, separator);
}

Parsed<std::string> ParseMailboxName(const Arg& arg, bool utf8_mode, char separator) {
  std::optional<std::string_view> s = arg.astring();
  if (!s) return ArgError::Bad("Invalid arguments");
  return DecodeMailboxName(*s, utf8_mode, separator);
}

std::string EncodeMailboxName(std::string_view utf8_name, bool utf8_mode) {
  if (utf8_mode) return std::string(utf8_name);
  std::optional<std::string> m = EncodeModifiedUtf7(utf8_name);
  return m ? *m : std::string(utf8_name);
}

}  // namespace loft::imap

#include "imap/response_writer.h"

#include "imap/args.h"
#include "imap/flags.h"
#include "imap/mailbox_name.h"
#include "imap/modified_utf7.h"
#include "mime/imap_strings.h"

namespace loft::imap {
namespace {

bool IsAStringChar(unsigned char c) { return IsAtomChar(c) || c == ']'; }

}  // namespace

void AppendString(std::string& out, std::string_view s) { mime::AppendImapString(out, s); }

void AppendNString(std::string& out, std::optional<std::string_view> s) { mime::AppendImapNString(out, s); }

void AppendAString(std::string& out, std::string_view s) {
  bool atom = !s.empty() && !EqualsIgnoreCase(s, "NIL");
  for (char c : s) {
    if (!IsAStringChar(static_cast<unsigned char>(c))) {
      atom = false;
      break;
    }
  }
  if (atom) {
    out.append(s);
  } else {
    AppendString(out, s);
  }
}

void AppendUtf8String(std::string& out, std::string_view s) {
  size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  int escapes = 0;
  bool literal = !IsValidUtf8(s);
  for (char c : s) {
    if (c == '\r' || c == '\n') literal = true;
    if (c == '"' || c == '\\') ++escapes;
  }
  if (literal || escapes > 4) {
    AppendLiteral(out, s);
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void AppendMailboxName(std::string& out, std::string_view utf8_name, bool utf8_mode) {
  std::string wire = EncodeMailboxName(utf8_name, utf8_mode);
  if (!utf8_mode) {
    AppendAString(out, wire);
    return;
  }
  bool ascii = true;
  for (char c : wire) ascii &= static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    AppendAString(out, wire);
  } else {
    AppendUtf8String(out, wire);
  }
}

void AppendLiteral(std::string& out, std::string_view data, bool literal8) {
  out += literal8 ? "~{" : "{";
  out += std::to_string(data.size());
  out += "}\r\n";
  out.append(data);
}

void AppendFlagList(std::string& out, uint32_t system, std::span<const std::string> keywords) {
  out += '(';
  bool first = true;
  for (std::string_view name : SystemFlagNames(system)) {
    if (!first) out += ' ';
    out.append(name);
    first = false;
  }
  for (const std::string& k : keywords) {
    if (!first) out += ' ';
    out += k;
    first = false;
  }
  out += ')';
}

std::string FormatSequenceSet(const RangeList& set) { return set.ToString(); }

std::string FormatNumberList(std::span<const uint32_t> numbers) {
  std::string out;
  for (size_t i = 0; i < numbers.size();) {
    size_t j = i;
    while (j + 1 < numbers.size() && numbers[j] != UINT32_MAX && numbers[j + 1] == numbers[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(numbers[i]);
    if (j > i) {
      out += ':';
      out += std::to_string(numbers[j]);
    }
    i = j + 1;
  }
  return out;
}

}  // namespace loft::imap

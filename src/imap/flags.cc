#include "imap/flags.h"

#include <algorithm>

#include "store/store.h"

namespace loft::imap {
namespace {

struct NamedFlag {
  std::string_view name;
  uint32_t bit;
};
constexpr NamedFlag kFlags[] = {
    {"\\Answered", store::kAnswered}, {"\\Flagged", store::kFlagged}, {"\\Deleted", store::kDeleted},
    {"\\Seen", store::kSeen},         {"\\Draft", store::kDraft},     {"\\Recent", kRecentFlag},
};

constexpr size_t kMaxKeywordLength = 255;

}  // namespace

std::optional<uint32_t> SystemFlagBit(std::string_view name) {
  for (const NamedFlag& f : kFlags) {
    if (EqualsIgnoreCase(name, f.name)) return f.bit;
  }
  return std::nullopt;
}

std::vector<std::string_view> SystemFlagNames(uint32_t bits) {
  std::vector<std::string_view> out;
  for (const NamedFlag& f : kFlags) {
    if (bits & f.bit) out.push_back(f.name);
  }
  return out;
}

std::optional<std::string> KeywordError(std::string_view keyword) {
  if (keyword.empty()) return std::string("[CANNOT] Invalid characters in keyword");
  for (char c : keyword) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80) return std::string("[CANNOT] 8bit characters in keyword");
    if (!IsAtomChar(u)) return std::string("[CANNOT] Invalid characters in keyword");
  }
  if (keyword.size() > kMaxKeywordLength) return std::string("[CANNOT] Keyword length too long");
  return std::nullopt;
}

Parsed<FlagSet> ParseFlags(ArgSpan items) {
  FlagSet set;
  // Like Dovecot: the list's syntax first, in order; the keywords' validity
  // (a storage matter there, hence NO) after.
  for (const Arg& item : items) {
    std::optional<std::string_view> atom = item.atom();
    if (!atom || item.is_section_atom()) return ArgError::Bad("Flags list contains non-atoms");
    std::string_view name = *atom;
    if (!name.empty() && name[0] == '\\') {
      std::optional<uint32_t> bit = SystemFlagBit(name);
      if (!bit || *bit == kRecentFlag) return ArgError::Bad("Invalid system flag " + AsciiUpper(name));
      set.system |= *bit;
    } else if (std::find(set.keywords.begin(), set.keywords.end(), name) == set.keywords.end()) {
      set.keywords.emplace_back(name);
    }
  }
  for (const std::string& keyword : set.keywords) {
    if (std::optional<std::string> err = KeywordError(keyword)) return ArgError::No(std::move(*err));
  }
  return set;
}

}  // namespace loft::imap

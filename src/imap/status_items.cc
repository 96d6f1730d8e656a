#include "imap/status_items.h"

#include "imap/mailbox_name.h"

namespace loft::imap {
namespace {

struct NamedItem {
  std::string_view name;
  uint32_t bit;
};
constexpr NamedItem kItems[] = {
    {"MESSAGES", kStatusMessages},       {"RECENT", kStatusRecent},   {"UIDNEXT", kStatusUidNext},
    {"UIDVALIDITY", kStatusUidValidity}, {"UNSEEN", kStatusUnseen},   {"HIGHESTMODSEQ", kStatusHighestModSeq},
    {"SIZE", kStatusSize},               {"DELETED", kStatusDeleted}, {"APPENDLIMIT", kStatusAppendLimit},
};

}  // namespace

std::vector<std::string_view> StatusItemNames(uint32_t items) {
  std::vector<std::string_view> out;
  for (const NamedItem& i : kItems) {
    if (items & i.bit) out.push_back(i.name);
  }
  return out;
}

Parsed<uint32_t> ParseStatusItems(const Arg& list) {
  if (!list.is_list()) return ArgError::Bad("Invalid arguments");
  uint32_t items = 0;
  for (const Arg& a : list.list()) {
    std::optional<std::string_view> atom = a.atom();
    if (!atom || a.is_section_atom()) return ArgError::Bad("Status list contains non-atoms");
    bool known = false;
    for (const NamedItem& i : kItems) {
      if (EqualsIgnoreCase(*atom, i.name)) {
        items |= i.bit;
        known = true;
        break;
      }
    }
    if (!known) return ArgError::Bad("Invalid status item " + AsciiUpper(*atom));
  }
  if (list.list().empty()) return ArgError::Bad("Empty status list");
  return items;
}

Parsed<StatusArgs> ParseStatusArgs(ArgSpan args, bool utf8_mode, char separator) {
  if (args.size() < 2) return ArgError::Bad("Missing arguments");
  if (!args[0].astring() || !args[1].is_list()) return ArgError::Bad("Invalid arguments");
  Parsed<uint32_t> items = ParseStatusItems(args[1]);
  if (!items) return items.error();
  Parsed<std::string> name = ParseMailboxName(args[0], utf8_mode, separator);
  if (!name) return name.error();
  return StatusArgs{std::move(name.value()), *items};
}

}  // namespace loft::imap

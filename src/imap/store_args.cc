#include "imap/store_args.h"

#include <string>

#include "imap/numbers.h"

namespace loft::imap {

Parsed<StoreArgs> ParseStoreArgs(ArgSpan args, bool uid) {
  if (args.empty() || !args[0].atom() || args[0].is_section_atom()) return ArgError::Bad("Invalid arguments");
  Parsed<SequenceSet> set = ParseSetArg(args[0], uid);
  if (!set) return set.error();
  StoreArgs out;
  out.set = std::move(set.value());

  size_t i = 1;
  if (i < args.size() && args[i].is_list()) {
    const Args& mods = args[i].list();
    for (size_t m = 0; m < mods.size(); m += 2) {
      std::optional<std::string_view> name = mods[m].atom();
      if (!name || m + 1 >= mods.size() || !mods[m + 1].atom()) return ArgError::Bad("Invalid STORE modifiers");
      if (!EqualsIgnoreCase(*name, "UNCHANGEDSINCE")) return ArgError::Bad("Unknown STORE modifier");
      std::optional<uint64_t> modseq = ParseUint64(*mods[m + 1].atom());
      if (!modseq) return ArgError::Bad("Invalid modseq");
      out.unchanged_since = *modseq;
    }
    ++i;
  }

  std::optional<std::string_view> item = i < args.size() ? args[i].atom() : std::nullopt;
  if (!item) return ArgError::Bad("Invalid arguments");
  std::string word = AsciiUpper(*item);
  std::string_view w = word;
  if (!w.empty() && (w[0] == '+' || w[0] == '-')) {
    out.mode = w[0] == '+' ? StoreArgs::Mode::kAdd : StoreArgs::Mode::kRemove;
    w.remove_prefix(1);
  }
  if (w == "FLAGS.SILENT") {
    out.silent = true;
  } else if (w != "FLAGS") {
    return ArgError::Bad("Invalid arguments");
  }
  ++i;

  ArgSpan flags = args.subspan(i);
  if (!flags.empty() && flags[0].is_list()) flags = flags[0].list();
  Parsed<FlagSet> parsed = ParseFlags(flags);
  if (!parsed) return parsed.error();
  out.flags = std::move(parsed.value());
  return out;
}

}  // namespace loft::imap

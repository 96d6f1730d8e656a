#include "imap/enable_args.h"

#include <algorithm>

namespace loft::imap {

Parsed<std::vector<std::string>> ParseEnableArgs(ArgSpan args) {
  std::vector<std::string> names;
  for (const Arg& a : args) {
    std::optional<std::string_view> atom = a.atom();
    if (!atom || a.is_section_atom()) return ArgError::Bad("Invalid arguments");
    std::string upper = AsciiUpper(*atom);
    if (std::find(names.begin(), names.end(), upper) == names.end()) names.push_back(std::move(upper));
  }
  return names;
}

}  // namespace loft::imap

#include "imap/uid_expunge_args.h"

namespace loft::imap {

Parsed<SequenceSet> ParseUidExpungeArgs(ArgSpan args) {
  if (args.empty()) return ArgError::Bad("Missing arguments");
  std::optional<std::string_view> atom = args[0].atom();
  if (!atom || args[0].is_section_atom()) return ArgError::Bad("Invalid uidset");
  return SequenceSet::Parse(*atom, "Invalid uidset");
}

}  // namespace loft::imap

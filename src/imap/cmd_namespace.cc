// NAMESPACE (RFC 2342): one personal namespace, no prefix, '/' separator.
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_namespace(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  finish(cmd, "OK Namespace completed.");
}

}  // namespace loft::imap

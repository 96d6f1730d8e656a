// CAPABILITY (RFC 3501 6.1.1).
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_capability(const Command& cmd) {
  if (!cmd.args.empty()) return bad(cmd, "Invalid arguments");
  untagged("CAPABILITY " + capability_list());
  if (state_ == State::kNotAuthenticated)
    return finish(cmd, "OK Pre-login capabilities listed, post-login capabilities have more.");
  finish(cmd, "OK Capability completed.");
}

}  // namespace loft::imap

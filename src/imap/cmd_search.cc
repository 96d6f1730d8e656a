// Placeholder until the command is written (issue 3 in progress).
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_search(const Command& cmd) { reply(cmd, "NO Not implemented yet."); }

}  // namespace loft::imap

// ENABLE (RFC 5161). IMAP4rev2 is recorded: mailbox names are UTF-8 from
// then on (RFC 9051 / RFC 6855). Unknown names are ignored, as the RFC says.
#include "imap/enable_args.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_enable(const Command& cmd) {
  Parsed<std::vector<std::string>> names = ParseEnableArgs(cmd.args);
  if (!names) return arg_error(cmd, names.error());
  std::string enabled = "ENABLED";
  for (const std::string& name : *names) {
    if (name == "IMAP4REV2" && !rev2_enabled_) {
      rev2_enabled_ = true;
      enabled += " IMAP4rev2";
    }
  }
  untagged(enabled);
  finish(cmd, "OK Enabled.");
}

}  // namespace loft::imap

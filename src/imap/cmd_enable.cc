// ENABLE (RFC 5161): IMAP4rev2 (RFC 9051), UTF8=ACCEPT (RFC 6855), CONDSTORE
// and QRESYNC (RFC 7162; QRESYNC implies CONDSTORE). The ENABLED response
// names every known extension the client asked for, in its order, even one
// already on (Dovecot does the same); unknown names are ignored (RFC 5161).
#include "imap/enable_args.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_enable(const Command& cmd) {
  Parsed<std::vector<std::string>> names = ParseEnableArgs(cmd.args);
  if (!names) return arg_error(cmd, names.error());
  std::string enabled = "ENABLED";
  auto turn_on = [&](bool& flag, std::string_view as) {
    flag = true;
    enabled.append(" ").append(as);
  };
  for (const std::string& name : *names) {
    if (name == "IMAP4REV2") {
      turn_on(rev2_enabled_, "IMAP4rev2");
    } else if (name == "UTF8=ACCEPT") {
      turn_on(utf8_accept_, "UTF8=ACCEPT");
    } else if (name == "CONDSTORE") {
      turn_on(condstore_enabled_, "CONDSTORE");
    } else if (name == "QRESYNC") {
      turn_on(qresync_enabled_, "QRESYNC");
      condstore_enabled_ = true;
    }
  }
  untagged(enabled);
  finish(cmd, "OK Enabled.");
}

}  // namespace loft::imap

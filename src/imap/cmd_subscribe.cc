// SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6-7).
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::cmd_subscribe(const Command& cmd) {
  if (cmd.args.size() != 1) return bad(cmd, "Invalid arguments");
  Parsed<std::string> name = ParseMailboxName(cmd.args[0], utf8_mode());
  if (!name) return arg_error(cmd, name.error());
  bool on = cmd.name == "SUBSCRIBE";
  std::string mailbox = *name;
  simple_store_command(cmd, mailbox, on ? "OK Subscribe completed." : "OK Unsubscribe completed.",
                       [mailbox, on](store::UserStore& s) { s.set_subscribed(mailbox, on); });
}

}  // namespace loft::imap

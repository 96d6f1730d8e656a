// CREATE (RFC 3501 6.3.3), and the plumbing shared by the mailbox commands
// that answer only OK or NO.
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {

void ImapSession::simple_store_command(const Command& cmd, std::string mailbox, std::string ok_text,
                                       std::function<void(store::UserStore&)> work) {
  std::shared_ptr<store::UserStore> mail = mail_;
  blocking<bool>(
      [mail, work = std::move(work)] {
        work(*mail);
        return true;
      },
      [this, mailbox = std::move(mailbox), ok_text = std::move(ok_text), doing = cmd.name](Outcome<bool>& o) {
        if (!o.value) return finish(*current_, store_failure(o.store_error, o.code, o.error, mailbox, doing));
        finish(*current_, ok_text);
      });
}

void ImapSession::cmd_create(const Command& cmd) {
  if (cmd.args.size() != 1) return bad(cmd, "Invalid arguments");
  Parsed<std::string> name = ParseMailboxName(cmd.args[0], utf8_mode());
  if (!name) return arg_error(cmd, name.error());
  std::string mailbox = *name;
  // A trailing separator only says the client means to create children
  // (RFC 3501 6.3.3): the mailbox is created without it.
  while (mailbox.size() > 1 && mailbox.back() == '/') mailbox.pop_back();
  if (mailbox.empty() || mailbox == "/") return reply(cmd, "NO [CANNOT] Invalid mailbox name");
  if (IsInboxName(mailbox)) return reply(cmd, "NO [ALREADYEXISTS] Mailbox already exists");
  simple_store_command(cmd, mailbox, "OK Create completed.",
                       [mailbox](store::UserStore& s) { s.create_mailbox(mailbox); });
}

}  // namespace loft::imap

// STATUS (RFC 3501 6.3.10, RFC 9051 6.3.11).
#include "imap/response_writer.h"
#include "imap/session.h"
#include "imap/status_items.h"

namespace loft::imap {

void ImapSession::cmd_status(const Command& cmd) {
  Parsed<StatusArgs> args = ParseStatusArgs(cmd.args, utf8_mode());
  if (!args) return arg_error(cmd, args.error());
  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = args->mailbox;
  uint32_t items = args->items;
  blocking<store::MailboxStatus>(
      [mail, name] { return mail->status(name); },
      [this, name, items](Outcome<store::MailboxStatus>& o) {
        if (!o.value) return finish(*current_, store_failure(o.store_error, o.code, o.error, name, "STATUS"));
        const store::MailboxStatus& st = *o.value;
        std::string line = "* STATUS ";
        AppendMailboxName(line, name, utf8_mode());
        line += " (";
        bool first = true;
        for (std::string_view item : StatusItemNames(items)) {
          uint64_t value = 0;
          if (item == "MESSAGES") value = st.messages;
          else if (item == "RECENT") value = 0;  // \Recent is not kept yet
          else if (item == "UIDNEXT") value = st.uidnext;
          else if (item == "UIDVALIDITY") value = st.uidvalidity;
          else if (item == "UNSEEN") value = st.unseen;
          else if (item == "DELETED") value = st.deleted;
          else if (item == "SIZE") value = st.size;
          else if (item == "HIGHESTMODSEQ") value = st.highest_modseq;
          else if (item == "APPENDLIMIT") value = options_.append_limit;
          else continue;
          if (!first) line += " ";
          first = false;
          line.append(item).append(" ").append(std::to_string(value));
        }
        line += ")\r\n";
        send(line);
        finish(*current_, "OK Status completed.");
      });
}

}  // namespace loft::imap

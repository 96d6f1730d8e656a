#include "imap/status_response.h"

#include "imap/response_writer.h"
#include "imap/status_items.h"

namespace loft::imap {

std::string StatusResponse(std::string_view mailbox, uint32_t items, const store::MailboxStatus& st, bool utf8_mode,
                           uint64_t append_limit) {
  std::string line = "* STATUS ";
  AppendMailboxName(line, mailbox, utf8_mode);
  line += " (";
  bool first = true;
  for (std::string_view item : StatusItemNames(items)) {
    uint64_t value = 0;
    if (item == "MESSAGES") value = st.messages;
    else if (item == "RECENT") value = 0;
    else if (item == "UIDNEXT") value = st.uidnext;
    else if (item == "UIDVALIDITY") value = st.uidvalidity;
    else if (item == "UNSEEN") value = st.unseen;
    else if (item == "DELETED") value = st.deleted;
    else if (item == "SIZE") value = st.size;
    else if (item == "HIGHESTMODSEQ") value = st.highest_modseq;
    else if (item == "APPENDLIMIT") value = append_limit;
    else continue;
    if (!first) line += " ";
    first = false;
    line.append(item).append(" ").append(std::to_string(value));
  }
  line += ")\r\n";
  return line;
}

}  // namespace loft::imap

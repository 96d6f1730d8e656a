// ID (RFC 2971): never refused, like Dovecot; the client's fields are logged.
#include <spdlog/spdlog.h>

#include "imap/id_params.h"
#include "imap/session.h"
#include "imap/session_text.h"

namespace loft::imap {

void ImapSession::cmd_id(const Command& cmd) {
  std::vector<IdParam> params = ParseIdParams(cmd.args);
  std::string fields;
  for (const IdParam& p : params) {
    if (!fields.empty()) fields += ", ";
    fields += Sanitize(p.field, 30) + "=" + (p.value ? Sanitize(*p.value, 64) : std::string("NIL"));
  }
  if (!fields.empty()) spdlog::debug("imap [{}]: ID {}", peer_, fields);
  untagged("ID (\"name\" \"Loft\")");
  finish(cmd, "OK ID completed.");
}

}  // namespace loft::imap

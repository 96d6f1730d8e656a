// How store failures are answered (Dovecot 2.3's response codes and texts).
#include <spdlog/spdlog.h>

#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {

std::string ImapSession::store_failure(bool store_error, store::ErrorCode code, const std::string& error,
                                       std::string_view mailbox, std::string_view doing) {
  if (store_error) {
    switch (code) {
      case store::ErrorCode::kNotFound:
        return "NO [NONEXISTENT] Mailbox doesn't exist: " + EncodeMailboxName(mailbox, utf8_mode());
      case store::ErrorCode::kAlreadyExists:
        return "NO [ALREADYEXISTS] Mailbox already exists";
      case store::ErrorCode::kInvalidName:
        return "NO [CANNOT] Invalid mailbox name";
      case store::ErrorCode::kNotPermitted:
        return "NO [CANNOT] " + (error.empty() ? std::string("Permission denied") : error);
      case store::ErrorCode::kTooLarge:
        return "NO [TOOBIG] Mail too large";
      case store::ErrorCode::kNoSpace:
        // Dovecot's answer to a full disk; the client may try again later.
        spdlog::warn("imap [{}]: {} {} of {}: {}", peer_, doing, mailbox, user_, error);
        return "NO [OVERQUOTA] Not enough disk space";
      case store::ErrorCode::kTemporary:
        break;
    }
  }
  spdlog::error("imap [{}]: {} {} of {}: {}", peer_, doing, mailbox, user_, error);
  return "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.";
}

}  // namespace loft::imap

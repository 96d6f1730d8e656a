// The selected mailbox's changes, read on a command's worker trip right
// after the command's own work (ImapSession::blocking does it: after the
// commit of STORE, EXPUNGE, APPEND into the selected mailbox; after the read
// of FETCH, SEARCH, STATUS, LIST when the change feed has fired), so that
// the sync step after it needs no second trip to the store. The sync step
// trusts them only when the change feed has not fired since the read began
// and the view is still at the MODSEQ the read started from; otherwise it
// asks the store itself, as without them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "store/store.h"

namespace loft::imap {

struct ChangesReadAhead {
  std::string mailbox;
  uint64_t from_modseq = 0;
  uint64_t feed_events = 0;  // the session's feed count just before the read
  store::MailboxChanges changes;
};

// Made on the event loop (what to read), used on the worker.
class ReadAhead {
 public:
  ReadAhead() = default;  // reads nothing: no mailbox selected
  ReadAhead(std::shared_ptr<store::UserStore> mail, std::string mailbox, uint64_t from_modseq,
            std::shared_ptr<const std::atomic<uint64_t>> feed_events)
      : mail_(std::move(mail)), mailbox_(std::move(mailbox)), from_(from_modseq), events_(std::move(feed_events)) {}

  // After the command's commit. Never throws: without an answer the sync
  // step reads the changes itself.
  std::optional<ChangesReadAhead> read() const;

 private:
  std::shared_ptr<store::UserStore> mail_;
  std::string mailbox_;
  uint64_t from_ = 0;
  std::shared_ptr<const std::atomic<uint64_t>> events_;
};

}  // namespace loft::imap

#include "imap/changes_read_ahead.h"

#include <exception>

namespace loft::imap {

std::optional<ChangesReadAhead> ReadAhead::read() const {
  if (!mail_) return std::nullopt;
  try {
    ChangesReadAhead r;
    r.mailbox = mailbox_;
    r.from_modseq = from_;
    // Loaded before the read: a commit that fires the feed after this
    // load may be missing from the answer, and then the counts differ.
    r.feed_events = events_->load();
    r.changes = mail_->changes_since(mailbox_, from_);
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace loft::imap

// Message sets to the view's sequence numbers, and the CONDSTORE switch.
#include "imap/session.h"

namespace loft::imap {

std::optional<std::vector<uint32_t>> ImapSession::resolve_set(const Command& cmd, const SequenceSet& set, bool uid,
                                                              std::string* error) const {
  std::vector<uint32_t> seqs;
  if (!selected_) {
    *error = "BAD No mailbox selected.";
    return std::nullopt;
  }
  const MailboxView& view = selected_->view;
  const uint32_t count = view.count();
  if (set.is_saved_result() || uid) {
    // UIDs: those the client knows, within the set ("$": the saved result).
    const uint32_t top = count == 0 ? 0 : view.at(count).uid;
    RangeList uids = set.is_saved_result() ? saved_result_ : set.Resolve(top);
    if (uids.empty()) return seqs;
    // Each range from where it starts in the view (UIDs ascend): a UID
    // FETCH of a few new messages in a 100,000-message mailbox looks at
    // those few, not at every message.
    for (const SeqRange& r : uids.ranges()) {
      for (uint32_t seq = view.first_seq_from(r.first); seq <= count && view.at(seq).uid <= r.last; ++seq) {
        seqs.push_back(seq);
      }
    }
    return seqs;
  }
  Parsed<RangeList> numbers = set.ResolveSequenceNumbers(count);
  if (!numbers) {
    *error = ArgErrorStatusText(cmd.display_name(), numbers.error());
    return std::nullopt;
  }
  seqs.reserve(numbers->count());
  for (const SeqRange& r : numbers->ranges())
    for (uint64_t s = r.first; s <= r.last; ++s) seqs.push_back(static_cast<uint32_t>(s));
  return seqs;
}

void ImapSession::enable_condstore() {
  if (condstore_enabled_) return;
  condstore_enabled_ = true;
  // Dovecot announces the selected mailbox's HIGHESTMODSEQ when a command
  // turns CONDSTORE on (RFC 7162 3.1), so the client has a starting point.
  if (selected_) untagged("OK [HIGHESTMODSEQ " + std::to_string(selected_->view.highest_modseq()) + "] Highest");
}

}  // namespace loft::imap

// EXPUNGE (RFC 3501 6.4.3) and UID EXPUNGE (UIDPLUS, RFC 4315 2.1): remove
// the \Deleted messages (for UID EXPUNGE only those in the set). The
// "* n EXPUNGE" (or, under QRESYNC, "* VANISHED") lines are not written
// here: the sync step finds the removal in the change feed and announces it
// before the tagged OK. Like Dovecot 2.3, extra arguments of EXPUNGE are
// ignored and an EXAMINEd mailbox answers "OK Expunge completed." having
// removed nothing.
#include "imap/session.h"
#include "imap/uid_expunge_args.h"

namespace loft::imap {

void ImapSession::cmd_expunge(const Command& cmd) {
  // UID EXPUNGE: the UIDs named (and known to the client).
  std::optional<std::vector<uint32_t>> within;
  if (cmd.uid) {
    Parsed<SequenceSet> set = ParseUidExpungeArgs(cmd.args);
    if (!set) return arg_error(cmd, set.error());
    std::string error;
    std::optional<std::vector<uint32_t>> seqs = resolve_set(cmd, *set, true, &error);
    if (!seqs) return reply(cmd, error);
    within.emplace();
    for (uint32_t seq : *seqs) within->push_back(selected_->view.at(seq).uid);
    if (within->empty()) return finish(cmd, "OK Expunge completed.");
  }
  if (selected_->read_only) return finish(cmd, "OK Expunge completed.");

  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = selected_->name;
  blocking<size_t>(
      [mail, name, within = std::move(within)] {
        // Chosen and removed in one store transaction: a \Deleted flag
        // cleared by another session just before is respected.
        std::optional<std::span<const uint32_t>> uids;
        if (within) uids = std::span<const uint32_t>(*within);
        return mail->expunge_deleted(name, uids).size();
      },
      [this, name](Outcome<size_t>& o) {
        const Command& c = *current_;
        if (!o.value) return finish(c, store_failure(o.store_error, o.code, o.error, name, "expunging"));
        if (*o.value > 0 && selected_ && selected_->name == name) changes_pending_ = true;
        finish(c, "OK Expunge completed.");
      }, Lane::kStore, read_ahead());  // our own expunges, for the sync step
}

}  // namespace loft::imap

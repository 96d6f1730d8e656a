// COPY / UID COPY (RFC 3501 6.4.7, COPYUID of UIDPLUS RFC 4315) and MOVE /
// UID MOVE (RFC 6851), answered like Dovecot 2.3 (cmd-copy.c):
//   a OK [COPYUID <uidvalidity> <source uids> <new uids>] Copy completed.
//   * OK [COPYUID ...] Moved UIDs.   then the expunges (sync step), then
//   a OK Move completed.
//   a NO [TRYCREATE] Mailbox doesn't exist: X
//   a OK No messages found.          (a UID set naming no message)
//   a NO [EXPUNGEISSUED] Some of the requested messages no longer exist.
// Both are all or nothing: store::UserStore::copy() and move() commit every
// message in one index transaction (a move's removal included), so a
// failure or crash never leaves some messages copied, or a message in both
// mailboxes or in neither. The UID sets list the source messages ascending,
// the new UIDs in the same order.
//
// Deliberately unlike Dovecot: MOVE out of an EXAMINEd mailbox is refused
// ("NO Mailbox is read-only.") where Dovecot moves (and so expunges) anyway.
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {
namespace {

struct CopyResult {
  bool missing_destination = false;
  uint32_t uidvalidity = 0;
  std::vector<uint32_t> new_uids;
};

}  // namespace

void ImapSession::cmd_copy(const Command& cmd) {
  const bool move = cmd.name == "MOVE";
  if (cmd.args.size() < 2) return bad(cmd, "Missing arguments");
  Parsed<SequenceSet> set = ParseSetArg(cmd.args[0], cmd.uid);
  if (!set) return arg_error(cmd, set.error());
  std::string error;
  std::optional<std::vector<uint32_t>> seqs = resolve_set(cmd, *set, cmd.uid, &error);
  if (!seqs) return reply(cmd, error);
  if (!cmd.args[1].astring()) return bad(cmd, "Invalid arguments");
  Parsed<std::string> dest = ParseMailboxName(cmd.args[1], utf8_mode());
  if (!dest) return arg_error(cmd, dest.error());
  if (move && selected_->read_only) return finish(cmd, "NO Mailbox is read-only.");

  std::vector<uint32_t> uids;
  uids.reserve(seqs->size());
  for (uint32_t seq : *seqs) {
    const MailboxView::Message& m = selected_->view.at(seq);
    if (m.expunged) return finish(cmd, "NO [EXPUNGEISSUED] Some of the requested messages no longer exist.");
    uids.push_back(m.uid);
  }

  std::shared_ptr<store::UserStore> mail = mail_;
  std::string from = selected_->name;
  std::string to = std::move(dest.value());
  blocking<CopyResult>(
      [mail, from, to, uids, move] {
        CopyResult r;
        if (!mail->mailbox_exists(to)) {
          r.missing_destination = true;
          return r;
        }
        r.uidvalidity = mail->status(to).uidvalidity;
        if (uids.empty()) return r;
        r.new_uids = move ? mail->move(from, uids, to) : mail->copy(from, uids, to);
        return r;
      },
      [this, move, from, to, uids](Outcome<CopyResult>& o) {
        const Command& c = *current_;
        std::string encoded = EncodeMailboxName(to, utf8_mode());
        if (!o.value) {
          if (o.store_error && o.code == store::ErrorCode::kNotFound) {
            // The destination existed a moment ago: a source message went.
            changes_pending_ = true;
            return finish(c, "NO [EXPUNGEISSUED] Some of the requested messages no longer exist.");
          }
          return finish(c, store_failure(o.store_error, o.code, o.error, to, move ? "moving to" : "copying to"));
        }
        if (o.value->missing_destination) return finish(c, "NO [TRYCREATE] Mailbox doesn't exist: " + encoded);
        if (uids.empty()) return finish(c, "OK No messages found.");
        std::string code = "[COPYUID " + std::to_string(o.value->uidvalidity) + " " +
                           RangeList::FromNumbers(uids).ToString() + " " +
                           RangeList::FromNumbers(o.value->new_uids).ToString() + "]";
        const bool into_selected = selected_ && NormalizeInbox(to) == selected_->name;
        if (move) {
          untagged("OK " + code + " Moved UIDs.");
          if (selected_ && selected_->name == from) changes_pending_ = true;  // the expunges, now
          return finish(c, "OK Move completed.");
        }
        if (into_selected) changes_pending_ = true;  // EXISTS, now
        finish(c, "OK " + code + " Copy completed.");
      });
}

}  // namespace loft::imap

// SELECT and EXAMINE (RFC 3501 6.3.1-2, RFC 9051 6.3.2-3).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "imap/flags.h"
#include "imap/mailbox_name.h"
#include "imap/response_writer.h"
#include "imap/select_params.h"
#include "imap/session.h"

namespace loft::imap {
namespace {

// Built on the worker: a 100,000-message view is a few milliseconds of
// copying that the event loop should not spend.
struct Opened {
  store::MailboxStatus status;
  MailboxView view;
  uint32_t first_unseen = 0;       // sequence number, 0 for none
  std::vector<uint32_t> vanished;  // QRESYNC: expunged since the client's MODSEQ
};

}  // namespace

// RFC 7162 3.2.5.1: what changed since the client's MODSEQ, among the UIDs
// it says it knows: VANISHED (EARLIER) first, then the flags.
std::string ImapSession::qresync_responses(const QresyncParams& q, std::vector<uint32_t> vanished) const {
  std::string out;
  if (!vanished.empty())
    out += "* VANISHED (EARLIER) " + RangeList::FromNumbers(std::move(vanished)).ToString() + "\r\n";
  const MailboxView& view = selected_->view;
  for (uint32_t seq = 1; seq <= view.count(); ++seq) {
    const MailboxView::Message& m = view.at(seq);
    if (m.modseq <= q.modseq) continue;
    if (q.known_uids && !q.known_uids->contains(m.uid)) continue;
    out += "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS ";
    AppendFlagList(out, m.flags, m.keywords);
    out += " MODSEQ (" + std::to_string(m.modseq) + "))\r\n";
  }
  return out;
}

void ImapSession::cmd_select(const Command& cmd) {
  const bool examine = cmd.name == "EXAMINE";
  Parsed<SelectArgs> args = ParseSelectArgs(cmd.args, utf8_mode(), qresync_enabled_);
  if (!args) return arg_error(cmd, args.error());
  // SELECT itself reports HIGHESTMODSEQ; no separate announcement.
  if (args->condstore || args->qresync) condstore_enabled_ = true;
  std::optional<QresyncParams> qresync = args->qresync;
  if (selected_) {
    // RFC 3501: selecting closes the current mailbox first (without
    // expunging), even when the new SELECT fails; RFC 7162/9051 [CLOSED].
    deselect();
    untagged("OK [CLOSED] Previous mailbox closed.");
  }
  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = args->mailbox;
  blocking<Opened>(
      [mail, name, qresync] {
        Opened o;
        // One consistent read: changes_since(its HIGHESTMODSEQ) later covers
        // anything that happens afterwards.
        std::shared_ptr<const store::MailboxSnapshot> snap = mail->snapshot(name);
        o.status = snap->status;
        o.view = MailboxView(*snap);
        for (size_t i = 0; i < snap->messages.size(); ++i) {
          if (!(snap->messages[i].flags & store::kSeen)) {
            o.first_unseen = static_cast<uint32_t>(i + 1);
            break;
          }
        }
        if (qresync && qresync->uidvalidity == o.status.uidvalidity && qresync->modseq < o.status.highest_modseq) {
          for (uint32_t uid : mail->changes_since(name, qresync->modseq).expunged)
            if (!qresync->known_uids || qresync->known_uids->contains(uid)) o.vanished.push_back(uid);
        }
        return o;
      },
      [this, examine, name, qresync](Outcome<Opened>& o) {
        const Command& c = *current_;
        if (!o.value) {
          if (o.store_error && (o.code == store::ErrorCode::kNotFound || o.code == store::ErrorCode::kInvalidName))
            return reply(c, "NO [NONEXISTENT] Mailbox doesn't exist: " +
                                EncodeMailboxName(name, utf8_mode()));
          spdlog::error("imap [{}]: selecting {} of {}: {}", peer_, name, user_, o.error);
          return reply(c, "NO [SERVERBUG] Internal error occurred. Refer to server log for more information.");
        }
        Opened& op = *o.value;
        const uint32_t first_unseen = op.first_unseen;
        const uint32_t uidnext = op.status.uidnext;
        // Not emplace(): clang 14 wrongly takes Selected for not default-constructible here.
        selected_.emplace(Selected{});
        selected_->name = name;
        selected_->read_only = examine;
        selected_->uidvalidity = op.status.uidvalidity;
        selected_->view = std::move(op.view);
        state_ = State::kSelected;
        // Feed events that came while the mailbox was being read were
        // dropped (nothing was selected): the sync step of this very
        // command asks once more.
        changes_pending_ = true;

        send(selected_->view.FlagsResponses(examine));
        untagged(std::to_string(selected_->view.count()) + " EXISTS");
        if (!rev2_enabled_) {
          untagged("0 RECENT");  // \Recent is not kept yet (IMAP4rev2 dropped it)
          if (first_unseen != 0) untagged("OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen.");
        }
        untagged("OK [UIDVALIDITY " + std::to_string(op.status.uidvalidity) + "] UIDs valid");
        untagged("OK [UIDNEXT " + std::to_string(uidnext) + "] Predicted next UID");
        untagged("OK [HIGHESTMODSEQ " + std::to_string(selected_->view.highest_modseq()) + "] Highest");
        if (rev2_enabled_) {
          // RFC 9051 6.3.2: a LIST response with the mailbox name.
          std::string list = "LIST () \"/\" ";
          AppendMailboxName(list, name, true);
          untagged(list);
        }
        if (qresync && qresync->uidvalidity == op.status.uidvalidity) send(qresync_responses(*qresync, op.vanished));
        finish(c, examine ? "OK [READ-ONLY] Examine completed." : "OK [READ-WRITE] Select completed.");
      }, Lane::kRead);
}

}  // namespace loft::imap

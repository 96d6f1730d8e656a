// STORE and UID STORE (RFC 3501 6.4.6, CONDSTORE UNCHANGEDSINCE RFC 7162
// 3.1.3), answered like Dovecot 2.3 (cmd-store.c):
//  - "* n FETCH ([UID u ][MODSEQ (m) ]FLAGS (...))" for every message whose
//    flags the command changed (none for messages it left as they were);
//    with .SILENT nothing, or "* n FETCH ([UID u ]MODSEQ (m))" when CONDSTORE
//    is on;
//  - UNCHANGEDSINCE: messages changed after the given MODSEQ are left alone
//    and listed in "OK [MODIFIED set] Conditional store failed." (sequence
//    numbers, UIDs for UID STORE); the test and the change are one store
//    transaction (store_flags_unchanged_since);
//  - EXAMINEd mailbox: "OK Store ignored with read-only mailbox.", or "NO
//    CONDSTORE failed: Mailbox is read-only." with UNCHANGEDSINCE;
//  - the sync step after STORE sends no EXPUNGE; after UID STORE it may
//    (RFC 3501 7.4.1 allows it for UID commands; Dovecot does the same).
#include "imap/response_writer.h"
#include "imap/session.h"
#include "imap/store_args.h"

namespace loft::imap {
namespace {

struct StoreResult {
  std::vector<store::MessageInfo> after;  // messages the command applied to, as they are now
  std::vector<uint32_t> modified;         // UIDs that failed UNCHANGEDSINCE
};

int ModeOf(StoreArgs::Mode mode) {
  switch (mode) {
    case StoreArgs::Mode::kAdd:
      return +1;
    case StoreArgs::Mode::kRemove:
      return -1;
    case StoreArgs::Mode::kReplace:
      break;
  }
  return 0;
}

}  // namespace

void ImapSession::cmd_store(const Command& cmd) {
  Parsed<StoreArgs> parsed = ParseStoreArgs(cmd.args, cmd.uid);
  if (!parsed) return arg_error(cmd, parsed.error());
  StoreArgs args = std::move(parsed.value());
  std::string error;
  std::optional<std::vector<uint32_t>> seqs = resolve_set(cmd, args.set, cmd.uid, &error);
  if (!seqs) return reply(cmd, error);
  if (args.unchanged_since) enable_condstore();  // RFC 7162 3.1
  const Sync sync = cmd.uid ? Sync::kFull : Sync::kNoExpunge;
  if (selected_->read_only) {
    return finish(cmd,
                  args.unchanged_since ? "NO CONDSTORE failed: Mailbox is read-only."
                                       : "OK Store ignored with read-only mailbox.",
                  sync);
  }
  std::vector<uint32_t> uids;
  uids.reserve(seqs->size());
  for (uint32_t seq : *seqs) uids.push_back(selected_->view.at(seq).uid);
  if (uids.empty()) return finish(cmd, "OK Store completed.", sync);

  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = selected_->name;
  auto shared = std::make_shared<StoreArgs>(std::move(args));
  blocking<StoreResult>(
      [mail, name, shared, uids = std::move(uids)] {
        const StoreArgs& a = *shared;
        StoreResult r;
        int mode = ModeOf(a.mode);
        if (a.unchanged_since) {
          r.after = mail->store_flags_unchanged_since(name, uids, mode, a.flags.system, a.flags.keywords,
                                                      *a.unchanged_since, &r.modified);
        } else {
          r.after = mail->store_flags(name, uids, mode, a.flags.system, a.flags.keywords);
        }
        return r;
      },
      [this, shared, sync, name](Outcome<StoreResult>& o) {
        const Command& c = *current_;
        if (!o.value) return finish(c, store_failure(o.store_error, o.code, o.error, name, "storing flags in"), sync);
        if (!selected_ || selected_->name != name) return finish(c, "OK Store completed.", sync);
        MailboxView& view = selected_->view;
        std::string out;
        for (const store::MessageInfo& info : o.value->after) {
          std::optional<uint32_t> seq = view.seq_of(info.uid);
          if (!seq) continue;
          const MailboxView::Message& known = view.at(*seq);
          // Unchanged by this command and nothing newer pending: no FETCH
          // (Dovecot drops flag updates that change nothing).
          if (known.expunged || info.modseq <= known.modseq) continue;
          if (shared->silent && !condstore_enabled_) {
            view.Told(info);
            continue;
          }
          out += "* " + std::to_string(*seq) + " FETCH (";
          if (c.uid) out += "UID " + std::to_string(info.uid) + " ";
          if (condstore_enabled_) out += "MODSEQ (" + std::to_string(info.modseq) + ")";
          if (!shared->silent) {
            if (condstore_enabled_) out += " ";
            out += "FLAGS ";
            AppendFlagList(out, info.flags, info.keywords);
          }
          out += ")\r\n";
          view.Told(info);
        }
        // A keyword new to the mailbox: FLAGS and PERMANENTFLAGS go before
        // the FETCH lines, as in Dovecot.
        send(view.TakeFlagsUpdate(selected_->read_only));
        send(out);
        changes_pending_ = true;  // our own change: the sync step reads it now
        if (o.value->modified.empty()) return finish(c, "OK Store completed.", sync);
        std::vector<uint32_t> failed;
        for (uint32_t uid : o.value->modified) {
          if (c.uid) {
            failed.push_back(uid);
          } else if (std::optional<uint32_t> seq = view.seq_of(uid)) {
            failed.push_back(*seq);
          }
        }
        finish(c, "OK [MODIFIED " + RangeList::FromNumbers(std::move(failed)).ToString() + "] Conditional store failed.",
               sync);
      }, Lane::kStore, read_ahead());  // our own change, for the sync step
}

}  // namespace loft::imap

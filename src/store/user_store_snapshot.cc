// MaildirUserStore::snapshot(): the mailbox's messages as one read, shared
// by every caller until the mailbox changes.
//
// The last snapshot of each mailbox is kept. A call compares it with the
// mailbox row (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ: every change to a
// mailbox's messages raises its HIGHESTMODSEQ, including another process's
// delivery, since the row is read from the index each time) and, when the
// mailbox moved on, builds the next snapshot from the last one plus the rows
// and tombstones above its MODSEQ: an index read proportional to the change,
// not to the mailbox.
#include <algorithm>

#include "store/mailbox_names.h"
#include "store/user_store.h"

namespace loft::store::internal {

namespace {

// `base` with `changed` (new or changed messages, ascending UIDs) merged in
// and `expunged` (ascending) taken out.
std::vector<MessageInfo> merge(const std::vector<MessageInfo>& base, std::vector<MessageInfo>&& changed,
                               const std::vector<uint32_t>& expunged) {
  std::vector<MessageInfo> out;
  out.reserve(base.size() + changed.size());
  auto gone = expunged.begin();
  auto next = changed.begin();
  auto is_gone = [&](uint32_t uid) {
    while (gone != expunged.end() && *gone < uid) ++gone;
    return gone != expunged.end() && *gone == uid;
  };
  for (const MessageInfo& m : base) {
    while (next != changed.end() && next->uid < m.uid) out.push_back(std::move(*next++));
    if (next != changed.end() && next->uid == m.uid) {
      out.push_back(std::move(*next++));
    } else if (!is_gone(m.uid)) {
      out.push_back(m);
    }
  }
  for (; next != changed.end(); ++next) out.push_back(std::move(*next));
  return out;
}

MailboxStatus count(const MailboxRow& row, const std::vector<MessageInfo>& messages) {
  MailboxStatus st;
  st.uidvalidity = row.uidvalidity;
  st.uidnext = row.uidnext;
  st.highest_modseq = row.highest_modseq;
  st.messages = static_cast<uint32_t>(messages.size());
  for (const MessageInfo& m : messages) {
    if (!(m.flags & kSeen)) ++st.unseen;
    if (m.flags & kDeleted) ++st.deleted;
    st.size += m.size;
  }
  return st;
}

bool current(const MailboxSnapshot& snap, const MailboxRow& row) {
  return snap.status.uidvalidity == row.uidvalidity && snap.status.uidnext == row.uidnext &&
         snap.status.highest_modseq == row.highest_modseq;
}

}  // namespace

std::shared_ptr<const MailboxSnapshot> MaildirUserStore::snapshot(std::string_view mailbox) {
  // Mail dropped into new/ by another program is taken in first.
  std::shared_ptr<const MailboxSnapshot> out;
  read_taking_in_new(canonical_mailbox_name(mailbox),
                     [&](IndexDb& db, const MailboxRow& row) { out = read_snapshot(db, row); });
  return out;
}

std::shared_ptr<const MailboxSnapshot> MaildirUserStore::read_snapshot(IndexDb& db, const MailboxRow& row) {
  std::shared_ptr<const MailboxSnapshot> kept;
  {
    std::lock_guard lock(cache_mu_);
    auto it = snapshots_.find(row.id);
    if (it != snapshots_.end()) kept = it->second;
  }
  if (kept && current(*kept, row)) return kept;
  // Built without cache_mu_: other readers go on meanwhile, and two
  // callers may build the same snapshot, of which one is kept.
  auto snap = std::make_shared<MailboxSnapshot>();
  const bool incremental = kept && kept->status.uidvalidity == row.uidvalidity &&
                           kept->status.highest_modseq < row.highest_modseq;
  const uint64_t since = incremental ? kept->status.highest_modseq : 0;
  std::vector<MessageInfo> rows = db.message_infos(row.id, since);
  if (incremental) {
    snap->messages = merge(kept->messages, std::move(rows), db.tombstones_since(row.id, since));
  } else {
    snap->messages = std::move(rows);
  }
  snap->status = count(row, snap->messages);
  {
    // Kept unless a newer one was stored meanwhile (a reader that began
    // its read transaction later). A mailbox deleted meanwhile may get
    // its entry back; ids are never reused, so it is only never read.
    std::lock_guard lock(cache_mu_);
    std::shared_ptr<const MailboxSnapshot>& slot = snapshots_[row.id];
    if (!slot || slot->status.uidvalidity != row.uidvalidity || slot->status.highest_modseq <= row.highest_modseq) {
      slot = snap;
    }
  }
  return snap;
}

}  // namespace loft::store::internal

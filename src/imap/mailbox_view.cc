#include "imap/mailbox_view.h"

#include <algorithm>

#include "imap/response_writer.h"
#include "imap/sequence_set.h"

namespace loft::imap {
namespace {

template <typename Vec>
auto FindUid(Vec& v, uint32_t uid) {
  auto it = std::lower_bound(v.begin(), v.end(), uid, [](const auto& m, uint32_t u) { return m.uid < u; });
  return (it != v.end() && it->uid == uid) ? it : v.end();
}

}  // namespace

MailboxView::MailboxView(std::vector<store::MessageInfo> messages, uint64_t highest_modseq)
    : highest_modseq_(highest_modseq) {
  std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
  messages_.reserve(messages.size());
  for (const store::MessageInfo& info : messages) {
    if (!messages_.empty() && messages_.back().uid == info.uid) continue;
    messages_.push_back(FromInfo(info));
    keywords_.insert(info.keywords.begin(), info.keywords.end());
  }
}

MailboxView::MailboxView(const store::MailboxSnapshot& snapshot)
    : highest_modseq_(snapshot.status.highest_modseq) {
  messages_.reserve(snapshot.messages.size());
  for (const store::MessageInfo& info : snapshot.messages) {
    messages_.push_back(FromInfo(info));
    keywords_.insert(info.keywords.begin(), info.keywords.end());
  }
}

void MailboxView::Learn(const std::vector<std::string>& keywords) {
  for (const std::string& k : keywords)
    if (keywords_.insert(k).second) keywords_changed_ = true;
}

std::string MailboxView::TakeFlagsUpdate(bool read_only) {
  if (!keywords_changed_) return {};
  keywords_changed_ = false;
  return FlagsResponses(read_only);
}

std::string MailboxView::FlagsResponses(bool read_only) const {
  constexpr uint32_t kAll = store::kAnswered | store::kFlagged | store::kDeleted | store::kSeen | store::kDraft;
  std::vector<std::string> kw(keywords_.begin(), keywords_.end());
  std::string out = "* FLAGS ";
  AppendFlagList(out, kAll, kw);
  out += "\r\n";
  if (read_only) {
    out += "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n";
  } else {
    std::string perm;
    AppendFlagList(perm, kAll, kw);
    perm.insert(perm.size() - 1, perm.back() == '(' ? "\\*" : " \\*");
    out += "* OK [PERMANENTFLAGS " + perm + "] Flags permitted.\r\n";
  }
  return out;
}

MailboxView::Message MailboxView::FromInfo(const store::MessageInfo& info) {
  Message m;
  m.uid = info.uid;
  m.flags = info.flags;
  m.keywords = info.keywords;
  m.modseq = info.modseq;
  return m;
}

void MailboxView::UpdateFlags(Message& m, const store::MessageInfo& info, bool mark_dirty) {
  if (info.modseq != 0 && info.modseq <= m.modseq) return;  // nothing newer than what we hold
  bool changed = m.flags != info.flags || m.keywords != info.keywords;
  Learn(info.keywords);
  m.flags = info.flags;
  m.keywords = info.keywords;
  m.modseq = std::max(m.modseq, info.modseq);
  if (mark_dirty && changed) {
    m.flags_dirty = true;
    marked_ = true;
  }
}

void MailboxView::Apply(const store::MailboxChanges& changes) {
  for (uint32_t uid : changes.expunged) {
    if (auto it = FindUid(new_, uid); it != new_.end()) {
      new_.erase(it);  // came and went before the client heard of it
      continue;
    }
    if (auto it = FindUid(messages_, uid); it != messages_.end()) {
      it->expunged = true;
      it->flags_dirty = false;
      marked_ = true;
    }
  }
  for (const store::MessageInfo& info : changes.added_or_changed) {
    if (std::binary_search(changes.expunged.begin(), changes.expunged.end(), info.uid)) continue;
    if (auto it = FindUid(messages_, info.uid); it != messages_.end()) {
      if (!it->expunged) UpdateFlags(*it, info, true);
      continue;
    }
    if (auto it = FindUid(new_, info.uid); it != new_.end()) {
      UpdateFlags(*it, info, false);  // the client fetches a new message's flags itself
      continue;
    }
    uint32_t top = !new_.empty() ? new_.back().uid : (!messages_.empty() ? messages_.back().uid : 0);
    // A UID at or below one we know and not in the view was expunged and
    // announced already (UIDs are never reused): nothing to do.
    if (info.uid <= top) continue;
    Learn(info.keywords);
    new_.push_back(FromInfo(info));
  }
  highest_modseq_ = std::max(highest_modseq_, changes.highest_modseq);
}

void MailboxView::Told(const store::MessageInfo& info) {
  auto it = FindUid(messages_, info.uid);
  if (it == messages_.end() || it->expunged) return;
  if (info.modseq != 0 && info.modseq < it->modseq) return;  // a newer state is pending
  Learn(info.keywords);
  it->flags = info.flags;
  it->keywords = info.keywords;
  it->modseq = std::max(it->modseq, info.modseq);
  it->flags_dirty = false;
}

bool MailboxView::HasPendingUpdates() const {
  if (!new_.empty() || keywords_changed_) return true;
  if (!marked_) return false;
  return std::any_of(messages_.begin(), messages_.end(), [](const Message& m) { return m.expunged || m.flags_dirty; });
}

std::string MailboxView::TakeUpdates(const SyncOptions& options) {
  // Dovecot's order (imap-sync.c): flag changes first, numbered as the
  // client knows the messages now, then the expunges, then the new count.
  std::string out = TakeFlagsUpdate(options.read_only);
  if (marked_) {
    bool expunged_left = false;
    for (size_t i = 0; i < messages_.size(); ++i) {
      Message& m = messages_[i];
      if (m.expunged) expunged_left = true;
      if (!m.flags_dirty || m.expunged) continue;
      m.flags_dirty = false;
      out += "* " + std::to_string(i + 1) + " FETCH (";
      if (options.send_uid) out += "UID " + std::to_string(m.uid) + " ";
      if (options.send_modseq) out += "MODSEQ (" + std::to_string(m.modseq) + ") ";
      out += "FLAGS ";
      AppendFlagList(out, m.flags, m.keywords);
      out += ")\r\n";
    }
    if (options.allow_expunge && expunged_left) {
      if (options.vanished) {
        // RFC 7162 3.2.10: UIDs, so the order does not matter.
        std::vector<uint32_t> gone;
        for (const Message& m : messages_)
          if (m.expunged) gone.push_back(m.uid);
        out += "* VANISHED " + RangeList::FromNumbers(std::move(gone)).ToString() + "\r\n";
      } else {
        // Highest sequence number first: every EXPUNGE then names the number
        // the client currently has for the message.
        for (size_t i = messages_.size(); i-- > 0;)
          if (messages_[i].expunged) out += "* " + std::to_string(i + 1) + " EXPUNGE\r\n";
      }
      std::erase_if(messages_, [](const Message& m) { return m.expunged; });
      expunged_left = false;
    }
    marked_ = expunged_left;  // every dirty flag was sent
  }
  if (!new_.empty()) {
    for (Message& m : new_) messages_.push_back(std::move(m));
    new_.clear();
    out += "* " + std::to_string(messages_.size()) + " EXISTS\r\n";
  }
  return out;
}

uint32_t MailboxView::first_seq_from(uint32_t uid) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                             [](const Message& m, uint32_t u) { return m.uid < u; });
  return static_cast<uint32_t>(it - messages_.begin() + 1);
}

std::optional<uint32_t> MailboxView::seq_of(uint32_t uid) const {
  auto it = FindUid(messages_, uid);
  if (it == messages_.end()) return std::nullopt;
  return static_cast<uint32_t>(it - messages_.begin() + 1);
}

}  // namespace loft::imap

// MaildirUserStore: cached parse results (see message_tree.h).
//
// Every message stored since schema version 2 has its tree in the index,
// written in the same transaction as its row. Older rows, and trees that no
// longer deserialise (a changed Serialize format, a damaged index), are
// parsed from the file on first request, without the lock, and stored.
#include <algorithm>

#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/message_tree.h"
#include "store/user_store.h"

namespace loft::store::internal {

namespace fs = std::filesystem;

std::string MaildirUserStore::parsed_message(std::string_view mailbox, uint32_t uid) {
  const uint32_t one[] = {uid};
  auto found = parsed_messages(mailbox, one);
  if (found.empty()) throw StoreError(ErrorCode::kNotFound, "no such message");
  return std::move(found[0].second);
}

std::vector<std::pair<uint32_t, std::string>> MaildirUserStore::parsed_messages(
    std::string_view mailbox, std::span<const uint32_t> uids) {
  const std::string name = canonical_mailbox_name(mailbox);
  std::vector<uint32_t> wanted(uids.begin(), uids.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  struct Stale {
    size_t index;  // into out
    int64_t message_id;
    fs::path path;
  };
  std::vector<std::pair<uint32_t, std::string>> out;
  std::vector<Stale> stale;
  {
    ReadAccess db(*this);
    Transaction tx(*db, Transaction::kRead);
    MailboxRow row = require_mailbox(*db, name);
    const fs::path dir = mailbox_path(row);
    for (uint32_t uid : wanted) {
      std::optional<TreeRow> t = db->message_tree(row.id, uid);
      if (!t) continue;
      if (!t->tree || !tree_is_usable(*t->tree, t->size)) {
        stale.push_back(Stale{out.size(), t->message_id, cur_path(dir, t->file)});
        out.emplace_back(uid, std::string());
      } else {
        out.emplace_back(uid, std::move(*t->tree));
      }
    }
    tx.commit();
  }
  if (stale.empty()) return out;

  // Files never change once written, so they are parsed without the lock.
  std::vector<std::pair<int64_t, size_t>> computed;  // message id, index into out
  bool lost_any = false;
  for (const Stale& s : stale) {
    try {
      out[s.index].second = tree_of_file(s.path);
      computed.emplace_back(s.message_id, s.index);
    } catch (const StoreError& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      out[s.index].first = 0;  // expunged meanwhile by another process
      lost_any = true;
    }
  }
  // Best effort: a read does not fail because its cache could not be written
  // (another writer holding the index past the busy timeout, say).
  try {
    WriteLock lock(*this);
    Transaction tx(*db_, Transaction::kWrite);
    for (const auto& [id, index] : computed) db_->put_tree(id, out[index].second);
    tx.commit();
  } catch (const StoreError&) {
  }
  if (lost_any) std::erase_if(out, [](const auto& p) { return p.first == 0; });
  return out;
}

}  // namespace loft::store::internal

// loft check: cached MIME trees (message_trees). A tree is a cache of the
// file's parse; one that does not deserialise or does not cover the
// message's size would be parsed again on demand anyway, but it means the
// index and the file disagree, so it is reported and, with repair, dropped.
// Checking that a usable tree matches the file's bytes would mean parsing
// every message: left out (a size mismatch, checked in user_store_check.cc,
// drops the tree of a file whose content changed length).
#include "store/check_util.h"
#include "store/message_tree.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

// Trees are read this many at a time, so a big mailbox never sits in memory.
constexpr size_t kTreeBatch = 500;

}  // namespace

void MaildirUserStore::check_trees(const MailboxRow& row, bool repair, CheckReport& report) {
  std::vector<CheckFinding> found;
  std::vector<int64_t> unusable;  // message row ids, parallel to found
  uint32_t after = 0;
  while (true) {
    std::vector<TreeRow> batch;
    {
      WriteLock lock(*this);
      batch = db_->trees_after(row.id, after, kTreeBatch);
    }
    if (batch.empty()) break;
    after = batch.back().uid;
    for (const TreeRow& t : batch) {
      if (!t.tree || tree_is_usable(*t.tree, t.size)) continue;  // none yet is fine: made on demand
      found.push_back(make_finding(CheckFinding::Kind::kCachedTree, row.name, t.uid,
                                   "cached MIME tree does not fit the message", file_label(row, "cur", t.file)));
      unusable.push_back(t.message_id);
    }
  }
  if (repair && !found.empty()) {
    try {
      WriteLock lock(*this);
      Transaction tx(*db_, Transaction::kWrite);
      for (int64_t id : unusable) db_->drop_tree(id);  // nothing when the message went meanwhile
      tx.commit();
      for (CheckFinding& f : found) mark_repaired(f, "dropped (parsed again when next needed)");
    } catch (const StoreError& e) {
      for (CheckFinding& f : found) mark_failed(f, e.what());
    }
  }
  for (CheckFinding& f : found) report.findings.push_back(std::move(f));
}

}  // namespace loft::store::internal

// loft check: the search index (search.sqlite), derived data. What is cheap
// to check: SQLite's quick_check of the file, and that no mailbox's box
// claims to have indexed UIDs the mailbox has not given out (indexed_through
// must stay below UIDNEXT, else mail arriving under those UIDs would never
// be indexed and SEARCH would miss it). Whether each indexed word list
// matches its message would mean reading every message: left out; a
// message whose size changed has its mailbox's box dropped by the message
// check instead. Boxes of deleted mailboxes are not findings: the
// background indexer drops them.
#include "store/check_util.h"
#include "store/search_index_db.h"
#include "store/user_store.h"

namespace loft::store::internal {

void MaildirUserStore::check_search_index(bool repair, CheckReport& report) {
  const SearchIndexHealth health = SearchIndexDb::Inspect(search_->file());
  if (!health.error.empty()) {
    report.complete = false;
    report.notes.push_back("search index not checked: " + health.error);
    return;
  }
  if (!health.damage.empty()) {
    CheckFinding f = make_finding(CheckFinding::Kind::kSearchIndex, {}, 0,
                                  "search index " + search_->file().filename().string() +
                                      " is damaged: " + health.damage,
                                  search_->file().filename().string());
    if (repair) {
      try {
        search_->discard();
        mark_repaired(f, "removed (built again when next needed)");
      } catch (const std::exception& e) {
        mark_failed(f, e.what());
      }
    }
    report.findings.push_back(std::move(f));
    return;
  }
  if (!health.current_format) return;  // none yet, or an old format: built anew on first use
  std::vector<MailboxRow> rows;
  {
    WriteLock lock(*this);
    rows = db_->mailboxes();
  }
  for (const SearchBoxRow& box : health.boxes) {
    for (const MailboxRow& row : rows) {
      if (row.id != box.key.mailbox_id || row.uidvalidity != box.key.uidvalidity) continue;
      if (box.indexed_through < row.uidnext) continue;
      CheckFinding f = make_finding(CheckFinding::Kind::kSearchIndex, row.name, 0,
                                    "search index says UIDs up to " + std::to_string(box.indexed_through) +
                                        " are indexed, but UIDNEXT is " + std::to_string(row.uidnext),
                                    search_->file().filename().string());
      if (repair) {
        try {
          search_->forget(box.key);
          mark_repaired(f, "the mailbox's search index dropped (built again when next needed)");
        } catch (const std::exception& e) {
          mark_failed(f, e.what());
        }
      }
      report.findings.push_back(std::move(f));
    }
  }
}

}  // namespace loft::store::internal

// MaildirUserStore and its search index (search_index.h): what the indexer
// reads, and SEARCH's way in.
#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/message_tree.h"
#include "store/user_store.h"

namespace loft::store::internal {

namespace fs = std::filesystem;

// The indexer's view of the store. Reads the index through a reader
// connection (never waiting for a writer, never holding one up), and files
// without any lock.
class MaildirSearchFeed : public SearchIndexFeed {
 public:
  explicit MaildirSearchFeed(MaildirUserStore& store) : s_(store) {}

  std::optional<SearchMailboxKey> mailbox_key(const std::string& canonical_name) override {
    MaildirUserStore::ReadAccess db(s_, MaildirUserStore::ReadAccess::kReaderOnly);
    std::optional<MailboxRow> row = db->mailbox_by_name(canonical_name);
    if (!row) return std::nullopt;
    return SearchMailboxKey{row->id, row->uidvalidity};
  }

  std::vector<SearchMailboxKey> mailbox_keys() override {
    MaildirUserStore::ReadAccess db(s_, MaildirUserStore::ReadAccess::kReaderOnly);
    std::vector<SearchMailboxKey> out;
    for (const MailboxRow& row : db->mailboxes()) out.push_back({row.id, row.uidvalidity});
    return out;
  }

  uint64_t message_count(const SearchMailboxKey& key) override {
    MaildirUserStore::ReadAccess db(s_, MaildirUserStore::ReadAccess::kReaderOnly);
    Transaction tx(*db, Transaction::kRead);
    std::optional<MailboxRow> row = db->mailbox_by_id(key.mailbox_id);
    uint64_t n = row ? db->status(*row).messages : 0;
    tx.commit();
    return n;
  }

  uint64_t count_after(const SearchMailboxKey& key, uint32_t after) override {
    MaildirUserStore::ReadAccess db(s_, MaildirUserStore::ReadAccess::kReaderOnly);
    return db->count_after(key.mailbox_id, after);
  }

  std::optional<MessagesToIndex> messages_after(const SearchMailboxKey& key, uint32_t after, size_t max_messages,
                                                uint64_t max_bytes) override {
    std::vector<TreeRow> rows;
    fs::path dir;
    {
      MaildirUserStore::ReadAccess db(s_, MaildirUserStore::ReadAccess::kReaderOnly);
      Transaction tx(*db, Transaction::kRead);
      std::optional<MailboxRow> row = db->mailbox_by_id(key.mailbox_id);
      if (!row || row->uidvalidity != key.uidvalidity) return std::nullopt;
      dir = s_.mailbox_path(*row);
      rows = db->trees_after(row->id, after, max_messages);
      tx.commit();
    }
    MessagesToIndex out;
    uint64_t bytes = 0;
    for (TreeRow& r : rows) {
      if (!out.messages.empty() && bytes + r.size > max_bytes) break;
      out.last_uid = r.uid;
      if (r.size > kMaxIndexedBytes) {
        MessageToIndex big;
        big.uid = r.uid;
        big.too_big = true;
        out.messages.push_back(std::move(big));
        continue;
      }
      std::optional<MessageToIndex> m = load(dir, r);
      if (!m) continue;  // expunged meanwhile
      bytes += m->data.size();
      out.messages.push_back(std::move(*m));
    }
    return out;
  }

  std::optional<MessageToIndex> message(const SearchMailboxKey& key, uint32_t uid) override {
    std::optional<TreeRow> row;
    fs::path dir;
    {
      MaildirUserStore::ReadAccess db(s_, MaildirUserStore::ReadAccess::kReaderOnly);
      Transaction tx(*db, Transaction::kRead);
      std::optional<MailboxRow> box = db->mailbox_by_id(key.mailbox_id);
      if (!box || box->uidvalidity != key.uidvalidity) return std::nullopt;
      dir = s_.mailbox_path(*box);
      row = db->message_tree(box->id, uid);
      tx.commit();
    }
    if (!row) return std::nullopt;
    return load(dir, *row);
  }

 private:
  // The message's file and the tree SEARCH's scan would use
  // (parsed_messages); nullopt when the file is gone (expunged meanwhile).
  static std::optional<MessageToIndex> load(const fs::path& dir, TreeRow& row) {
    std::optional<std::string> data = read_file(cur_path(dir, row.file));
    if (!data) return std::nullopt;
    MessageToIndex m;
    m.uid = row.uid;
    m.tree = cached_tree_or_parse(std::move(row.tree), *data);
    m.data = std::move(*data);
    return m;
  }

  // The whole file, or nullopt when it is gone (expunged meanwhile).
  static std::optional<std::string> read_file(const fs::path& path) {
    try {
      MessageFile file = open_message_file(path);
      return file.read(0, static_cast<size_t>(file.size()));
    } catch (const StoreError& e) {
      if (e.code() == ErrorCode::kNotFound) return std::nullopt;
      throw;
    }
  }

  MaildirUserStore& s_;
};

void MaildirUserStore::start_search_index(bool background) {
  search_feed_ = std::make_shared<MaildirSearchFeed>(*this);
  SearchIndex::Options options;
  options.background = background;
  search_ = std::make_shared<SearchIndex>(user_dir_ / "search.sqlite", *search_feed_, options);
}

MaildirUserStore::~MaildirUserStore() {
  stop_watching();  // no arrival callback runs from here on
  // The background thread reads through this object: it stops first.
  if (search_) search_->stop();
}

std::unique_ptr<MailboxSearchIndex> MaildirUserStore::search_index(std::string_view mailbox) {
  return search_->open(canonical_mailbox_name(mailbox));
}

std::optional<uint32_t> MaildirUserStore::update_search_index(std::string_view mailbox) {
  try {
    return search_->catch_up_all(canonical_mailbox_name(mailbox));
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception&) {
    return std::nullopt;  // derived data: SEARCH scans
  }
}

}  // namespace loft::store::internal

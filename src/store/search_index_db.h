// search.sqlite: the SQL behind SearchIndex (search_index.h). One object is
// one connection; not thread-safe by itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sqlite/statement_cache.h"
#include "store/search_index.h"
#include "store/search_index_words.h"

struct sqlite3;
struct sqlite3_stmt;

namespace loft::store::internal {

// Any failure of the index file; `corrupt` when it should be thrown away.
class SearchIndexError : public std::runtime_error {
 public:
  SearchIndexError(const std::string& what, bool corrupt) : std::runtime_error(what), corrupt_(corrupt) {}
  bool corrupt() const { return corrupt_; }

 private:
  bool corrupt_;
};

struct SearchBoxRow {
  int64_t id = 0;
  SearchMailboxKey key;
  uint32_t indexed_through = 0;
  uint64_t rows = 0;
  uint64_t fresh = 0;  // messages whose postings are not merged yet
};

// One constraint of a query: the messages having a word that matches.
struct WordPiece {
  std::string_view text;
  WordMatch mode = WordMatch::kSubstring;
};

// What loft check reads of the file without changing it.
struct SearchIndexHealth {
  bool exists = false;
  std::string damage;          // why the file is damaged; empty: it is not
  std::string error;           // could not be read for another reason (a lock held too long)
  bool current_format = false;  // another format is simply rebuilt on first use
  std::vector<SearchBoxRow> boxes;
};

class SearchIndexDb {
 public:
  // Never creates, changes or removes the file.
  static SearchIndexHealth Inspect(const std::filesystem::path& file);

  // Bumped whenever the indexed text or the table layout changes: an index
  // of another format is thrown away and rebuilt.
  static constexpr int kFormat = 3;  // 1: FTS5 trigram tables; 2: no unindexed_<box> table

  // Opens (creating) the file; one that is not a usable index of this format
  // is removed and made anew. Throws SearchIndexError when even that fails.
  explicit SearchIndexDb(const std::filesystem::path& file);
  ~SearchIndexDb();
  SearchIndexDb(const SearchIndexDb&) = delete;
  SearchIndexDb& operator=(const SearchIndexDb&) = delete;

  // Removes the file (and its WAL): the next open starts empty.
  static void Remove(const std::filesystem::path& file);

  std::optional<SearchBoxRow> box(const SearchMailboxKey& key);
  std::optional<SearchBoxRow> box_by_id(int64_t id);
  std::vector<SearchBoxRow> boxes();
  SearchBoxRow create_box(const SearchMailboxKey& key);
  void drop_box(int64_t id);

  // Adds the documents (uid, text) and the UIDs of messages too big to
  // index (`unindexed`: every search must read them), and moves
  // indexed_through to `through`, in one transaction, if the box still
  // exists and its indexed_through is still `expected` (another process may
  // have indexed meanwhile); returns whether it did.
  bool add(int64_t box, uint32_t expected, uint32_t through,
           const std::vector<std::pair<uint32_t, SearchDoc>>& docs, const std::vector<uint32_t>& unindexed = {});
  // Moves the postings added since the last merge (one row per word and
  // batch) into one row per word: fewer rows, smaller and faster to read.
  void merge(int64_t box);

  // The UIDs up to `through` that satisfy every piece in one of the
  // fields (a union over fields, an intersection over pieces); nullopt when
  // the box is gone or behind `through` (rebuilt by another process).
  std::optional<std::vector<uint32_t>> find(int64_t box, uint32_t through, SearchField field,
                                            const std::vector<WordPiece>& pieces);
  // The UIDs up to `through` added as unindexed (too big), ascending.
  std::vector<uint32_t> unindexed(int64_t box, uint32_t through);

  // For measurements: rows in the box's tables.
  struct Sizes {
    uint64_t words = 0, posting_rows = 0, fresh_rows = 0;
  };
  Sizes sizes(int64_t box);

 private:
  Vocabulary& vocabulary(int64_t box, int field);
  void open(const std::filesystem::path& file);
  void exec(const std::string& sql);
  void exec_kept(const char* sql);
  // A statement prepared once and kept (the indexer's batch and a SEARCH
  // run the same few again and again); the caller resets it.
  sqlite3_stmt* kept(const std::string& sql);
  // Finalises the kept statements; only where none is in use.
  void drop_kept();
  [[noreturn]] void fail(const std::string& what, int rc);

  sqlite3* db_ = nullptr;
  sqlite::StatementCache<std::string> kept_;
  // Per (box, field), the vocabulary as far as it was read from the file.
  std::map<std::pair<int64_t, int>, Vocabulary> vocab_;
};

}  // namespace loft::store::internal

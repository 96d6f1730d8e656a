// search.sqlite: the SQL behind SearchIndex (search_index.h). One object is
// one connection; not thread-safe by itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/search_index.h"

struct sqlite3;

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
};

class SearchIndexDb {
 public:
  // Bumped whenever the indexed text or the table layout changes: an index
  // of another format is thrown away and rebuilt.
  static constexpr int kFormat = 1;

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

  // Adds the documents (uid, text) and moves indexed_through to `through`,
  // in one transaction, if the box still exists and its indexed_through is
  // still `expected` (another process may have indexed meanwhile); returns
  // whether it did.
  bool add(int64_t box, uint32_t expected, uint32_t through,
           const std::vector<std::pair<uint32_t, SearchDoc>>& docs);
  // Merges the box's segments (smaller, faster to search).
  void optimize(int64_t box);

  // UIDs whose field contains the needle; the needle must be IndexableNeedle().
  std::vector<uint32_t> find(int64_t box, SearchField field, std::string_view folded_needle);

 private:
  void open(const std::filesystem::path& file);
  void exec(const std::string& sql);
  [[noreturn]] void fail(const std::string& what, int rc);

  sqlite3* db_ = nullptr;
};

}  // namespace loft::store::internal

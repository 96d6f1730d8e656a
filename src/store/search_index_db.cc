#include "store/search_index_db.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <unordered_map>

#include "sqlite/wal.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;

bool IsCorruption(int rc) {
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT;
}

std::string Vocab(int64_t box) { return "vocab_" + std::to_string(box); }
std::string Fresh(int64_t box) { return "fresh_" + std::to_string(box); }
std::string Postings(int64_t box) { return "postings_" + std::to_string(box); }
std::string Unindexed(int64_t box) { return "unindexed_" + std::to_string(box); }

// Stored field numbers; SearchDoc's members in this order.
constexpr int kFieldCount = 7;
enum StoredField { kBodyField, kHeadersField, kFromField, kToField, kCcField, kBccField, kSubjectField };

const std::string& FieldText(const SearchDoc& d, int f) {
  switch (f) {
    case kBodyField:
      return d.body;
    case kHeadersField:
      return d.headers;
    case kFromField:
      return d.from;
    case kToField:
      return d.to;
    case kCcField:
      return d.cc;
    case kBccField:
      return d.bcc;
    default:
      return d.subject;
  }
}

std::vector<int> StoredFields(SearchField field) {
  switch (field) {
    case SearchField::kBody:
      return {kBodyField};
    case SearchField::kText:
      return {kBodyField, kHeadersField};
    case SearchField::kPartHeaders:
      return {kHeadersField};
    case SearchField::kFrom:
      return {kFromField};
    case SearchField::kTo:
      return {kToField};
    case SearchField::kCc:
      return {kCcField};
    case SearchField::kBcc:
      return {kBccField};
    case SearchField::kSubject:
      return {kSubjectField};
  }
  return {kBodyField};
}

// A set of UIDs up to a bound: a bitmap when that is small enough, else a
// sorted vector.
class UidSet {
 public:
  explicit UidSet(uint32_t through) : through_(through) {
    if (through <= (1u << 27)) bits_.assign(through / 64 + 1, 0);
  }
  void add(uint32_t uid) {
    if (uid > through_) return;
    if (!bits_.empty())
      bits_[uid / 64] |= uint64_t{1} << (uid % 64);
    else
      list_.push_back(uid);
  }
  std::vector<uint32_t> take() {
    std::vector<uint32_t> out;
    if (!bits_.empty()) {
      for (size_t w = 0; w < bits_.size(); ++w)
        for (uint64_t b = bits_[w]; b; b &= b - 1)
          out.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(b))));
      return out;
    }
    std::sort(list_.begin(), list_.end());
    list_.erase(std::unique(list_.begin(), list_.end()), list_.end());
    return std::move(list_);
  }

 private:
  uint32_t through_;
  std::vector<uint64_t> bits_;
  std::vector<uint32_t> list_;
};

// A prepared statement finalised on scope exit, or a kept one
// (SearchIndexDb::kept) reset and unbound on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &s_, nullptr);
    if (rc != SQLITE_OK) throw SearchIndexError("search index: prepare: " + std::string(sqlite3_errmsg(db)),
                                                IsCorruption(rc));
  }
  Statement(sqlite3* db, sqlite3_stmt* kept) : db_(db), s_(kept), owned_(false) {}
  ~Statement() {
    if (owned_) {
      sqlite3_finalize(s_);
    } else {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);  // the bound text is the caller's (SQLITE_STATIC)
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(rc);
    return false;
  }
  void run() {
    while (step()) {
    }
    sqlite3_reset(s_);
  }
  void reset() { sqlite3_reset(s_); }
  int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
  }
  Statement& bind_blob(int i, std::string_view v) {
    check(sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_STATIC));
    return *this;
  }
  std::string_view blob(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    const int n = sqlite3_column_bytes(s_, col);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string_view();
  }

 private:
  void check(int rc) {
    if (rc == SQLITE_OK) return;
    throw SearchIndexError("search index: " + std::string(sqlite3_errmsg(db_)), IsCorruption(rc));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  bool owned_ = true;
};

SearchBoxRow RowOf(const Statement& s) {
  SearchBoxRow r;
  r.id = s.int64(0);
  r.key.mailbox_id = s.int64(1);
  r.key.uidvalidity = static_cast<uint32_t>(s.int64(2));
  r.indexed_through = static_cast<uint32_t>(s.int64(3));
  r.rows = static_cast<uint64_t>(s.int64(4));
  r.fresh = static_cast<uint64_t>(s.int64(5));
  return r;
}

// Kept statements at most (a few per box): then they are made again.
constexpr size_t kMaxKept = 256;

constexpr const char* kBoxColumns = "SELECT id, mailbox_id, uidvalidity, indexed_through, row_count, fresh_count FROM boxes ";

}  // namespace

SearchIndexHealth SearchIndexDb::Inspect(const fs::path& file) {
  SearchIndexHealth health;
  std::error_code ec;
  health.exists = fs::exists(file, ec);
  if (!health.exists) return health;
  sqlite3* db = nullptr;
  try {
    int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      throw SearchIndexError("cannot open: " + std::string(db ? sqlite3_errmsg(db) : "out of memory"),
                             IsCorruption(rc));
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    {
      Statement s(db, "PRAGMA quick_check(1)");
      if (s.step() && s.text(0) != "ok") throw SearchIndexError(s.text(0), true);
    }
    {
      Statement s(db, "PRAGMA user_version");
      health.current_format = s.step() && s.int64(0) == kFormat;
    }
    if (health.current_format) {
      Statement s(db, std::string(kBoxColumns) + "ORDER BY id");
      while (s.step()) health.boxes.push_back(RowOf(s));
    }
  } catch (const SearchIndexError& e) {
    // SQLite's own words ("file is not a database"), without our prefixes.
    const int rc = db ? sqlite3_errcode(db) : SQLITE_OK;
    const bool sqlite_said = rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE;
    (e.corrupt() ? health.damage : health.error) = sqlite_said ? sqlite3_errmsg(db) : e.what();
  }
  sqlite3_close_v2(db);
  return health;
}

SearchIndexDb::SearchIndexDb(const fs::path& file) {
  try {
    open(file);
    return;
  } catch (const SearchIndexError& e) {
    // Derived data: a damaged file, or one of another format, is started
    // again; anything else (a lock held too long) is the caller's failure.
    if (!e.corrupt()) {
      if (db_) sqlite3_close_v2(db_);
      db_ = nullptr;
      throw;
    }
  }
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
  Remove(file);
  open(file);
}

SearchIndexDb::~SearchIndexDb() {
  drop_kept();
  if (db_) sqlite3_close_v2(db_);
}

sqlite3_stmt* SearchIndexDb::kept(const std::string& sql) {
  if (sqlite3_stmt* s = kept_.find(sql)) return s;
  int rc = SQLITE_OK;
  sqlite3_stmt* s = kept_.prepare(db_, sql, sql, &rc);
  if (!s) fail("prepare", rc);
  return s;
}

void SearchIndexDb::drop_kept() { kept_.clear(); }

void SearchIndexDb::Remove(const fs::path& file) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((file.string() + suffix).c_str());
}

void SearchIndexDb::open(const fs::path& file) {
  int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) fail("open", rc);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db_, 1);
  // Retried while busy: several connections (the indexer's, a search's, or
  // another process's such as `loft index`) may open a user's index before
  // it exists, and switching the new file needs a moment of exclusive access
  // that the busy handler does not always cover (sqlite/wal.h). A file that
  // is no database fails here (SQLITE_NOTADB: corrupt), and is made anew.
  rc = sqlite::switch_to_wal(db_, std::chrono::milliseconds(kBusyTimeoutMs)).rc;
  if (rc != SQLITE_OK) fail("PRAGMA journal_mode=WAL", rc);
  // Derived data: a crash may lose the last commits, which are then indexed
  // again (indexed_through goes back with them); never an fsync per commit.
  exec("PRAGMA synchronous=NORMAL");
  int version;
  {
    Statement s(db_, "PRAGMA user_version");
    version = s.step() ? static_cast<int>(s.int64(0)) : 0;
  }
  if (version == kFormat) {
    Statement s(db_, "SELECT count(*) FROM boxes");  // also proves the file readable
    s.step();
    return;
  }
  if (version != 0) throw SearchIndexError("search index: format " + std::to_string(version), true);
  exec("BEGIN IMMEDIATE");
  try {
    exec("CREATE TABLE IF NOT EXISTS boxes ("
         " id INTEGER PRIMARY KEY AUTOINCREMENT,"
         " mailbox_id INTEGER NOT NULL, uidvalidity INTEGER NOT NULL,"
         " indexed_through INTEGER NOT NULL DEFAULT 0, row_count INTEGER NOT NULL DEFAULT 0,"
         " fresh_count INTEGER NOT NULL DEFAULT 0,"
         " UNIQUE (mailbox_id, uidvalidity))");
    exec("PRAGMA user_version=" + std::to_string(kFormat));
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void SearchIndexDb::exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(sql, rc);
}

// BEGIN, COMMIT and the like, each batch and each SEARCH: kept prepared.
void SearchIndexDb::exec_kept(const char* sql) {
  sqlite3_stmt* s = kept(sql);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail(sql, rc);
}

void SearchIndexDb::fail(const std::string& what, int rc) {
  throw SearchIndexError("search index: " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"),
                         IsCorruption(rc));
}

std::optional<SearchBoxRow> SearchIndexDb::box(const SearchMailboxKey& key) {
  Statement s(db_, kept(std::string(kBoxColumns) + "WHERE mailbox_id=? AND uidvalidity=?"));
  s.bind(1, key.mailbox_id).bind(2, static_cast<int64_t>(key.uidvalidity));
  if (!s.step()) return std::nullopt;
  return RowOf(s);
}

std::optional<SearchBoxRow> SearchIndexDb::box_by_id(int64_t id) {
  Statement s(db_, kept(std::string(kBoxColumns) + "WHERE id=?"));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return RowOf(s);
}

std::vector<SearchBoxRow> SearchIndexDb::boxes() {
  Statement s(db_, std::string(kBoxColumns) + "ORDER BY id");
  std::vector<SearchBoxRow> out;
  while (s.step()) out.push_back(RowOf(s));
  return out;
}

SearchBoxRow SearchIndexDb::create_box(const SearchMailboxKey& key) {
  exec("BEGIN IMMEDIATE");
  try {
    std::optional<SearchBoxRow> existing = box(key);  // another process may have made it
    if (!existing) {
      Statement ins(db_, "INSERT INTO boxes (mailbox_id, uidvalidity) VALUES (?, ?)");
      ins.bind(1, key.mailbox_id).bind(2, static_cast<int64_t>(key.uidvalidity)).run();
      const int64_t id = sqlite3_last_insert_rowid(db_);
      // Per field: the vocabulary in chunks (one row per batch: its new
      // words, each followed by a newline; word id = position overall),
      // postings of recent batches (fresh) and merged postings. A posting
      // row holds first_uid and the deltas of the rest, varint-encoded.
      exec("CREATE TABLE " + Vocab(id) +
           " (field INTEGER NOT NULL, seq INTEGER NOT NULL, words BLOB NOT NULL,"
           " PRIMARY KEY (field, seq)) WITHOUT ROWID");
      for (const std::string& t : {Fresh(id), Postings(id)})
        exec("CREATE TABLE " + t +
             " (field INTEGER NOT NULL, word INTEGER NOT NULL, first_uid INTEGER NOT NULL, uids BLOB NOT NULL,"
             " PRIMARY KEY (field, word, first_uid)) WITHOUT ROWID");
      // Messages too big to index (kMaxIndexedBytes): every search reads them.
      exec("CREATE TABLE " + Unindexed(id) + " (uid INTEGER PRIMARY KEY)");
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  std::optional<SearchBoxRow> made = box(key);
  if (!made) throw SearchIndexError("search index: box vanished", false);
  return *made;
}

void SearchIndexDb::drop_box(int64_t id) {
  drop_kept();  // some name the box's tables
  exec("BEGIN IMMEDIATE");
  try {
    Statement del(db_, "DELETE FROM boxes WHERE id=?");
    del.bind(1, id).run();
    for (const std::string& t : {Vocab(id), Fresh(id), Postings(id), Unindexed(id)}) exec("DROP TABLE IF EXISTS " + t);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  for (int f = 0; f < kFieldCount; ++f) vocab_.erase({id, f});
}

Vocabulary& SearchIndexDb::vocabulary(int64_t box, int field) {
  if (vocab_.size() > 64 && !vocab_.count({box, field})) vocab_.clear();  // bounded: boxes come and go
  Vocabulary& v = vocab_[{box, field}];
  Statement s(db_, kept("SELECT seq, words FROM " + Vocab(box) + " WHERE field=? AND seq>=? ORDER BY seq"));
  s.bind(1, static_cast<int64_t>(field)).bind(2, v.chunks);
  while (s.step()) {
    if (s.int64(0) != v.chunks) throw SearchIndexError("search index: vocabulary chunk missing", true);
    v.append_chunk(s.blob(1));
  }
  return v;
}

bool SearchIndexDb::add(int64_t box, uint32_t expected, uint32_t through,
                        const std::vector<std::pair<uint32_t, SearchDoc>>& docs, const std::vector<uint32_t>& unindexed) {
  std::vector<std::string> new_words(kFieldCount);
  if (kept_.size() > kMaxKept) drop_kept();  // bounded: boxes come and go
  exec_kept("BEGIN IMMEDIATE");
  try {
    std::optional<SearchBoxRow> row = box_by_id(box);
    if (!row || row->indexed_through != expected) {
      exec_kept("ROLLBACK");
      return false;
    }
    std::vector<size_t> order(docs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return docs[a].first < docs[b].first; });
    Statement add_words(db_, kept("INSERT INTO " + Vocab(box) + " (field, seq, words) VALUES (?,?,?)"));
    Statement add_postings(db_,
                           kept("INSERT INTO " + Fresh(box) + " (field, word, first_uid, uids) VALUES (?,?,?,?)"));
    for (int f = 0; f < kFieldCount; ++f) {
      Vocabulary& vocab = vocabulary(box, f);
      // Words new in this batch, kept apart until the commit went through.
      std::unordered_map<std::string, uint32_t> added;
      std::unordered_map<uint32_t, std::vector<uint32_t>> postings;
      for (size_t i : order) {
        const uint32_t uid = docs[i].first;
        ForEachWord(FieldText(docs[i].second, f), [&](std::string_view w) {
          uint32_t id;
          if (!vocab.lookup(w, id)) {
            auto [it, fresh] = added.try_emplace(std::string(w), vocab.size() + static_cast<uint32_t>(added.size()));
            if (fresh) {
              new_words[f] += w;
              new_words[f] += '\n';
            }
            id = it->second;
          }
          std::vector<uint32_t>& uids = postings[id];
          if (uids.empty() || uids.back() != uid) uids.push_back(uid);
        });
      }
      if (!new_words[f].empty()) {
        add_words.bind(1, static_cast<int64_t>(f)).bind(2, vocab.chunks).bind_blob(3, new_words[f]).run();
      }
      std::vector<uint32_t> ids;
      ids.reserve(postings.size());
      for (const auto& [id, uids] : postings) ids.push_back(id);
      std::sort(ids.begin(), ids.end());
      std::string blob;
      for (uint32_t id : ids) {
        const std::vector<uint32_t>& uids = postings[id];
        blob.clear();
        AppendPostings(blob, uids[0], std::vector<uint32_t>(uids.begin() + 1, uids.end()));
        add_postings.bind(1, static_cast<int64_t>(f))
            .bind(2, static_cast<int64_t>(id))
            .bind(3, static_cast<int64_t>(uids[0]))
            .bind_blob(4, blob)
            .run();
      }
    }
    Statement add_unindexed(db_, "INSERT OR IGNORE INTO " + Unindexed(box) + " (uid) VALUES (?)");
    for (uint32_t uid : unindexed) add_unindexed.bind(1, static_cast<int64_t>(uid)).run();
    Statement upd(db_,
                  kept("UPDATE boxes SET indexed_through=?, row_count=row_count+?, fresh_count=fresh_count+? WHERE id=?"));
    upd.bind(1, static_cast<int64_t>(through))
        .bind(2, static_cast<int64_t>(docs.size() + unindexed.size()))
        .bind(3, static_cast<int64_t>(docs.size()))
        .bind(4, box)
        .run();
    exec_kept("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    for (int f = 0; f < kFieldCount; ++f) vocab_.erase({box, f});
    throw;
  }
  // Only now are the new words the file's.
  for (int f = 0; f < kFieldCount; ++f) {
    if (!new_words[f].empty()) vocab_[{box, f}].append_chunk(new_words[f]);
  }
  return true;
}

void SearchIndexDb::merge(int64_t box) {
  exec_kept("BEGIN IMMEDIATE");
  try {
    Statement read(db_, "SELECT field, word, first_uid, uids FROM " + Fresh(box) + " ORDER BY field, word, first_uid");
    Statement write(db_, "INSERT INTO " + Postings(box) + " (field, word, first_uid, uids) VALUES (?,?,?,?)");
    int64_t field = -1, word = -1;
    uint32_t first = 0, last = 0;
    std::string blob;
    auto flush = [&] {
      if (word < 0) return;
      write.bind(1, field).bind(2, word).bind(3, static_cast<int64_t>(first)).bind_blob(4, blob).run();
    };
    while (read.step()) {
      const int64_t f = read.int64(0), w = read.int64(1);
      const auto uid = static_cast<uint32_t>(read.int64(2));
      const std::string_view uids = read.blob(3);
      if (f != field || w != word) {
        flush();
        field = f;
        word = w;
        first = uid;
        blob.assign(uids);
        last = ForEachPosting(uid, uids, [](uint32_t) {});
      } else {
        if (uid <= last) throw SearchIndexError("search index: postings out of order", true);
        PutVarint(blob, uid - last);
        blob += uids;
        last = ForEachPosting(uid, uids, [](uint32_t) {});
      }
      if (last == 0) throw SearchIndexError("search index: bad postings", true);
    }
    flush();
    exec("DELETE FROM " + Fresh(box));
    Statement upd(db_, "UPDATE boxes SET fresh_count=0 WHERE id=?");
    upd.bind(1, box).run();
    exec_kept("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<std::vector<uint32_t>> SearchIndexDb::find(int64_t box, uint32_t through, SearchField field,
                                                         const std::vector<WordPiece>& pieces) {
  if (kept_.size() > kMaxKept) drop_kept();
  exec_kept("BEGIN");  // one snapshot for the vocabulary and the postings
  try {
    std::optional<SearchBoxRow> row = box_by_id(box);
    if (!row || row->indexed_through < through) {
      exec_kept("COMMIT");
      return std::nullopt;
    }
    Statement fresh(db_, kept("SELECT first_uid, uids FROM " + Fresh(box) + " WHERE field=? AND word=?"));
    Statement merged(db_, kept("SELECT first_uid, uids FROM " + Postings(box) + " WHERE field=? AND word=?"));
    std::optional<std::vector<uint32_t>> result;
    for (const WordPiece& piece : pieces) {
      UidSet set(through);
      for (int f : StoredFields(field)) {
        std::vector<uint32_t> ids;
        vocabulary(box, f).match(piece.text, piece.mode, ids);
        for (uint32_t id : ids) {
          for (Statement* s : {&merged, &fresh}) {
            s->bind(1, static_cast<int64_t>(f)).bind(2, static_cast<int64_t>(id));
            while (s->step()) {
              if (ForEachPosting(static_cast<uint32_t>(s->int64(0)), s->blob(1), [&](uint32_t u) { set.add(u); }) ==
                  0)
                throw SearchIndexError("search index: bad postings", true);
            }
            s->reset();
          }
        }
      }
      std::vector<uint32_t> uids = set.take();
      if (!result) {
        result = std::move(uids);
      } else {
        std::vector<uint32_t> both;
        std::set_intersection(result->begin(), result->end(), uids.begin(), uids.end(), std::back_inserter(both));
        *result = std::move(both);
      }
      if (result->empty()) break;
    }
    exec_kept("COMMIT");
    if (!result) result.emplace();
    return result;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<uint32_t> SearchIndexDb::unindexed(int64_t box, uint32_t through) {
  Statement s(db_, "SELECT uid FROM " + Unindexed(box) + " WHERE uid<=? ORDER BY uid");
  s.bind(1, static_cast<int64_t>(through));
  std::vector<uint32_t> out;
  while (s.step()) out.push_back(static_cast<uint32_t>(s.int64(0)));
  return out;
}

SearchIndexDb::Sizes SearchIndexDb::sizes(int64_t box) {
  Sizes out;
  for (int f = 0; f < kFieldCount; ++f) out.words += vocabulary(box, f).size();
  Statement p(db_, "SELECT count(*) FROM " + Postings(box));
  if (p.step()) out.posting_rows = static_cast<uint64_t>(p.int64(0));
  Statement q(db_, "SELECT count(*) FROM " + Fresh(box));
  if (q.step()) out.fresh_rows = static_cast<uint64_t>(q.int64(0));
  return out;
}

}  // namespace loft::store::internal

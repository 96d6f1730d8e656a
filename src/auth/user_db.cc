// UserDb on SQLite (<data>/users.db): one connection guarded by a mutex; the
// slow work (argon2, PBKDF2) happens outside the lock.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

#include "auth/auth.h"
#include "auth/crypto_util.h"
#include "auth/passwd_file.h"
#include "auth/sqlite_statement.h"
#include "sqlite/wal.h"

namespace loft::auth {
namespace {

using internal::Statement;

constexpr int kBusyTimeoutMs = 10'000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY NOT NULL,
  password_hash TEXT NOT NULL,
  scram_salt BLOB,
  scram_iterations INTEGER,
  scram_stored_key BLOB,
  scram_server_key BLOB,
  apop_secret TEXT,
  created INTEGER NOT NULL
);
)sql";

// Verified against for unknown users so that check() costs the same either
// way. Made once, with the same parameters as real hashes.
const std::string& dummy_hash() {
  static const std::string hash = hash_password(internal::random_bytes(16));
  return hash;
}

// The database holds password hashes: create it private before SQLite does
// (SQLite gives its -wal/-shm files the database file's mode).
void create_private_file(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create user database " + file.string());
  ::close(fd);
}

void bind_scram(Statement& st, int first, const std::optional<ScramCredentials>& scram) {
  if (scram) {
    st.bind_blob(first, scram->salt)
        .bind_int64(first + 1, scram->iterations)
        .bind_blob(first + 2, scram->stored_key)
        .bind_blob(first + 3, scram->server_key);
  } else {
    st.bind_null(first).bind_null(first + 1).bind_null(first + 2).bind_null(first + 3);
  }
}

class SqliteUserDb final : public UserDb {
 public:
  explicit SqliteUserDb(sqlite3* db) : db_(db) {}
  ~SqliteUserDb() override { sqlite3_close_v2(db_); }

  void add(std::string_view name, std::string_view password) override {
    std::string key = checked_name(name);
    check_password(password);
    std::string hash = hash_password(password);
    ScramCredentials scram = make_scram_credentials(password);
    std::lock_guard lock(mu_);
    Statement st(
        db_,
        "INSERT OR IGNORE INTO users (name, password_hash, scram_salt, scram_iterations, "
        "scram_stored_key, scram_server_key, apop_secret, created) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)");
    st.bind_text(1, key).bind_text(2, hash).bind_int64(7, static_cast<int64_t>(std::time(nullptr)));
    bind_scram(st, 3, scram);
    st.step();
    if (sqlite3_changes(db_) == 0) throw std::runtime_error("user already exists: " + key);
  }

  void set_password(std::string_view name, std::string_view password) override {
    std::string key = existing_name(name);
    check_password(password);
    std::string hash = hash_password(password);
    ScramCredentials scram = make_scram_credentials(password);
    std::lock_guard lock(mu_);
    store_password(key, hash, scram);
    if (sqlite3_changes(db_) == 0) throw std::runtime_error("no such user: " + key);
  }

  void remove(std::string_view name) override {
    std::string key = existing_name(name);
    std::lock_guard lock(mu_);
    Statement st(db_, "DELETE FROM users WHERE name = ?");
    st.bind_text(1, key).step();
    if (sqlite3_changes(db_) == 0) throw std::runtime_error("no such user: " + key);
  }

  void set_apop_secret(std::string_view name, std::optional<std::string_view> secret) override {
    std::string key = existing_name(name);
    std::lock_guard lock(mu_);
    Statement st(db_, "UPDATE users SET apop_secret = ? WHERE name = ?");
    if (secret)
      st.bind_text(1, *secret);
    else
      st.bind_null(1);
    st.bind_text(2, key).step();
    if (sqlite3_changes(db_) == 0) throw std::runtime_error("no such user: " + key);
  }

  std::vector<std::string> list() override {
    std::lock_guard lock(mu_);
    Statement st(db_, "SELECT name FROM users ORDER BY name");
    std::vector<std::string> names;
    while (st.step()) names.push_back(st.column_text(0));
    return names;
  }

  std::optional<UserRecord> find(std::string_view name) override {
    if (!valid_name(name)) return std::nullopt;
    std::string key = internal::ascii_lower(name);
    std::lock_guard lock(mu_);
    Statement st(
        db_,
        "SELECT name, password_hash, scram_salt, scram_iterations, scram_stored_key, scram_server_key, "
        "apop_secret FROM users WHERE name = ?");
    st.bind_text(1, key);
    if (!st.step()) return std::nullopt;
    UserRecord rec;
    rec.name = st.column_text(0);
    rec.password_hash = st.column_text(1);
    if (!st.column_is_null(2) && !st.column_is_null(3) && !st.column_is_null(4) && !st.column_is_null(5)) {
      ScramCredentials scram{st.column_blob(2), static_cast<uint32_t>(st.column_int64(3)), st.column_blob(4),
                             st.column_blob(5)};
      // Anything else is damage; treat it as "no SCRAM" rather than trusting it.
      if (scram.iterations > 0 && scram.stored_key.size() == 32 && scram.server_key.size() == 32) {
        rec.scram = std::move(scram);
      }
    }
    if (!st.column_is_null(6)) rec.apop_secret = st.column_text(6);
    return rec;
  }

  bool exists(std::string_view name) override {
    if (!valid_name(name)) return false;
    std::lock_guard lock(mu_);
    Statement st(db_, "SELECT 1 FROM users WHERE name = ?");
    st.bind_text(1, internal::ascii_lower(name));
    return st.step();
  }

  size_t import_passwd_file(const std::filesystem::path& file) override {
    std::vector<internal::PasswdEntry> entries = internal::read_passwd_file(file);
    int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::lock_guard lock(mu_);
    internal::exec(db_, "BEGIN IMMEDIATE");
    try {
      for (const auto& e : entries) {
        Statement st(
            db_,
            "INSERT INTO users (name, password_hash, scram_salt, scram_iterations, scram_stored_key, "
            "scram_server_key, apop_secret, created) VALUES (?, ?, ?, ?, ?, ?, NULL, ?) "
            "ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, "
            "scram_salt = excluded.scram_salt, scram_iterations = excluded.scram_iterations, "
            "scram_stored_key = excluded.scram_stored_key, scram_server_key = excluded.scram_server_key, "
            "apop_secret = NULL");
        st.bind_text(1, e.name).bind_text(2, e.password_hash).bind_int64(7, now);
        bind_scram(st, 3, e.scram);
        st.step();
      }
      internal::exec(db_, "COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    return entries.size();
  }

  bool check(std::string_view name, std::string_view password) override {
    std::optional<UserRecord> rec = find(name);
    if (!rec) {
      verify_password(dummy_hash(), password);
      return false;
    }
    return verify_password(rec->password_hash, password);
  }

 private:
  static std::string checked_name(std::string_view name) {
    if (!valid_name(name)) throw std::invalid_argument("invalid user name: " + std::string(name));
    return internal::ascii_lower(name);
  }

  // For operations on users that must exist: an invalid name cannot exist.
  static std::string existing_name(std::string_view name) {
    if (!valid_name(name)) throw std::runtime_error("no such user: " + std::string(name));
    return internal::ascii_lower(name);
  }

  static void check_password(std::string_view password) {
    // SASL PLAIN and POP3 PASS cannot carry an empty password or a NUL.
    if (password.empty()) throw std::invalid_argument("password must not be empty");
    if (password.find('\0') != std::string_view::npos) throw std::invalid_argument("password contains NUL");
  }

  // A new password invalidates the APOP secret (it would keep the old password
  // usable); the caller sets it again when APOP is enabled.
  void store_password(const std::string& key, const std::string& hash, const ScramCredentials& scram) {
    Statement st(
        db_,
        "UPDATE users SET password_hash = ?, scram_salt = ?, scram_iterations = ?, scram_stored_key = ?, "
        "scram_server_key = ?, apop_secret = NULL WHERE name = ?");
    st.bind_text(1, hash).bind_text(6, key);
    bind_scram(st, 2, scram);
    st.step();
  }

  sqlite3* db_;
  std::mutex mu_;
};

}  // namespace

bool UserDb::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '+' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::unique_ptr<UserDb> UserDb::open(const std::filesystem::path& file) {
  create_private_file(file);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw std::runtime_error("cannot open user database " + file.string() + ": " + msg);
  }
  auto user_db = std::make_unique<SqliteUserDb>(db);  // owns db from here on
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // Retried while busy: several `loft user add` at once on a fresh data
  // directory each switch the new file, which needs a moment of exclusive
  // access that the busy handler does not always cover (sqlite/wal.h).
  if (!sqlite::switch_to_wal(db, std::chrono::milliseconds(kBusyTimeoutMs)).in_wal()) {
    throw std::runtime_error("user database " + file.string() + ": cannot switch to WAL mode: " +
                             sqlite3_errmsg(db));
  }
  internal::exec(db, kSchema);
  dummy_hash();  // pay for it now rather than in the first failed login
  return user_db;
}

}  // namespace loft::auth

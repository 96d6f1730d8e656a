// Earlier versions of the index schema, verbatim, as fixtures for the
// migration tests (the store's own code only knows the current schema and
// the migration steps).
#pragma once

#include <initializer_list>
#include <string>

#include "index_sql.h"
#include "store_test_util.h"

namespace loft::store::testing {

// The tables of version 1 (before parse results were cached).
inline const std::string kSchemaVersion1Tables = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE mailboxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  dir TEXT NOT NULL UNIQUE,
  uidvalidity INTEGER NOT NULL,
  uidnext INTEGER NOT NULL,
  highest_modseq INTEGER NOT NULL,
  special_use TEXT NOT NULL DEFAULT '',
  subscribed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  file TEXT NOT NULL,
  size INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  internal_tz INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);
CREATE TABLE keywords (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  keyword TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (message_id, keyword)
);
CREATE TABLE expunged (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_by_modseq ON expunged (mailbox_id, modseq);
CREATE TABLE pending_removals (dir TEXT PRIMARY KEY);
CREATE TABLE new_imports (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, name)
);
)sql";

inline const std::string kSchemaVersion1 = kSchemaVersion1Tables + "INSERT INTO schema_version (version) VALUES (1);\n";

// Version 2: version 1 plus message_trees; the subscription still a flag on
// the mailbox row.
inline const std::string kSchemaVersion2 = kSchemaVersion1Tables + R"sql(CREATE TABLE message_trees (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  tree BLOB NOT NULL
);
INSERT INTO schema_version (version) VALUES (2);
)sql";

// A user "old" with an index of schema version 2 written by hand, for the
// migration tests: the Maildir with INBOX and the given mailbox directories
// (".Lists", ...), and index.sqlite in WAL mode holding kSchemaVersion2 and
// then `rows` (SQL). The store is opened on `opts` afterwards.
struct Version2User {
  Version2User(std::initializer_list<const char*> mailbox_dirs, const std::string& rows) {
    opts.root = dir.path() / "mail";
    opts.fsync = false;
    for (const char* sub : {"cur", "new", "tmp"}) {
      fs::create_directories(user_dir / "Maildir" / sub);
      for (const char* box : mailbox_dirs) fs::create_directories(user_dir / "Maildir" / box / sub);
    }
    IndexSql db(user_dir / "index.sqlite");
    db.exec("PRAGMA journal_mode=WAL");
    db.exec(kSchemaVersion2);
    db.exec(rows);
  }
  TempDir dir;
  MaildirOptions opts;
  const fs::path user_dir = dir.path() / "mail" / "old";
};

}  // namespace loft::store::testing

// Cached parse results in the index: written with every stored message
// (append, new/ pickup, copy), kept across reopen, equal to a fresh parse,
// rebuilt when missing or damaged.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "index_sql.h"
#include "mime/imap_strings.h"
#include "mime/message.h"
#include "store/store.h"
#include "store_test_util.h"
#include "old_schemas.h"

namespace loft::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string fresh_tree(std::string_view stored) { return mime::ParseMessage(stored).Serialize(); }

// Everything a tree says, as text. Trees are compared by this, not by their
// bytes: Serialize() copies structs whole, padding included, so two parses of
// the same message may differ in bytes that mean nothing.
std::string describe(const std::optional<std::string>& tree) {
  if (!tree) return "(no tree)";
  std::optional<mime::Message> m = mime::Message::Deserialize(*tree);
  if (!m) return "(unusable tree)";
  std::string out = mime::RenderEnvelope(*m) + "\n" + mime::RenderBodyStructure(*m, true) + "\n" +
                    mime::RenderBodyStructure(*m, false) + "\n";
  for (const mime::Part& p : m->parts()) {
    for (uint64_t v :
         {p.header_offset, p.body_offset, p.end_offset, p.header_vsize, p.body_vsize,
          uint64_t{p.header_lines}, uint64_t{p.body_lines}, uint64_t{p.parent}, uint64_t{p.first_child},
          uint64_t{p.next_sibling}, uint64_t{p.flags}, uint64_t{p.depth}, uint64_t{p.envelope}}) {
      out += std::to_string(v) + " ";
    }
    out += "\n";
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

// Every step-th corpus file, in name order.
std::vector<fs::path> corpus_sample(size_t step) {
  std::vector<fs::path> all;
  for (const auto& e : fs::directory_iterator(LOFT_CORPUS_DIR)) all.push_back(e.path());
  std::sort(all.begin(), all.end());
  std::vector<fs::path> out;
  for (size_t i = 0; i < all.size(); i += step) out.push_back(all[i]);
  return out;
}

// What IMAP will send from a tree, compared with what a fresh parse of the
// stored bytes gives.
void expect_renders_like_fresh_parse(const std::string& tree, const std::string& stored,
                                     const std::string& what) {
  std::optional<mime::Message> cached = mime::Message::Deserialize(tree);
  ASSERT_TRUE(cached) << what;
  mime::Message fresh = mime::ParseMessage(stored);
  EXPECT_EQ(mime::RenderEnvelope(*cached), mime::RenderEnvelope(fresh)) << what;
  EXPECT_EQ(mime::RenderBodyStructure(*cached, true), mime::RenderBodyStructure(fresh, true)) << what;
  EXPECT_EQ(mime::RenderBodyStructure(*cached, false), mime::RenderBodyStructure(fresh, false)) << what;
  EXPECT_EQ(cached->part_count(), fresh.part_count()) << what;
  EXPECT_EQ(cached->root().end_offset, stored.size()) << what;
  EXPECT_EQ(describe(tree), describe(fresh.Serialize())) << what;
}

class ParseCacheTest : public StoreTest {
 protected:
  IndexSql sql() { return IndexSql(user_dir() / "index.sqlite"); }
};

constexpr std::string_view kMultipart =
    "From: Ann <ann@example.com>\n"
    "To: bob@example.com\n"
    "Subject: parts\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b\"\n"
    "\n"
    "--b\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "hello\n"
    "--b\n"
    "Content-Type: application/octet-stream; name=x.bin\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAEC\n"
    "--b--\n";

TEST_F(ParseCacheTest, AppendStoresTheTreeOfTheStoredBytes) {
  uint32_t uid = user_->append("INBOX", message_of(kMultipart));
  const std::string stored = to_crlf(kMultipart);
  auto cached = sql().tree("INBOX", uid);
  ASSERT_TRUE(cached);
  // Parsed after CRLF normalisation: offsets are those of the file.
  EXPECT_EQ(describe(cached), describe(fresh_tree(stored)));
  EXPECT_NE(describe(cached), describe(fresh_tree(kMultipart)));
  EXPECT_EQ(user_->parsed_message("INBOX", uid), *cached);
  expect_renders_like_fresh_parse(*cached, read_message(*user_, "INBOX", uid), "append");
}

TEST_F(ParseCacheTest, AppendOfSeveralPiecesParsesTheConcatenation) {
  NewMessage m;
  std::string trace = "Received: from x\n", rest = "Subject: s\r\n\r\nbody\n";
  m.pieces = {trace, rest};
  uint32_t uid = user_->append("INBOX", m);
  EXPECT_EQ(describe(sql().tree("INBOX", uid)),
            describe(fresh_tree("Received: from x\r\nSubject: s\r\n\r\nbody\r\n")));
  // One piece already in CRLF form is parsed from memory, not from the file.
  const std::string crlf = to_crlf(kMultipart);
  uint32_t same = user_->append("INBOX", message_of(crlf));
  EXPECT_EQ(describe(sql().tree("INBOX", same)), describe(fresh_tree(crlf)));
  uint32_t empty = user_->append("INBOX", message_of(""));
  EXPECT_EQ(describe(sql().tree("INBOX", empty)), describe(fresh_tree("")));
}

TEST_F(ParseCacheTest, TheCacheIsServedFromTheIndexAfterReopen) {
  uint32_t uid = user_->append("Archive", message_of(kMultipart));
  const std::string tree = user_->parsed_message("Archive", uid);
  reopen();
  // With the file gone, only the index can answer.
  for (const auto& f : files_below(maildir() / ".Archive" / "cur"))
    fs::remove(maildir() / ".Archive" / "cur" / f);
  EXPECT_EQ(user_->parsed_message("Archive", uid), tree);
  EXPECT_EQ(sql().tree("Archive", uid), tree);
}

TEST_F(ParseCacheTest, ScanNewStoresTrees) {
  write_file(maildir() / "new" / "1.a", kMultipart);
  write_file(maildir() / "new" / "2.b", "Subject: two\n\nx\n");
  ASSERT_EQ(user_->scan_new("INBOX"), 2u);
  EXPECT_EQ(describe(sql().tree("INBOX", 1)), describe(fresh_tree(to_crlf(kMultipart))));
  EXPECT_EQ(describe(sql().tree("INBOX", 2)), describe(fresh_tree("Subject: two\r\n\r\nx\r\n")));
}

TEST_F(ParseCacheTest, CopyReusesTheSourcesTree) {
  uint32_t a = user_->append("INBOX", message_of("Subject: a\n\nsame size\n"));
  // A tree the store would never compute for this message, but usable for
  // its size: if the copy holds it, the copy reused the source's row.
  const std::string marker_tree = fresh_tree(to_crlf("Subject: b\n\nsame size\n"));
  sql().set_tree("INBOX", a, marker_tree);
  std::vector<uint32_t> uids = {a};
  auto copied = user_->copy("INBOX", uids, "Trash");
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(sql().tree("Trash", copied[0]), marker_tree);
  EXPECT_EQ(user_->parsed_message("Trash", copied[0]), marker_tree);

  // A source without a tree gives a copy without one, computed on demand.
  sql().set_tree("INBOX", a, std::nullopt);
  copied = user_->copy("INBOX", uids, "Trash");
  EXPECT_FALSE(sql().tree("Trash", copied[0]));
  const std::string computed = user_->parsed_message("Trash", copied[0]);
  EXPECT_EQ(describe(computed), describe(fresh_tree("Subject: a\r\n\r\nsame size\r\n")));
  EXPECT_NE(describe(computed), describe(marker_tree));
  EXPECT_EQ(sql().tree("Trash", copied[0]), computed);
}

TEST_F(ParseCacheTest, TreesFollowAnInboxRenameAndGoWithExpunge) {
  uint32_t uid = user_->append("INBOX", message_of(kMultipart));
  const std::string tree = user_->parsed_message("INBOX", uid);
  user_->rename_mailbox("INBOX", "Old");
  EXPECT_EQ(sql().tree("Old", uid), tree);
  EXPECT_EQ(user_->parsed_message("Old", uid), tree);
  std::vector<uint32_t> uids = {uid};
  user_->expunge("Old", uids);
  EXPECT_EQ(sql().count("SELECT COUNT(*) FROM message_trees"), 0);
}

TEST_F(ParseCacheTest, DamagedOrMissingTreesAreRebuiltFromTheFile) {
  const std::string stored = to_crlf(kMultipart);
  const std::string good = fresh_tree(stored);
  std::vector<std::optional<std::string>> damage = {
      std::nullopt,                               // no row (as for messages from schema version 1)
      std::string("not a tree at all"),           // garbage
      good.substr(0, good.size() / 2),            // truncated
      good + "x",                                 // trailing bytes
      fresh_tree(to_crlf("Subject: other\n\n")),  // a valid tree of other bytes
      std::string(),                              // empty
  };
  uint32_t uid = user_->append("INBOX", message_of(kMultipart));
  for (size_t i = 0; i < damage.size(); ++i) {
    sql().set_tree("INBOX", uid, damage[i]);
    const std::string got = user_->parsed_message("INBOX", uid);
    EXPECT_EQ(describe(got), describe(good)) << i;
    EXPECT_EQ(sql().tree("INBOX", uid), got) << "stored again, case " << i;
  }
  // The batch form too, for several at once.
  uint32_t uid2 = user_->append("INBOX", message_of("Subject: 2\n\n"));
  sql().set_tree("INBOX", uid, std::string("junk"));
  sql().set_tree("INBOX", uid2, std::nullopt);
  std::vector<uint32_t> uids = {uid2, uid};
  auto got = user_->parsed_messages("INBOX", uids);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, uid);
  EXPECT_EQ(describe(got[0].second), describe(good));
  EXPECT_EQ(got[1].first, uid2);
  EXPECT_EQ(describe(got[1].second), describe(fresh_tree("Subject: 2\r\n\r\n")));
  EXPECT_EQ(sql().tree("INBOX", uid), got[0].second);
  EXPECT_EQ(sql().tree("INBOX", uid2), got[1].second);
}

TEST_F(ParseCacheTest, MissingMessagesAndMailboxes) {
  uint32_t a = user_->append("INBOX", message_of("Subject: a\n\n"));
  uint32_t b = user_->append("INBOX", message_of("Subject: b\n\n"));
  EXPECT_STORE_ERROR(user_->parsed_message("INBOX", 99), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->parsed_message("Nope", a), ErrorCode::kNotFound);
  EXPECT_STORE_ERROR(user_->parsed_messages("Nope", std::vector<uint32_t>{a}), ErrorCode::kNotFound);
  // Ascending, each once, only those that exist.
  std::vector<uint32_t> uids = {99, b, a, b, 0};
  auto got = user_->parsed_messages("INBOX", uids);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, a);
  EXPECT_EQ(got[1].first, b);
  EXPECT_THAT(user_->parsed_messages("INBOX", std::vector<uint32_t>{}), IsEmpty());
  // A message whose file vanished (expunged by another process between the
  // lookup and the parse) is left out rather than failing the batch.
  sql().set_tree("INBOX", b, std::nullopt);
  for (const auto& f : files_below(maildir() / "cur")) {
    if (read_file(maildir() / "cur" / f) == "Subject: b\r\n\r\n") fs::remove(maildir() / "cur" / f);
  }
  got = user_->parsed_messages("INBOX", uids);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, a);
  EXPECT_STORE_ERROR(user_->parsed_message("INBOX", b), ErrorCode::kNotFound);
}

// ~100 real messages through each way in: the cache renders exactly like a
// fresh parse of the stored file, also after reopening.
TEST_F(ParseCacheTest, CorpusTreesEqualAFreshParse) {
  const std::vector<fs::path> sample = corpus_sample(9);
  ASSERT_GE(sample.size(), 100u);
  std::vector<uint32_t> appended;
  for (const fs::path& p : sample) {
    std::string raw = read_file(p);
    appended.push_back(user_->append("Archive", message_of(raw)));
    write_file(maildir() / "new" / p.filename(), raw);
  }
  ASSERT_EQ(user_->scan_new("INBOX"), sample.size());
  std::vector<uint32_t> copied = user_->copy("Archive", appended, "Drafts");
  reopen();
  for (const char* mailbox : {"Archive", "INBOX", "Drafts"}) {
    std::vector<uint32_t> uids = uids_of(user_->list_messages(mailbox));
    ASSERT_EQ(uids.size(), sample.size()) << mailbox;
    auto trees = user_->parsed_messages(mailbox, uids);
    ASSERT_EQ(trees.size(), sample.size()) << mailbox;
    for (size_t i = 0; i < trees.size(); ++i) {
      ASSERT_EQ(trees[i].first, uids[i]);
      const std::string what = std::string(mailbox) + " " + sample[i].filename().string();
      EXPECT_EQ(sql().tree(mailbox, uids[i]), trees[i].second) << what << ": not served from the index";
      expect_renders_like_fresh_parse(trees[i].second, read_message(*user_, mailbox, uids[i]), what);
    }
  }
}


// A version-1 user: INBOX (UIDs 1 and 3, 2 expunged) and Archive.
void make_version1_user(const fs::path& user_dir, const std::string& file1, const std::string& file3) {
  for (const char* d : {"Maildir/cur", "Maildir/new", "Maildir/tmp", "Maildir/.Archive/cur",
                        "Maildir/.Archive/new", "Maildir/.Archive/tmp"}) {
    fs::create_directories(user_dir / d);
  }
  write_file(user_dir / "Maildir/cur" / file1, to_crlf(kMultipart));
  write_file(user_dir / "Maildir/cur" / file3, "Subject: three\r\n\r\n3\r\n");
  IndexSql db(user_dir / "index.sqlite");
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(kSchemaVersion1);
  const std::string size1 = std::to_string(to_crlf(kMultipart).size());
  db.exec(
      "INSERT INTO meta VALUES ('last_uidvalidity', 1700000001);"
      "INSERT INTO mailboxes (id, name, dir, uidvalidity, uidnext, highest_modseq, special_use, subscribed) "
      "VALUES (1, 'INBOX', '', 1700000000, 4, 5, '', 1), "
      "(2, 'Archive', '.Archive', 1700000001, 1, 1, '\\Archive', 1);"
      "INSERT INTO messages VALUES (1, 1, 1, '" + file1 + "', " + size1 + ", 1600000000, 60, 1, 2), "
      "(3, 1, 3, '" + file3 + "', 20, 1600000100, 0, 4, 4);"
      "INSERT INTO keywords VALUES (1, 'Work');"
      "INSERT INTO expunged VALUES (1, 2, 3);");
}

TEST(StoreMigration, Version1IndexIsUpgradedKeepingEverything) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = false;
  const fs::path user_dir = opts.root / "old";
  const std::string file1 = "1600000000.M1P1Q1R0000000000000001.host,S=1:2,";
  const std::string file3 = "1600000100.M1P1Q2R0000000000000002.host,S=20:2,";
  make_version1_user(user_dir, file1, file3);

  auto store = open_maildir_store(opts);
  auto user = store->user("old");
  IndexSql db(user_dir / "index.sqlite");
  EXPECT_EQ(db.count("SELECT MAX(version) FROM schema_version"), 4);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM schema_version"), 1);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM message_trees"),
            0);  // old rows have none

  // Everything version 1 held is still there.
  auto list = user->list_messages("INBOX");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].uid, 1u);
  EXPECT_EQ(list[0].flags, kSeen);
  EXPECT_THAT(list[0].keywords, ElementsAre("Work"));
  EXPECT_EQ(list[0].internal_tz, 60);
  EXPECT_EQ(list[1].uid, 3u);
  EXPECT_EQ(list[1].flags, kFlagged);
  auto st = user->status("INBOX");
  EXPECT_EQ(st.uidvalidity, 1700000000u);
  EXPECT_EQ(st.uidnext, 4u);
  EXPECT_EQ(st.highest_modseq, 5u);
  EXPECT_THAT(user->changes_since("INBOX", 2).expunged, ElementsAre(2));
  EXPECT_EQ(user->list_mailboxes().size(), 2u);
  EXPECT_EQ(read_message(*user, "INBOX", 3), "Subject: three\r\n\r\n3\r\n");

  // Trees of old rows are computed on first request and kept.
  const std::string first = user->parsed_message("INBOX", 1);
  EXPECT_EQ(describe(first), describe(fresh_tree(to_crlf(kMultipart))));
  EXPECT_EQ(db.tree("INBOX", 1), first);
  EXPECT_FALSE(db.tree("INBOX", 3));
  auto both = user->parsed_messages("INBOX", std::vector<uint32_t>{1, 3});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].second, first);  // from the index now
  EXPECT_EQ(describe(db.tree("INBOX", 3)), describe(fresh_tree("Subject: three\r\n\r\n3\r\n")));

  // New messages get theirs at once; reopening does not migrate again.
  uint32_t uid = user->append("Archive", message_of("Subject: new\n\n"));
  EXPECT_EQ(uid, 1u);
  EXPECT_TRUE(db.tree("Archive", uid));
  user.reset();
  store = open_maildir_store(opts);
  user = store->user("old");
  EXPECT_EQ(user->list_messages("INBOX").size(), 2u);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM message_trees"), 3);
  EXPECT_EQ(db.count("SELECT MAX(version) FROM schema_version"), 4);
}

TEST(StoreMigration, IndexFromANewerVersionIsRefused) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = false;
  {
    auto store = open_maildir_store(opts);
    store->user("future");
  }
  {
    IndexSql db(opts.root / "future" / "index.sqlite");
    db.exec("UPDATE schema_version SET version=99");
  }
  auto store = open_maildir_store(opts);
  EXPECT_STORE_ERROR(store->user("future"), ErrorCode::kTemporary);
}

}  // namespace
}  // namespace loft::store::testing

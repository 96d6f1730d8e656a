// Timing of taking in the whole corpus dropped into new/, with fsync on.
// Disabled by default (it measures the disk, not behaviour); run with
//   store_test --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*'
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "mime/message.h"
#include "store/store.h"
#include "store_test_util.h"

namespace loft::store::testing {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(StoreBenchmark, DISABLED_ScanNewOfTheCorpusWithFsync) {
  TempDir dir;
  MaildirOptions opts;
  opts.root = dir.path() / "mail";
  opts.fsync = true;
  auto store = open_maildir_store(opts);
  auto user = store->user("bench");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(LOFT_CORPUS_DIR)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  const fs::path new_dir = opts.root / "bench" / "Maildir" / "new";
  for (const fs::path& f : files) fs::copy_file(f, new_dir / f.filename());
  ::sync();  // the drop's own writeback is not part of the measurement

  auto start = std::chrono::steady_clock::now();
  auto list = user->list_messages("INBOX");
  double took = seconds_since(start);
  ASSERT_EQ(list.size(), files.size());
  std::printf("scan_new of %zu files: %.2f s\n", files.size(), took);
  RecordProperty("scan_seconds", std::to_string(took));

  // FETCH 1:* BODYSTRUCTURE's part: every tree, from the index, and as a
  // reparse of every file would cost.
  std::vector<uint32_t> uids = uids_of(list);
  start = std::chrono::steady_clock::now();
  auto trees = user->parsed_messages("INBOX", uids);
  double cached = seconds_since(start);
  ASSERT_EQ(trees.size(), uids.size());
  start = std::chrono::steady_clock::now();
  size_t parts = 0;
  for (uint32_t uid : uids) parts += mime::ParseMessage(read_message(*user, "INBOX", uid)).part_count();
  double reparse = seconds_since(start);
  EXPECT_GT(parts, uids.size());
  std::printf("parsed_messages of %zu: %.3f s from the index, %.3f s reading and parsing the files\n",
              uids.size(), cached, reparse);
}

}  // namespace
}  // namespace loft::store::testing

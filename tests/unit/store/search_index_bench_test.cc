// A measurement, not a test: skipped unless LOFT_SEARCH_BENCH_MAILDIR names
// a Maildir (e.g. from gen-mailbox.py --count 100000). Builds a search
// index of it in LOFT_SEARCH_BENCH_OUT (default: a temporary directory) and
// prints the index size against the mail's and the time of some finds.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mime/casemap.h"
#include "store/search_index.h"
#include "store/search_index_db.h"

namespace loft::store::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DirFeed : public internal::SearchIndexFeed {
 public:
  explicit DirFeed(std::vector<fs::path> files) : files_(std::move(files)) {}
  std::optional<internal::SearchMailboxKey> mailbox_key(const std::string&) override { return key_; }
  std::vector<internal::SearchMailboxKey> mailbox_keys() override { return {key_}; }
  std::optional<internal::MessagesToIndex> messages_after(const internal::SearchMailboxKey&, uint32_t after,
                                                          size_t max_messages, uint64_t max_bytes) override {
    internal::MessagesToIndex out;
    uint64_t bytes = 0;
    for (uint32_t uid = after + 1; uid <= files_.size() && out.messages.size() < max_messages; ++uid) {
      if (!out.messages.empty() && bytes >= max_bytes) break;
      std::optional<internal::MessageToIndex> m = message(key_, uid);
      bytes += m->data.size();
      out.messages.push_back(std::move(*m));
      out.last_uid = uid;
    }
    return out;
  }
  uint64_t count_after(const internal::SearchMailboxKey&, uint32_t after) override {
    return after >= files_.size() ? 0 : files_.size() - after;
  }
  uint64_t message_count(const internal::SearchMailboxKey&) override { return files_.size(); }
  std::optional<internal::MessageToIndex> message(const internal::SearchMailboxKey&, uint32_t uid) override {
    if (uid == 0 || uid > files_.size()) return std::nullopt;
    internal::MessageToIndex m;
    m.uid = uid;
    m.data = ReadAll(files_[uid - 1]);
    m.tree = mime::ParseMessage(m.data).Serialize();
    return m;
  }

 private:
  internal::SearchMailboxKey key_{1, 1};
  std::vector<fs::path> files_;
};

uint64_t FileSizes(const fs::path& file) {
  uint64_t n = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const uint64_t s = fs::file_size(file.string() + suffix, ec);
    if (!ec) n += s;
  }
  return n;
}

TEST(SearchIndexBench, BuildAndFind) {
  const char* maildir = getenv("LOFT_SEARCH_BENCH_MAILDIR");
  if (!maildir) GTEST_SKIP() << "LOFT_SEARCH_BENCH_MAILDIR not set";
  std::vector<fs::path> files;
  uint64_t mail_bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(maildir)) {
    if (!e.is_regular_file()) continue;
    files.push_back(e.path());
    mail_bytes += e.file_size();
  }
  std::sort(files.begin(), files.end());
  const char* out_env = getenv("LOFT_SEARCH_BENCH_OUT");
  const fs::path out = out_env ? fs::path(out_env) : fs::temp_directory_path() / "loft-search-bench";
  fs::create_directories(out);
  const fs::path file = out / "search.sqlite";
  internal::SearchIndexDb::Remove(file);

  DirFeed feed(files);
  internal::SearchIndex::Options opts;
  opts.background = false;
  auto index = std::make_shared<internal::SearchIndex>(file, feed, opts);
  const Clock::time_point t0 = Clock::now();
  ASSERT_EQ(index->catch_up_all("INBOX"), files.size());
  const double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  {
    internal::SearchIndexDb db(file);
    db.box_by_id(1);
    internal::SearchIndexDb::Sizes sz = db.sizes(1);
    std::printf("words %llu, posting rows %llu, fresh rows %llu\n", static_cast<unsigned long long>(sz.words),
                static_cast<unsigned long long>(sz.posting_rows), static_cast<unsigned long long>(sz.fresh_rows));
  }
  const uint64_t index_bytes = FileSizes(file);
  std::printf("%zu messages, mail %.1f MB, index %.1f MB (%.1f%%), build %.1f s\n", files.size(), mail_bytes / 1e6,
              index_bytes / 1e6, 100.0 * static_cast<double>(index_bytes) / static_cast<double>(mail_bytes), build_s);

  std::unique_ptr<MailboxSearchIndex> reader = index->open("INBOX");
  ASSERT_NE(reader, nullptr);
  const std::pair<SearchField, const char*> finds[] = {
      {SearchField::kBody, "zqmark2"},   {SearchField::kBody, "zqmark997"}, {SearchField::kText, "zqmark2"},
      {SearchField::kText, "zqmark997"}, {SearchField::kFrom, "smith"},     {SearchField::kSubject, "batch-3"},
      {SearchField::kBody, "the"},       {SearchField::kBody, "reference code"},
      {SearchField::kSubject, "[batch-3]"}, {SearchField::kBody, "zqmark997 "}};
  for (int round = 0; round < 2; ++round) {
    for (const auto& [field, needle] : finds) {
      const Clock::time_point t = Clock::now();
      std::optional<std::vector<uint32_t>> r = reader->find(field, mime::SearchCasemap(needle));
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
      std::printf("%s field %d \"%s\": %s %zu in %.1f ms\n", round == 0 ? "first" : "again", static_cast<int>(field),
                  needle, r ? "exact" : "declined", r ? r->size() : 0, ms);
    }
  }
}

}  // namespace
}  // namespace loft::store::testing

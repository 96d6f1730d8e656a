// The proof that the store's search index changes no SEARCH answer: for the
// real-world corpus (934 messages, many malformed) and a generated mailbox,
// a battery of BODY / TEXT / FROM / TO / CC / BCC / SUBJECT / HEADER needles
// (words from the messages, random substrings of their searched text with
// spaces, non-ASCII and case variants, needles across part boundaries and
// field joins, 1-2 character needles, CR LF) gives the same UIDs with the
// index as with the scan.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "imap/search_content.h"
#include "imap/search_eval.h"
#include "imap/search_store_source.h"
#include "mime/casemap.h"
#include "store/store.h"

namespace loft::imap {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "loft-search-eq-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

SearchKey Key(SearchKey::Type type, std::string text, std::string header = "", bool named = false) {
  SearchKey k;
  k.type = type;
  k.text = std::move(text);
  k.header = std::move(header);
  k.named_header = named;
  return k;
}

// Cuts s to at most n bytes without splitting a UTF-8 sequence.
std::string Utf8Prefix(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}
size_t Utf8Start(std::string_view s, size_t i) {
  while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

class SearchIndexEqualityTest : public ::testing::Test {
 protected:
  void Load(const std::vector<fs::path>& files) {
    store::MaildirOptions o;
    o.root = dir_.path() / "mail";
    o.fsync = false;
    store_ = store::open_maildir_store(o);
    mail_ = store_->user("eq");
    std::vector<std::string> texts;
    for (const fs::path& f : files) texts.push_back(ReadFile(f));
    std::vector<store::NewMessage> batch;
    for (size_t i = 0; i < texts.size(); ++i) {
      store::NewMessage m;
      m.pieces = {texts[i]};
      batch.push_back(std::move(m));
      if (batch.size() == 200 || i + 1 == texts.size()) {
        mail_->append_many("INBOX", batch);
        batch.clear();
      }
    }
    uint32_t seq = 0;
    for (const store::MessageInfo& info : mail_->list_messages("INBOX")) {
      SearchMessage m;
      m.seq = ++seq;
      m.uid = info.uid;
      m.size = info.size;
      messages_.push_back(m);
      // What the scan matches against, kept to build needles and answers.
      std::string data = mail_->open_message("INBOX", info.uid).read(0, info.size);
      std::optional<mime::Message> tree = mime::Message::Deserialize(mail_->parsed_message("INBOX", info.uid));
      ASSERT_TRUE(tree);
      loaded_.push_back({info.uid, std::move(*tree), std::move(data)});
    }
    env_.message_count = seq;
    env_.highest_uid = messages_.empty() ? 0 : messages_.back().uid;
  }

  // The scan's answer: MessageText over every message (what EvaluateSearch
  // does without an index, minus the reading).
  // The MessageTexts are kept (they cache their parts); header values are
  // cached by name, folded as MatchHeader() folds them.
  std::vector<uint32_t> Scan(const SearchKey& key) {
    if (texts_.empty()) {
      for (const LoadedMessage& lm : loaded_) texts_.push_back(std::make_unique<MessageText>(lm.tree, lm.data));
      header_cache_.resize(loaded_.size());
    }
    std::vector<uint32_t> out;
    const std::string folded = mime::SearchCasemap(key.text);
    for (size_t i = 0; i < loaded_.size(); ++i) {
      MessageText& text = *texts_[i];
      bool hit = false;
      if (key.type == SearchKey::Type::kBody) {
        hit = text.MatchBody(folded);
      } else if (key.type == SearchKey::Type::kText) {
        hit = text.MatchText(folded);
      } else {
        const std::string cache_key = key.header + (key.named_header ? "/named" : "");
        auto it = header_cache_[i].find(cache_key);
        if (it == header_cache_[i].end()) {
          std::vector<std::string> values;
          for (const std::string& v : text.HeaderValuesForSearch(key)) values.push_back(mime::SearchCasemap(v));
          it = header_cache_[i].emplace(cache_key, std::move(values)).first;
        }
        for (const std::string& v : it->second) hit = hit || v.find(folded) != std::string::npos;
      }
      if (hit) out.push_back(loaded_[i].uid);
    }
    return out;
  }

  std::vector<uint32_t> Evaluate(const SearchKey& key, ContentIndex* index, SearchStats* stats) {
    StoreMessageSource source(*mail_, "INBOX");
    std::vector<uint32_t> out;
    for (size_t i : EvaluateSearch(key, messages_, env_, source, index, {}, stats)) out.push_back(messages_[i].uid);
    return out;
  }

  // Needles from the messages: words, random substrings (spaces, non-ASCII,
  // case variants), substrings around part boundaries and field joins.
  std::vector<std::string> Needles(size_t per_message_sample, uint32_t seed) {
    std::mt19937 rng(seed);
    std::set<std::string> needles = {
        "zqmark7",    "ZQMARK97", "zqmark997", "café",   "CAFÉ",   "Größe",  "STRASSE", "Straße", "東京",
        "привет",     "ПРИВЕТ",   "résumé",    "naïve",  "smörgåsbord", "reference code", "the", "THE",
        "e",          "é",        "zq",        "<",      "@",      "a@",     "@example.com", "example.org>",
        "\r\n",       "\r\n\r\n", "\r\nContent-Type", "Subject: ", "subject: re", "=?utf-8?", "\"",
        "  ",         "a b",      "content-transfer-encoding: base64", "multipart/mixed", "--", "???", "\t",
        "\xEF\xBF\xBD", "\xC2\xA0", "undisclosed-recipients:;", "Name: ", ">, <", "X-Gen-Seq: 1", "GEN3-1"};
    std::vector<size_t> order(loaded_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    auto substr = [&](const std::string& s, size_t min_len, size_t max_len) {
      if (s.empty()) return std::string();
      size_t start = Utf8Start(s, std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng));
      size_t len = std::uniform_int_distribution<size_t>(min_len, max_len)(rng);
      return Utf8Prefix(std::string_view(s).substr(start), len);
    };
    for (size_t n = 0; n < std::min(per_message_sample, order.size()); ++n) {
      const LoadedMessage& lm = loaded_[order[n]];
      MessageText text(lm.tree, lm.data);
      const std::vector<std::string>& bodies = text.FoldedBodies();
      const std::vector<std::string>& texts = text.FoldedTexts();
      for (const std::string& b : bodies) {
        std::string s = substr(b, 3, 14);
        needles.insert(s);
        // Lower-case variant (folded text is upper case).
        std::string lower = s;
        for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        needles.insert(lower);
        // A whole word.
        size_t sp = b.find(' ', std::uniform_int_distribution<size_t>(0, b.size() - 1)(rng));
        if (sp != std::string::npos) {
          size_t end = b.find_first_of(" \r\n", sp + 1);
          if (end != std::string::npos && end > sp + 1) needles.insert(b.substr(sp + 1, end - sp - 1));
        }
      }
      for (size_t i = 0; i < texts.size(); ++i) {
        needles.insert(substr(texts[i], 4, 24));
        // Across the end of one part and the start of the next: matches
        // neither in the scan nor in the index.
        if (i + 1 < texts.size() && texts[i].size() > 6 && texts[i + 1].size() > 6)
          needles.insert(texts[i].substr(Utf8Start(texts[i], texts[i].size() - 5)) + Utf8Prefix(texts[i + 1], 5));
      }
      if (bodies.size() > 1 && bodies[0].size() > 6 && bodies[1].size() > 6)
        needles.insert(bodies[0].substr(Utf8Start(bodies[0], bodies[0].size() - 4)) + Utf8Prefix(bodies[1], 4));
      for (const char* h : {"FROM", "TO", "CC", "SUBJECT"}) {
        SearchKey k = Key(SearchKey::Type::kHeader, "x", h, true);
        std::vector<std::string> values = text.HeaderValuesForSearch(k);
        for (const std::string& v : values) needles.insert(substr(v, 3, 12));
        if (values.size() > 1 && !values[0].empty() && !values[1].empty())
          needles.insert(Utf8Prefix(values[0].substr(Utf8Start(values[0], values[0].size() - 3)), 3) +
                         Utf8Prefix(values[1], 3));
      }
    }
    needles.erase("");
    return {needles.begin(), needles.end()};
  }

  struct Tally {
    size_t compared = 0;
    size_t exact_without_reading = 0;
  };

  // Every needle with every key: index answer == scan answer.
  Tally CompareAll(const std::vector<std::string>& needles) {
    EXPECT_EQ(mail_->update_search_index("INBOX"), std::optional<uint32_t>(env_.highest_uid));
    std::unique_ptr<store::MailboxSearchIndex> idx = mail_->search_index("INBOX");
    EXPECT_NE(idx, nullptr);
    if (!idx) return {};
    EXPECT_EQ(idx->indexed_through(), env_.highest_uid);
    StoreContentIndex content(*idx);
    Tally t;
    for (const std::string& needle : needles) {
      std::vector<SearchKey> keys = {Key(SearchKey::Type::kBody, needle), Key(SearchKey::Type::kText, needle)};
      for (const char* h : {"FROM", "TO", "CC", "BCC", "SUBJECT"})
        keys.push_back(Key(SearchKey::Type::kHeader, needle, h, true));
      // HEADER <name> reads the candidates: for every fourth needle.
      if (++needle_count_ % 4 == 0)
        for (const char* h : {"X-GEN-SEQ", "MESSAGE-ID", "RECEIVED", "FROM"})
          keys.push_back(Key(SearchKey::Type::kHeader, needle, h, false));
      for (const SearchKey& key : keys) {
        const std::string folded = mime::SearchCasemap(needle);
        // Needles the index declines (short ones) are scanned through the
        // store: slow, so only the first few of those are evaluated fully.
        std::optional<ContentCandidates> c = content.Lookup(key);
        if (!c && ++declined_ > 60) continue;
        SearchStats stats;
        std::vector<uint32_t> with = Evaluate(key, &content, &stats);
        std::vector<uint32_t> without = Scan(key);
        EXPECT_EQ(with, without) << key.DebugString() << " needle=\"" << needle << "\" folded=\"" << folded << "\"";
        ++t.compared;
        if (stats.loaded == 0) ++t.exact_without_reading;
      }
    }
    return t;
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<store::UserStore> mail_;
  std::vector<SearchMessage> messages_;
  std::vector<LoadedMessage> loaded_;
  SearchEnvironment env_;
  size_t declined_ = 0;
  size_t needle_count_ = 0;
  std::vector<std::unique_ptr<MessageText>> texts_;
  std::vector<std::map<std::string, std::vector<std::string>>> header_cache_;
};

TEST_F(SearchIndexEqualityTest, CorpusMessages) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(LOFT_CORPUS_DIR)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 900u);
  Load(files);
  ASSERT_EQ(messages_.size(), files.size());
  // The scan itself, without an index, through the evaluator: the reference
  // used below agrees with it.
  for (const std::string& needle : {"the", "zqmark", "é", "Subject: Re", "mailman"}) {
    SearchKey body = Key(SearchKey::Type::kBody, needle);
    SearchKey text = Key(SearchKey::Type::kText, needle);
    EXPECT_EQ(Evaluate(body, nullptr, nullptr), Scan(body));
    EXPECT_EQ(Evaluate(text, nullptr, nullptr), Scan(text));
  }
  Tally t = CompareAll(Needles(150, 1));
  EXPECT_GT(t.compared, 5000u);
  EXPECT_GT(t.exact_without_reading, t.compared / 2) << "the index answered too few keys itself";
  std::printf("corpus: %zu comparisons, %zu answered from the index alone\n", t.compared, t.exact_without_reading);
}

TEST_F(SearchIndexEqualityTest, GeneratedMailbox) {
  const fs::path gen = fs::path(LOFT_CORPUS_DIR).parent_path() / "gen-mailbox.py";
  const fs::path out = dir_.path() / "gen";
  std::string cmd = "/usr/bin/python3 '" + gen.string() + "' --count 2000 --seed 3 --format maildir --out '" +
                    out.string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 2000u);
  Load(files);
  Tally t = CompareAll(Needles(120, 2));
  EXPECT_GT(t.compared, 4000u);
  EXPECT_GT(t.exact_without_reading, t.compared / 2);
  // The markers' known frequencies (each message n has zqmark<d> for d | n).
  std::unique_ptr<store::MailboxSearchIndex> idx = mail_->search_index("INBOX");
  ASSERT_NE(idx, nullptr);
  EXPECT_EQ(idx->find(store::SearchField::kBody, mime::SearchCasemap("zqmark7"))->size(), 2000u / 7);
  EXPECT_EQ(idx->find(store::SearchField::kText, mime::SearchCasemap("zqmark997"))->size(), 2u);
  std::printf("generated: %zu comparisons, %zu answered from the index alone\n", t.compared,
              t.exact_without_reading);
}

}  // namespace
}  // namespace loft::imap

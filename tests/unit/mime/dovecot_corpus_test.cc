// Loft's ENVELOPE, BODYSTRUCTURE, BODY and section answers against Dovecot
// 2.3.19's, byte for byte, for every message of the shared corpus
// (LOFT_CORPUS_DIR) and for the crafted edge cases in data/crafted/. The
// expected answers were recorded from a real Dovecot by
// data/gen_dovecot_fixture.py.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "dovecot_fixture.h"

namespace loft::mime {
namespace {

using testing::FixtureRecord;

std::string Escape(std::string_view s, size_t max = 400) {
  std::string out;
  for (char c : s.substr(0, max)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

struct Tally {
  int messages = 0, messages_ok = 0, messages_known = 0, items = 0, items_ok = 0, known = 0;
};

// Differences that are not Loft's parser: each must still differ (so the list
// stays true) and nothing else may.
const std::map<std::string, std::string> kKnownDifferences = {
    // The message ends in a bare CR. Dovecot's APPEND (mail_save_crlf=no
    // LF conversion) drops it: its RFC822.SIZE is 7001 for the 7002 bytes
    // sent, so its body is one octet shorter. Loft keeps every byte.
    {"0869-stalwart-049.eml BODY", "trailing bare CR dropped by Dovecot's APPEND"},
    {"0869-stalwart-049.eml BODYSTRUCTURE", "trailing bare CR dropped by Dovecot's APPEND"},
};

// Compares every recorded item of every message; returns per-message results.
Tally CompareAll(const std::vector<FixtureRecord>& records, const std::string& dir, bool verbose) {
  Tally t;
  for (const FixtureRecord& rec : records) {
    std::string path = dir + "/" + rec.file;
    if (!std::filesystem::exists(path)) {
      ADD_FAILURE() << "missing message file " << path;
      continue;
    }
    std::string data = testing::NormaliseLikeAppend(testing::ReadFile(path));
    Message msg = ParseMessage(data);
    ++t.messages;
    bool all_ok = true, has_known = false;
    for (const auto& [key, want] : rec.items) {
      if (want.missing) continue;
      ++t.items;
      std::optional<std::string> got = testing::RenderItem(msg, data, key);
      bool match = got && testing::Matches(want, *got);
      auto known = kKnownDifferences.find(rec.file + " " + key);
      if (known != kKnownDifferences.end()) {
        EXPECT_FALSE(match) << rec.file << " " << key << " now matches; drop it from kKnownDifferences";
        ++t.known;
        has_known = true;
        continue;
      }
      if (match) {
        ++t.items_ok;
        continue;
      }
      all_ok = false;
      if (verbose) {
        std::string g = got.value_or("<not rendered>");
        size_t i = 0;
        while (i < g.size() && i < want.bytes.size() && g[i] == want.bytes[i]) ++i;
        size_t from = i > 60 ? i - 60 : 0;
        ADD_FAILURE() << rec.file << " " << key << ": first difference at byte " << i << "\n  dovecot: "
                      << Escape(std::string_view(want.bytes).substr(from)) << "\n  loft:    "
                      << Escape(std::string_view(g).substr(std::min(from, g.size())));
      }
    }
    if (all_ok && has_known) {
      ++t.messages_known;
    } else if (all_ok) {
      ++t.messages_ok;
    }
  }
  return t;
}

TEST(DovecotCorpus, EveryCorpusMessageMatchesDovecot) {
  auto records = testing::ReadFixture(std::string(LOFT_SOURCE_DIR) + "/tests/unit/mime/data/dovecot_corpus.txt");
  ASSERT_EQ(records.size(), 934u);
  Tally t = CompareAll(records, LOFT_CORPUS_DIR, true);
  std::cout << "[ corpus ] " << t.messages_ok << " of " << t.messages << " messages match Dovecot exactly, "
            << t.messages_known << " differ only where listed in kKnownDifferences (" << t.items_ok << " of "
            << t.items << " items match)\n";
  EXPECT_EQ(t.messages_ok + t.messages_known, t.messages);
  EXPECT_EQ(t.known, 2);
}

TEST(DovecotCorpus, CraftedEdgeCasesMatchDovecot) {
  const std::string data_dir = std::string(LOFT_SOURCE_DIR) + "/tests/unit/mime/data";
  auto records = testing::ReadFixture(data_dir + "/dovecot_crafted.txt");
  ASSERT_GE(records.size(), 60u);
  Tally t = CompareAll(records, data_dir + "/crafted", true);
  std::cout << "[ crafted ] " << t.messages_ok << " of " << t.messages << " messages match Dovecot ("
            << t.items_ok << " of " << t.items << " items)\n";
  EXPECT_EQ(t.messages_ok, t.messages);
}

}  // namespace
}  // namespace loft::mime

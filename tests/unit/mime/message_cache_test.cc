// Serialize / Deserialize of the tree for the store's cache.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "dovecot_fixture.h"
#include "mime/imap_strings.h"
#include "mime/message.h"

namespace loft::mime {
namespace {

std::vector<std::string> SomeCorpusFiles(size_t step) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(LOFT_CORPUS_DIR)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < files.size(); i += step) out.push_back(files[i]);
  return out;
}

TEST(MessageCache, RoundTripRendersTheSame) {
  size_t checked = 0;
  for (const std::string& path : SomeCorpusFiles(1)) {
    std::string data = testing::NormaliseLikeAppend(testing::ReadFile(path));
    Message m = ParseMessage(data);
    std::string blob = m.Serialize();
    std::optional<Message> back = Message::Deserialize(blob);
    ASSERT_TRUE(back) << path;
    ASSERT_EQ(back->part_count(), m.part_count());
    EXPECT_EQ(RenderBodyStructure(*back), RenderBodyStructure(m)) << path;
    EXPECT_EQ(RenderEnvelope(*back), RenderEnvelope(m)) << path;
    EXPECT_EQ(back->part(back->part_count() - 1).end_offset, m.part(m.part_count() - 1).end_offset);
    EXPECT_LE(blob.size(), m.memory_size());
    ++checked;
  }
  EXPECT_EQ(checked, 934u);
}

TEST(MessageCache, TruncatedOrForeignDataIsRejected) {
  std::string data = testing::NormaliseLikeAppend(
      testing::ReadFile(std::string(LOFT_CORPUS_DIR) + "/0001-djmailman3-attached_message.eml"));
  std::string blob = ParseMessage(data).Serialize();
  for (size_t len = 0; len < blob.size(); ++len) {
    EXPECT_FALSE(Message::Deserialize(std::string_view(blob).substr(0, len))) << len;
  }
  EXPECT_FALSE(Message::Deserialize("not a tree at all"));
  EXPECT_FALSE(Message::Deserialize(blob + "x"));
}

TEST(MessageCache, CorruptedBytesNeverCrashTheRenderers) {
  std::string data = testing::NormaliseLikeAppend(
      testing::ReadFile(std::string(LOFT_CORPUS_DIR) + "/0001-djmailman3-attached_message.eml"));
  const std::string blob = ParseMessage(data).Serialize();
  std::mt19937 rng(42);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bad = blob;
    for (int k = 0; k < 3; ++k) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    std::optional<Message> m = Message::Deserialize(bad);
    if (!m) continue;
    ++accepted;  // whatever survived validation must render without harm
    EXPECT_FALSE(RenderBodyStructure(*m).empty());
    EXPECT_FALSE(RenderEnvelope(*m).empty());
    for (uint32_t i = 0; i < m->part_count(); ++i) (void)SectionRange(*m, "1", SectionText::kMime);
  }
  EXPECT_GT(accepted, 0);  // flips inside text or sizes are legitimately accepted
}

}  // namespace
}  // namespace loft::mime

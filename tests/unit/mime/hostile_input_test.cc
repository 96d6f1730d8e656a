// Hostile messages: parsing stays bounded in time, memory and depth.

#include <gtest/gtest.h>

#include "mime/imap_strings.h"
#include "mime/message.h"
#include "test_util.h"

namespace loft::mime {
namespace {

using testing::Seconds;

// Generous limits: these must hold under sanitizers on a slow CI machine too.
constexpr double kMaxSeconds = 5.0;

uint32_t MaxDepth(const Message& m) {
  uint32_t d = 0;
  for (const Part& p : m.parts()) d = std::max<uint32_t>(d, p.depth);
  return d;
}

TEST(HostileInput, DeepMultipartNestingStopsAtTheLimit) {
  std::string data = "MIME-Version: 1.0\r\n";
  for (int i = 0; i < 20000; ++i) {
    data += "Content-Type: multipart/mixed; boundary=\"n" + std::to_string(i) + "x\"\r\n\r\n--n" +
            std::to_string(i) + "x\r\n";
  }
  data += "\r\nleaf\r\n";
  Message m;
  double secs = Seconds([&] { m = ParseMessage(data); });
  EXPECT_LT(secs, kMaxSeconds);
  EXPECT_EQ(MaxDepth(m), 99u);
  EXPECT_LE(m.part_count(), 10000u);
  std::string bs = RenderBodyStructure(m);
  EXPECT_NE(bs.find("\"application\" \"octet-stream\""), std::string::npos);
}

TEST(HostileInput, DeepMessageRfc822NestingStopsAtTheLimit) {
  std::string data;
  for (int i = 0; i < 50000; ++i) data += "Content-Type: message/rfc822\r\n\r\n";
  data += "\r\nleaf\r\n";
  Message m;
  double secs = Seconds([&] { m = ParseMessage(data); });
  EXPECT_LT(secs, kMaxSeconds);
  EXPECT_EQ(MaxDepth(m), 99u);
  EXPECT_EQ(m.part_count(), 100u);
  EXPECT_FALSE(RenderBodyStructure(m).empty());
}

TEST(HostileInput, HugeHeaderLineAndManyHeaderLines) {
  std::string data = "Subject: " + std::string(20 << 20, 'a') + "\r\n";
  for (int i = 0; i < 300000; ++i) data += "X-H: v\r\n To: b@c\r\n";
  data += "To: " + std::string(1 << 20, '(') + "\r\n\r\nbody";
  Message m;
  double secs = Seconds([&] { m = ParseMessage(data); });
  EXPECT_LT(secs, kMaxSeconds);
  EXPECT_EQ(m.text(m.envelope().subject).size(), 20u << 20);
  EXPECT_EQ(m.root().body_size(), 4u);
  // Memory stays proportional to the input.
  EXPECT_LT(m.memory_size(), 3 * data.size());
}

TEST(HostileInput, BoundaryBombOfSharedPrefixes) {
  // 99 nested multiparts whose boundaries are prefixes of each other, then
  // millions of lines that look like boundaries but are none.
  std::string data = "MIME-Version: 1.0\r\n";
  for (int i = 1; i < 99; ++i) {
    std::string b(i, 'q');
    data += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n";
  }
  data += "\r\n";
  const std::string line = "--" + std::string(79, 'q') + "\r\n";  // matches "q"*79: a new part each
  const std::string miss = "--" + std::string(98, 'x') + "\r\n";
  for (int i = 0; i < 60000; ++i) data += (i % 3 == 0) ? line : miss;
  Message m;
  double secs = Seconds([&] { m = ParseMessage(data); });
  EXPECT_LT(secs, kMaxSeconds);
  EXPECT_LE(m.part_count(), 10000u);
}

TEST(HostileInput, PartCountIsCapped) {
  std::string data = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 300000; ++i) data += "--x\r\n\r\n";
  Message m;
  double secs = Seconds([&] { m = ParseMessage(data); });
  EXPECT_LT(secs, kMaxSeconds);
  EXPECT_EQ(m.part_count(), 10000u);
  EXPECT_TRUE(m.part(m.part_count() - 1).is(kPartOverflow) || m.root().is(kPartOverflow) ||
              m.part(m.part_count() - 1).end_offset == data.size());
  EXPECT_EQ(m.part(m.part_count() - 1).end_offset, data.size());
}

TEST(HostileInput, AddressAndParameterFloods) {
  std::string to = "To: ";
  for (int i = 0; i < 50000; ++i) to += "\"n\" <a@b>, G: c@d;, ";
  std::string ct = "Content-Type: text/plain";
  for (int i = 0; i < 50000; ++i) ct += "; p" + std::to_string(i) + "*" + std::to_string(i % 7) + "*=x";
  std::string data = "MIME-Version: 1.0\r\n" + to + "\r\n" + ct + "\r\n\r\nx";
  Message m;
  double secs = Seconds([&] {
    m = ParseMessage(data);
    RenderEnvelope(m);
    RenderBodyStructure(m);
  });
  EXPECT_LT(secs, kMaxSeconds);
  EXPECT_EQ(m.envelope().to.count, 200000u);
}

TEST(HostileInput, BinaryGarbageNeverCrashes) {
  uint32_t seed = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string data;
    size_t len = 1 + (seed % 4000);
    for (size_t i = 0; i < len; ++i) {
      seed = seed * 1103515245 + 12345;
      // Bias towards MIME-significant bytes.
      static const char kAlphabet[] = "-\r\n:;=\"(\\)<>@,. \t\0aBx/";
      data += (seed >> 16) % 4 == 0 ? static_cast<char>(seed >> 8) : kAlphabet[(seed >> 8) % (sizeof(kAlphabet) - 1)];
    }
    data = "Content-Type: multipart/mixed; boundary=-\r\n\r\n" + data;
    Message m = ParseMessage(data);
    RenderBodyStructure(m);
    RenderEnvelope(m);
    for (const Part& p : m.parts()) {
      ASSERT_LE(p.header_offset, p.body_offset);
      ASSERT_LE(p.body_offset, p.end_offset);
      ASSERT_LE(p.end_offset, data.size());
    }
  }
}

}  // namespace
}  // namespace loft::mime

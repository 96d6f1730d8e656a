#include "lmtp/data_reader.h"

#include <gtest/gtest.h>

namespace loft::lmtp {
namespace {

TEST(DataReader, UnstuffsDotsAndStopsAfterTerminator) {
  DataReader r(1000);
  std::string in = "Subject: x\r\n\r\n..\r\n...two\r\n.single\r\nend.\r\n.\r\nNOOP\r\n";
  size_t used = r.feed(in);
  ASSERT_TRUE(r.done());
  EXPECT_EQ(in.substr(used), "NOOP\r\n");
  EXPECT_EQ(r.take_body(), "Subject: x\r\n\r\n.\r\n..two\r\nsingle\r\nend.\r\n");
}

TEST(DataReader, EmptyMessage) {
  DataReader r(1000);
  EXPECT_EQ(r.feed(".\r\n"), 3u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.take_body(), "");
}

TEST(DataReader, BareLfLineEndsAndTerminator) {
  DataReader r(1000);
  std::string in = "a\n..b\n.\nrest";
  size_t used = r.feed(in);
  ASSERT_TRUE(r.done());
  EXPECT_EQ(in.substr(used), "rest");
  EXPECT_EQ(r.take_body(), "a\n.b\n");
}

TEST(DataReader, DotThenLoneCrIsPayload) {
  DataReader r(1000);
  r.feed(".\rx\r\n.\r\n");
  ASSERT_TRUE(r.done());
  EXPECT_EQ(r.take_body(), "\rx\r\n");
}

TEST(DataReader, SplitAtEveryBoundaryGivesSameResult) {
  const std::string in = "From: a\r\n\r\n..\r\nline\r\n.x\r\n\r\n.\r\nAFTER";
  const std::string body = "From: a\r\n\r\n.\r\nline\r\nx\r\n\r\n";
  for (size_t cut1 = 0; cut1 <= in.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= in.size(); ++cut2) {
      DataReader r(1000);
      size_t used = r.feed(std::string_view(in).substr(0, cut1));
      if (!r.done()) {
        ASSERT_EQ(used, cut1);
        used += r.feed(std::string_view(in).substr(cut1, cut2 - cut1));
      }
      if (!r.done()) {
        ASSERT_EQ(used, cut2);
        used += r.feed(std::string_view(in).substr(cut2));
      }
      ASSERT_TRUE(r.done()) << cut1 << "/" << cut2;
      EXPECT_EQ(in.substr(used), "AFTER");
      EXPECT_EQ(r.take_body(), body) << cut1 << "/" << cut2;
    }
  }
}

TEST(DataReader, OverflowKeepsConsumingButStoresNothing) {
  DataReader r(10);
  std::string line(1000, 'x');
  line += "\r\n";
  for (int i = 0; i < 100; ++i) ASSERT_EQ(r.feed(line), line.size());
  EXPECT_FALSE(r.done());
  EXPECT_TRUE(r.overflow());
  EXPECT_EQ(r.size(), 100u * line.size());
  EXPECT_EQ(r.feed(".\r\n"), 3u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.take_body(), "");
}

TEST(DataReader, ExactlyAtLimitIsAccepted) {
  DataReader r(6);
  r.feed("abcd\r\n.\r\n");
  ASSERT_TRUE(r.done());
  EXPECT_FALSE(r.overflow());
  EXPECT_EQ(r.take_body(), "abcd\r\n");
}

TEST(DataReader, ResetStartsOver) {
  DataReader r(4);
  r.feed("too long\r\n.\r\n");
  ASSERT_TRUE(r.overflow());
  r.reset();
  EXPECT_FALSE(r.overflow());
  EXPECT_FALSE(r.done());
  r.feed("ok\r\n.\r\n");
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.take_body(), "ok\r\n");
}

}  // namespace
TEST(DataReader, KeepsNothingOnceTheSharedBudgetHasNoRoom) {
  util::ByteBudget budget(128 * 1024);
  DataReader r(1 << 20, &budget);
  std::string line(1000, 'a');
  line += "\r\n";
  for (int i = 0; i < 60; ++i) r.feed(line);
  EXPECT_FALSE(r.no_memory());
  EXPECT_GE(budget.in_use(), 60u * 1002);
  for (int i = 0; i < 100; ++i) r.feed(line);
  EXPECT_TRUE(r.no_memory());
  EXPECT_FALSE(r.overflow());
  EXPECT_EQ(budget.in_use(), 0u);  // given back at once
  r.feed(".\r\n");
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.size(), 160u * 1002);
  EXPECT_EQ(r.take_body(), "");
  r.reset();
  EXPECT_FALSE(r.no_memory());
  r.feed("x\r\n.\r\n");
  EXPECT_EQ(r.take_body(), "x\r\n");
  EXPECT_GT(budget.in_use(), 0u);
  r.reset();
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace loft::lmtp

#include "imap/sequence_set.h"

#include <gtest/gtest.h>

namespace loft::imap {
namespace {

SequenceSet P(std::string_view s) {
  Parsed<SequenceSet> p = SequenceSet::Parse(s);
  EXPECT_TRUE(p.ok()) << s;
  return p.ok() ? p.value() : SequenceSet();
}

TEST(SequenceSet, ParsesAndNormalises) {
  EXPECT_EQ(P("1:*,3,5:7").ToString(), "1:*,3,5:7");
  EXPECT_EQ(P("5:3").ToString(), "3:5");
  EXPECT_EQ(P("*:5").ToString(), "5:*");
  EXPECT_EQ(P("4294967295").ToString(), "4294967295");
  EXPECT_EQ(P("1,").ToString(), "1");  // Dovecot's trailing comma
  EXPECT_TRUE(P("$").is_saved_result());
  EXPECT_TRUE(P("2,*").uses_star());
  EXPECT_FALSE(P("2:4").uses_star());
}

TEST(SequenceSet, RejectsMalformed) {
  for (const char* bad : {"", "0", "1:0", "0:1", "x", "1:*:3", ",1", "1,,2", "4294967296", "99999999999", "1:$",
                          "$,1", "-1", "1 2", "1:", ":1", "*:", "1,2,"}) {
    if (std::string_view(bad) == "1,2,") continue;  // accepted like "1,"
    Parsed<SequenceSet> p = SequenceSet::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error(), ArgError::Bad("Invalid messageset")) << bad;
  }
  EXPECT_EQ(SequenceSet::Parse("x", "Invalid uidset").error().text, "Invalid uidset");
  EXPECT_FALSE(SequenceSet::Parse("$", "Invalid", false).ok());
}

TEST(SequenceSet, ResolveSortsMergesAndClamps) {
  EXPECT_EQ(P("7:9,1:3,4,20:*").Resolve(25).ToString(), "1:4,7:9,20:25");
  EXPECT_EQ(P("*").Resolve(10).ToString(), "10");
  // RFC 9051: 15:* with the largest UID 10 is 10:15, so it holds 10.
  EXPECT_EQ(P("15:*").Resolve(10).ToString(), "10");
  EXPECT_EQ(P("15:20").Resolve(10).ToString(), "");
  EXPECT_EQ(P("1:*").Resolve(0).ToString(), "");
  EXPECT_EQ(P("3:5,4:8,9").Resolve(100).ToString(), "3:9");
  EXPECT_EQ(P("1:4294967295").Resolve(4294967295u).count(), 4294967295u);
}

TEST(SequenceSet, SequenceNumbersMustExistLikeDovecot) {
  EXPECT_EQ(P("1:*").ResolveSequenceNumbers(7)->ToString(), "1:7");
  EXPECT_EQ(P("2,*").ResolveSequenceNumbers(7)->ToString(), "2,7");
  for (const char* s : {"8", "1:8", "*:8"}) {
    Parsed<RangeList> r = P(s).ResolveSequenceNumbers(7);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().text, "Invalid messageset");
  }
  EXPECT_FALSE(P("*").ResolveSequenceNumbers(0).ok());
  EXPECT_FALSE(P("1").ResolveSequenceNumbers(0).ok());
  EXPECT_FALSE(P("$").ResolveSequenceNumbers(5).ok());
}

TEST(RangeList, ContainsCountNumbers) {
  RangeList r = RangeList::FromRanges({{10, 12}, {1, 3}, {4, 4}, {20, 20}});
  EXPECT_EQ(r.ToString(), "1:4,10:12,20");
  EXPECT_EQ(r.count(), 8u);
  EXPECT_TRUE(r.contains(1));
  EXPECT_TRUE(r.contains(4));
  EXPECT_FALSE(r.contains(5));
  EXPECT_TRUE(r.contains(11));
  EXPECT_FALSE(r.contains(0));
  EXPECT_FALSE(r.contains(21));
  EXPECT_EQ(r.numbers(), (std::vector<uint32_t>{1, 2, 3, 4, 10, 11, 12, 20}));
  EXPECT_EQ(RangeList::FromNumbers({5, 3, 4, 9, 9}).ToString(), "3:5,9");
  RangeList e;
  EXPECT_TRUE(e.empty());
  EXPECT_FALSE(e.contains(1));
  e.add(4294967295u, 4294967294u);
  EXPECT_EQ(e.ToString(), "4294967294:4294967295");
  e.add(1, 4294967293u);
  EXPECT_EQ(e.ToString(), "1:4294967295");
}

TEST(SequenceSet, SetArgument) {
  EXPECT_TRUE(ParseSetArg(Arg::Atom("1:3"), false).ok());
  EXPECT_EQ(ParseSetArg(Arg::Atom("x"), false).error().text, "Invalid messageset");
  EXPECT_EQ(ParseSetArg(Arg::Atom("x"), true).error().text, "Invalid uidset");
  EXPECT_EQ(ParseSetArg(Arg::String("1:3"), true).error().text, "Invalid arguments");
  EXPECT_EQ(ParseSetArg(Arg::List(), true).error().text, "Invalid arguments");
}

TEST(SequenceSet, ElementCountIsBounded) {
  std::string many;
  for (size_t i = 0; i <= SequenceSet::kMaxElements; ++i) many += "1,";
  EXPECT_FALSE(SequenceSet::Parse(many).ok());
}

}  // namespace
}  // namespace loft::imap

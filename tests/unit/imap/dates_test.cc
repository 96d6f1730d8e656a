#include "imap/dates.h"

#include <gtest/gtest.h>

#include <ctime>

namespace loft::imap {
namespace {

TEST(Dates, CivilDayArithmeticMatchesTimegm) {
  for (int64_t days = -800000; days <= 800000; days += 997) {
    CivilDate d = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(d.year, d.month, d.day), days);
  }
  struct tm tm = {};
  tm.tm_year = 2021 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 14;
  EXPECT_EQ(DaysFromCivil(2021, 3, 14) * 86400, static_cast<int64_t>(timegm(&tm)));
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 13, 1), DaysFromCivil(2001, 1, 1));
  EXPECT_EQ(DaysFromCivil(2000, 0, 1), DaysFromCivil(1999, 12, 1));
}

TEST(Dates, ParseDateLikeDovecot) {
  EXPECT_EQ(ParseImapDate("1-Jan-2020"), (CivilDate{2020, 1, 1}));
  EXPECT_EQ(ParseImapDate("01-Jan-2020"), (CivilDate{2020, 1, 1}));
  EXPECT_EQ(ParseImapDate(" 1-jan-2020"), (CivilDate{2020, 1, 1}));
  EXPECT_EQ(ParseImapDate("17-DEC-1999"), (CivilDate{1999, 12, 17}));
  // mktime() normalisation: 31-Feb is 2-Mar, 0-Jan is 31-Dec, 32-Jan is 1-Feb.
  EXPECT_EQ(ParseImapDate("31-Feb-2020"), (CivilDate{2020, 3, 2}));
  EXPECT_EQ(ParseImapDate("0-Jan-2000"), (CivilDate{1999, 12, 31}));
  EXPECT_EQ(ParseImapDate("32-Jan-2020"), (CivilDate{2020, 2, 1}));
  for (const char* bad : {"1-Jan-20", "1-Jan-2020x", "1-Foo-2020", "", "-Jan-2020", "123-Jan-2020", "1-Jan-99999",
                          "1-Jan-0", "1 Jan 2020", "1-Jan2020", "\"1-Jan-2020\"", "1-Janu-2020"}) {
    EXPECT_FALSE(ParseImapDate(bad)) << bad;
  }
}

TEST(Dates, ParseDateTime) {
  std::optional<DateTime> dt = ParseImapDateTime("01-Jan-2020 00:00:00 +0000");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->utc, 1577836800);
  EXPECT_EQ(dt->zone, 0);
  dt = ParseImapDateTime("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->utc, 837596665);
  EXPECT_EQ(dt->zone, -420);
  dt = ParseImapDateTime(" 1-Jan-2020 10:00:00 +0130");
  ASSERT_TRUE(dt);
  EXPECT_EQ(dt->utc, 1577836800 + 10 * 3600 - 90 * 60);
  EXPECT_EQ(dt->zone, 90);
  // Dovecot's leniencies: 24:00, a bad zone is +0000, text after the zone.
  EXPECT_EQ(ParseImapDateTime("01-Jan-2020 24:00:00 +0000")->utc, 1577836800 + 86400);
  EXPECT_EQ(ParseImapDateTime("01-Jan-2020 00:00:00 x")->zone, 0);
  EXPECT_EQ(ParseImapDateTime("01-Jan-2020 00:00:00 +0000 ")->utc, 1577836800);
  EXPECT_EQ(ParseImapDateTime("01-Jan-2020 00:00:00 +2500")->zone, 1500);
  for (const char* bad : {"01-Jan-2020 00:00:00", "01-Jan-2020 0:00:00 +0000", "01-Jan-2020", "xx-Jan-2020 00:00:00 +0000",
                          "01-Jan-2020T00:00:00 +0000", "01-Jan-2020 00:00 +0000", ""}) {
    EXPECT_FALSE(ParseImapDateTime(bad)) << bad;
  }
}

TEST(Dates, FormatDateTime) {
  EXPECT_EQ(FormatImapDateTime(1577836800, 0), "01-Jan-2020 00:00:00 +0000");
  EXPECT_EQ(FormatImapDateTime(837596665, -420), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(FormatImapDateTime(0, 90), "01-Jan-1970 01:30:00 +0130");
  EXPECT_EQ(FormatImapDateTime(-1, 0), "31-Dec-1969 23:59:59 +0000");
  for (int64_t t : {int64_t{0}, int64_t{1614600000}, int64_t{-86400 * 365}, int64_t{4102444800}}) {
    for (int32_t zone : {0, 60, -330, 840, -720}) {
      std::string s = FormatImapDateTime(t, zone);
      std::optional<DateTime> back = ParseImapDateTime(s);
      ASSERT_TRUE(back) << s;
      EXPECT_EQ(back->utc, t) << s;
      EXPECT_EQ(back->zone, zone) << s;
    }
  }
  EXPECT_EQ(FormatImapDate(CivilDate{2020, 3, 2}), "02-Mar-2020");
}

TEST(Dates, DayStartInAZone) {
  CivilDate d{2020, 1, 1};
  EXPECT_EQ(DayStart(d, 0), 1577836800);
  EXPECT_EQ(DayStart(d, 60), 1577836800 - 3600);  // midnight in +0100 is 23:00 UTC
}

}  // namespace
}  // namespace loft::imap

// IMAP dates: "date" (SEARCH SINCE/BEFORE/ON/SENT*) and "date-time"
// (APPEND, INTERNALDATE), parsed as leniently and as precisely as Dovecot 2.3
// (imap-date.c):
//  - the day has one or two digits and may follow a space (" 1-Jan-2020");
//    the month name is case-insensitive; the year has exactly four digits;
//  - out-of-range fields are normalised like mktime(): 31-Feb-2020 is
//    2-Mar-2020, 24:00:00 is midnight of the next day;
//  - a date-time is "dd-Mon-yyyy hh:mm:ss " then a zone "+hhmm"/"-hhmm"; a
//    malformed zone counts as +0000 and anything after the zone is ignored.
// Formatting always gives Dovecot's "01-Jan-2020 00:00:00 +0000".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loft::imap {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  bool operator==(const CivilDate&) const = default;
};

struct DateTime {
  int64_t utc = 0;        // seconds since the epoch
  int32_t zone = 0;       // minutes east of UTC, as the client gave it
  bool operator==(const DateTime&) const = default;
};

// Days since 1970-01-01 of a (possibly out-of-range, e.g. day 0 or month 13)
// civil date, and back.
int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day);
CivilDate CivilFromDays(int64_t days);

std::optional<CivilDate> ParseImapDate(std::string_view text);
std::optional<DateTime> ParseImapDateTime(std::string_view text);

// "dd-Mon-yyyy hh:mm:ss +zzzz" of `utc` seen in the zone `zone_minutes`.
std::string FormatImapDateTime(int64_t utc, int32_t zone_minutes);
// "d-Mon-yyyy" as RFC 3501 allows in SEARCH ("dd" zero-padded like Dovecot).
std::string FormatImapDate(const CivilDate& date);

// The first second (UTC) of `date` in the zone `zone_minutes`: SINCE d
// matches internal dates >= DayStart(d), BEFORE d those < DayStart(d),
// ON d those in [DayStart(d), DayStart(d)+86400).
int64_t DayStart(const CivilDate& date, int32_t zone_minutes);

}  // namespace loft::imap

#include "imap/dates.h"

#include <cstdio>

#include "imap/args.h"

namespace loft::imap {
namespace {

constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int Digit(char c) { return c - '0'; }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// "dd-Mon-yyyy" at the start of `s`; `*used` is its length.
std::optional<CivilDate> ParseDatePrefix(std::string_view s, size_t* used) {
  size_t i = 0;
  if (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || !IsDigit(s[i])) return std::nullopt;
  int day = Digit(s[i++]);
  if (i < s.size() && IsDigit(s[i])) day = day * 10 + Digit(s[i++]);
  if (i >= s.size() || s[i] != '-') return std::nullopt;
  ++i;
  if (i + 4 > s.size()) return std::nullopt;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (EqualsIgnoreCase(s.substr(i, 3), kMonths[m])) {
      month = m + 1;
      break;
    }
  }
  if (month == 0 || s[i + 3] != '-') return std::nullopt;
  i += 4;
  if (i + 4 > s.size()) return std::nullopt;
  int year = 0;
  for (int k = 0; k < 4; ++k) {
    if (!IsDigit(s[i + k])) return std::nullopt;
    year = year * 10 + Digit(s[i + k]);
  }
  *used = i + 4;
  // Normalise like mktime(): day 0 or 32 roll into the neighbouring month.
  return CivilFromDays(DaysFromCivil(year, month, 1) + day - 1);
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  // Months beyond 1..12 carry into the year first.
  y += FloorDiv(m - 1, 12);
  m = m - 1 - FloorDiv(m - 1, 12) * 12 + 1;
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  return CivilDate{static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)};
}

std::optional<CivilDate> ParseImapDate(std::string_view text) {
  size_t used = 0;
  std::optional<CivilDate> d = ParseDatePrefix(text, &used);
  if (!d || used != text.size()) return std::nullopt;
  return d;
}

std::optional<DateTime> ParseImapDateTime(std::string_view s) {
  size_t i = 0;
  std::optional<CivilDate> date = ParseDatePrefix(s, &i);
  if (!date) return std::nullopt;
  // " hh:mm:ss "
  if (i + 10 > s.size() || s[i] != ' ') return std::nullopt;
  ++i;
  int fields[3];
  for (int f = 0; f < 3; ++f) {
    if (!IsDigit(s[i]) || !IsDigit(s[i + 1]) || s[i + 2] != (f < 2 ? ':' : ' ')) return std::nullopt;
    fields[f] = Digit(s[i]) * 10 + Digit(s[i + 1]);
    i += 3;
  }
  int32_t zone = 0;
  if (i + 5 <= s.size() && (s[i] == '+' || s[i] == '-') && IsDigit(s[i + 1]) && IsDigit(s[i + 2]) &&
      IsDigit(s[i + 3]) && IsDigit(s[i + 4])) {
    zone = (Digit(s[i + 1]) * 10 + Digit(s[i + 2])) * 60 + Digit(s[i + 3]) * 10 + Digit(s[i + 4]);
    if (s[i] == '-') zone = -zone;
  }
  DateTime dt;
  dt.zone = zone;
  dt.utc = DaysFromCivil(date->year, date->month, date->day) * 86400 + fields[0] * 3600 + fields[1] * 60 +
           fields[2] - int64_t{zone} * 60;
  return dt;
}

std::string FormatImapDateTime(int64_t utc, int32_t zone) {
  int64_t local = utc + int64_t{zone} * 60;
  int64_t days = FloorDiv(local, 86400);
  int64_t secs = local - days * 86400;
  CivilDate d = CivilFromDays(days);
  int32_t az = zone < 0 ? -zone : zone;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", d.day, kMonths[d.month - 1], d.year,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                zone < 0 ? '-' : '+', static_cast<int>(az / 60), static_cast<int>(az % 60));
  return buf;
}

std::string FormatImapDate(const CivilDate& d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02d-%s-%04d", d.day, kMonths[(d.month - 1) % 12], d.year);
  return buf;
}

int64_t DayStart(const CivilDate& date, int32_t zone_minutes) {
  return DaysFromCivil(date.year, date.month, date.day) * 86400 - int64_t{zone_minutes} * 60;
}

}  // namespace loft::imap

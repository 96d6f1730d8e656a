#include "imap/search_date.h"

#include <string>

#include "imap/dates.h"
#include "mime/rfc822_tokenizer.h"

namespace loft::imap {
namespace {

constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsTimeSeparator(unsigned char c) { return c == ':' || c == '.'; }

// Dovecot's next_token(): an atom, 0 at the end of the data, -1 on error.
int NextToken(mime::Rfc822Tokenizer& tok, std::string& out) {
  out.clear();
  if (tok.at_end()) return 0;
  if (tok.ParseAtom(out) < 0) return -1;
  return out.empty() ? 0 : 1;
}

int32_t ParseZone(std::string_view z) {
  if (z.size() == 5 && (z[0] == '+' || z[0] == '-')) {
    for (size_t i = 1; i < 5; ++i)
      if (!IsDigit(z[i])) return 0;
    int32_t minutes = ((z[1] - '0') * 10 + (z[2] - '0')) * 60 + (z[3] - '0') * 10 + (z[4] - '0');
    return z[0] == '-' ? -minutes : minutes;
  }
  if (z.size() == 1) {
    // Military zones, the way Dovecot reads them (not RFC 822's inverted signs).
    char c = static_cast<char>(z[0] >= 'a' && z[0] <= 'z' ? z[0] - 'a' + 'A' : z[0]);
    if (c >= 'A' && c <= 'I') return (c - 'A' + 1) * 60;
    if (c >= 'K' && c <= 'M') return (c - 'A') * 60;
    if (c >= 'N' && c <= 'Y') return -(c - 'N' + 1) * 60;
    return 0;
  }
  std::string name;
  for (char c : z) name += Lower(c);
  struct Named {
    std::string_view name;
    int32_t hours;
  };
  constexpr Named kNamed[] = {{"ut", 0},   {"gmt", 0},  {"est", -5}, {"edt", -4}, {"cst", -6},
                              {"cdt", -5}, {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}};
  for (const Named& n : kNamed)
    if (name == n.name) return n.hours * 60;
  return 0;
}

bool TwoDigits(std::string_view v) { return v.size() == 2 && IsDigit(v[0]) && IsDigit(v[1]); }

}  // namespace

std::optional<MessageDate> ParseMessageDate(std::string_view value) {
  mime::Rfc822Tokenizer tok(value);
  std::string v;
  tok.SkipLwsp();
  // [weekday ","]
  if (NextToken(tok, v) <= 0) return std::nullopt;
  if (v.size() == 3) {
    if (tok.peek() != ',') return std::nullopt;
    tok.advance();
    tok.SkipLwsp();
    if (NextToken(tok, v) <= 0) return std::nullopt;
  }
  // d / dd
  if (v.empty() || v.size() > 2 || !IsDigit(v[0]) || (v.size() == 2 && !IsDigit(v[1]))) return std::nullopt;
  int day = v.size() == 2 ? (v[0] - '0') * 10 + (v[1] - '0') : v[0] - '0';
  // month name (its first three letters)
  if (NextToken(tok, v) <= 0 || v.size() < 3) return std::nullopt;
  int month = 0;
  for (int i = 0; i < 12 && month == 0; ++i) {
    if (Lower(v[0]) == kMonths[i][0] && Lower(v[1]) == kMonths[i][1] && Lower(v[2]) == kMonths[i][2])
      month = i + 1;
  }
  if (month == 0) return std::nullopt;
  // yy / yyyy
  if (NextToken(tok, v) <= 0 || (v.size() != 2 && v.size() != 4)) return std::nullopt;
  int year = 0;
  for (char c : v) {
    if (!IsDigit(c)) return std::nullopt;
    year = year * 10 + (c - '0');
  }
  if (v.size() == 2) {
    year += year < 70 ? 2000 : 1900;
  } else if (year < 1900) {
    return std::nullopt;
  }
  // h / hh
  if (NextToken(tok, v) <= 0 || v.empty() || v.size() > 2 || !IsDigit(v[0]) ||
      (v.size() == 2 && !IsDigit(v[1])))
    return std::nullopt;
  int hour = v.size() == 2 ? (v[0] - '0') * 10 + (v[1] - '0') : v[0] - '0';
  // :mm
  if (!IsTimeSeparator(tok.peek())) return std::nullopt;
  tok.advance();
  tok.SkipLwsp();
  if (NextToken(tok, v) < 0 || !TwoDigits(v)) return std::nullopt;
  int minute = (v[0] - '0') * 10 + (v[1] - '0');
  // [:ss]
  int second = 0;
  if (!tok.at_end() && IsTimeSeparator(tok.peek())) {
    tok.advance();
    tok.SkipLwsp();
    if (NextToken(tok, v) <= 0 || !TwoDigits(v)) return std::nullopt;
    second = (v[0] - '0') * 10 + (v[1] - '0');
  }
  MessageDate d;
  int ret = NextToken(tok, v);
  if (ret < 0) return std::nullopt;
  d.zone = ret == 0 ? 0 : ParseZone(v);
  d.utc = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - int64_t{d.zone} * 60;
  return d;
}

}  // namespace loft::imap

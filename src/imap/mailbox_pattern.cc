#include "imap/mailbox_pattern.h"

#include <algorithm>

#include "imap/args.h"

namespace loft::imap {
namespace {

std::string Compress(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  for (size_t i = 0; i < p.size();) {
    if (p[i] != '*' && p[i] != '%') {
      out += p[i++];
      continue;
    }
    bool star = false;
    while (i < p.size() && (p[i] == '*' || p[i] == '%')) star |= p[i++] == '*';
    out += star ? '*' : '%';
  }
  return out;
}

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

MailboxPattern::MailboxPattern(std::vector<std::string> patterns, char separator) : separator_(separator) {
  patterns_.reserve(patterns.size());
  for (const std::string& p : patterns) patterns_.push_back(Compress(p));
}

bool MailboxPattern::run(const std::string& pattern, std::string_view name, bool* alive) const {
  const size_t n = pattern.size();
  // Positions of the name compared case-insensitively: the INBOX level.
  size_t inbox_end = 0;
  if (name.size() >= 5 && EqualsIgnoreCase(name.substr(0, 5), "INBOX") &&
      (name.size() == 5 || name[5] == separator_)) {
    inbox_end = 5;
  }
  std::vector<char> cur(n + 1, 0), next(n + 1, 0);
  auto close = [&pattern, n](std::vector<char>& set) {
    // A wildcard may match nothing: its state also stands for the next one.
    for (size_t p = 0; p < n; ++p) {
      if (set[p] && (pattern[p] == '*' || pattern[p] == '%')) set[p + 1] = 1;
    }
  };
  cur[0] = 1;
  close(cur);
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (size_t p = 0; p < n; ++p) {
      if (!cur[p]) continue;
      const char pc = pattern[p];
      if (pc == '*' || (pc == '%' && c != separator_)) {
        next[p] = 1;
        any = true;
      } else if (pc != '%' && (pc == c || (i < inbox_end && Upper(pc) == Upper(c)))) {
        next[p + 1] = 1;
        any = true;
      }
    }
    if (!any) {
      *alive = false;
      return false;
    }
    close(next);
    cur.swap(next);
  }
  *alive = true;
  return cur[n] != 0;
}

bool MailboxPattern::matches(std::string_view name) const {
  for (const std::string& p : patterns_) {
    bool alive;
    if (run(p, name, &alive)) return true;
  }
  return false;
}

bool MailboxPattern::may_match_children(std::string_view name) const {
  std::string probe(name);
  probe += separator_;
  for (const std::string& p : patterns_) {
    bool alive;
    run(p, probe, &alive);
    if (alive) return true;
  }
  return false;
}

std::string CombineReference(std::string_view reference, std::string_view pattern, char separator) {
  if (reference.empty() || (!pattern.empty() && pattern.front() == separator)) return std::string(pattern);
  std::string out(reference);
  out += pattern;
  return out;
}

}  // namespace loft::imap

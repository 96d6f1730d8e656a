// LIST / LSUB patterns: '*' matches anything, '%' anything but the hierarchy
// separator (RFC 3501 6.3.8). Like Dovecot (imap-match.c) the "INBOX" level of
// a name matches case-insensitively ("inbox/%" lists INBOX's children).
//
// Matching is a state-set simulation of the pattern, so its cost is bounded
// by pattern length x name length whatever the wildcards (no backtracking).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace loft::imap {

class MailboxPattern {
 public:
  // `patterns` are UTF-8 (already decoded from mUTF-7); a name matches when
  // any of them matches. No patterns: nothing matches.
  MailboxPattern(std::vector<std::string> patterns, char separator);

  bool matches(std::string_view name) const;
  // Whether a mailbox below `name` ("name<sep>...") could match: used to
  // show a non-matching parent of matching children, RECURSIVEMATCH, etc.
  bool may_match_children(std::string_view name) const;

  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  // Runs one pattern over `name`; returns whether the end state is reached,
  // and in *alive whether any state survived.
  bool run(const std::string& pattern, std::string_view name, bool* alive) const;

  std::vector<std::string> patterns_;  // compressed: no "**", "%%", "%*", "*%"
  char separator_;
};

// The pattern a reference and a mailbox pattern stand for (RFC 3501 6.3.8):
// the reference prefixed to the pattern, unless the pattern starts with the
// separator (an absolute name).
std::string CombineReference(std::string_view reference, std::string_view pattern, char separator);

}  // namespace loft::imap

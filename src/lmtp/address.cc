// Path grammar (RFC 5321 section 4.1.2), lenient where Dovecot is lenient:
// dot-strings may have leading or doubled dots, and the domain may be left
// out.
#include "lmtp/address.h"

#include <algorithm>
#include <cstring>

#include "lmtp/lmtp.h"

namespace loft::lmtp {
namespace {

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool is_domain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// dcontent of an address literal: printable ASCII except '[', '\' and ']'.
bool is_literal_char(char c) { return c >= 33 && c <= 126 && c != '[' && c != '\\' && c != ']'; }

class PathParser {
 public:
  PathParser(std::string_view in, unsigned flags) : in_(in), flags_(flags) {}

  PathResult parse(Path& out) {
    PathResult r;
    bool bracketed = peek() == '<';
    if (bracketed) {
      ++pos_;
    } else if (!(flags_ & kBracketsOptional)) {
      return fail("Missing '<' at beginning of path");
    }
    if (bracketed && peek() == '>') {
      if (!(flags_ & kAllowNullPath)) return fail("Null path not allowed");
      out = Path{};
      r.ok = true;
      r.consumed = pos_ + 1;
      return r;
    }
    if (bracketed && peek() == '@' && !skip_source_route()) return fail("Invalid source route");

    size_t local_begin = pos_;
    std::string local;
    if (peek() == '"') {
      if (!quoted_string(local)) return fail("Invalid quoted string in localpart");
    } else {
      while (!at_end() && (is_atext(peek()) || peek() == '.')) local.push_back(in_[pos_++]);
    }
    if (local.empty()) {
      if (at_end() || peek() == '>' || peek() == '@') return fail("Empty localpart");
      return fail("Invalid character in localpart");
    }

    std::string domain;
    if (peek() == '@') {
      ++pos_;
      if (!parse_domain(domain)) return fail("Invalid domain");
    }
    size_t text_end = pos_;

    if (bracketed) {
      if (at_end()) return fail("Missing '>' at end of path");
      if (peek() != '>') return fail("Invalid character in path");
      ++pos_;
    } else if (!at_end() && peek() != ' ') {
      return fail("Invalid character in path");
    }
    out.local = std::move(local);
    out.domain = std::move(domain);
    out.text.assign(in_.substr(local_begin, text_end - local_begin));
    r.ok = true;
    r.consumed = pos_;
    return r;
  }

 private:
  char peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= in_.size(); }

  PathResult fail(std::string reason) {
    PathResult r;
    r.error = std::move(reason);
    return r;
  }

  // "@" domain *( "," "@" domain ) ":" -- obsolete, accepted and ignored.
  bool skip_source_route() {
    for (;;) {
      if (peek() != '@') return false;
      ++pos_;
      std::string ignored;
      if (!parse_domain(ignored)) return false;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ':') return false;
      ++pos_;
      return true;
    }
  }

  bool parse_domain(std::string& domain) {
    size_t begin = pos_;
    if (peek() == '[') {
      ++pos_;
      while (!at_end() && is_literal_char(peek())) ++pos_;
      if (peek() != ']' || pos_ == begin + 1) return false;
      ++pos_;
    } else {
      while (!at_end() && is_domain_char(peek())) ++pos_;
      if (pos_ == begin) return false;
    }
    domain.assign(in_.substr(begin, pos_ - begin));
    return true;
  }

  // DQUOTE *( qtext / "\" printable ) DQUOTE; stores the unquoted value.
  bool quoted_string(std::string& value) {
    ++pos_;
    while (!at_end()) {
      char c = in_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (at_end()) return false;
        c = in_[pos_++];
        if (c < 32 || c > 126) return false;
        value.push_back(c);
        continue;
      }
      if (c < 32 || c > 126) return false;
      value.push_back(c);
    }
    return false;
  }

  std::string_view in_;
  unsigned flags_;
  size_t pos_ = 0;
};

}  // namespace

PathResult parse_path(std::string_view in, unsigned flags, Path& out) {
  return PathParser(in, flags).parse(out);
}

std::string ascii_lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return r;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

bool same_path(const Path& a, const Path& b) { return a.local == b.local && iequals(a.domain, b.domain); }

std::optional<Recipient> parse_recipient(std::string_view address) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!address.empty() && is_space(address.front())) address.remove_prefix(1);
  while (!address.empty() && is_space(address.back())) address.remove_suffix(1);
  Path path;
  PathResult r = parse_path(address, kBracketsOptional, path);
  if (!r.ok || r.consumed != address.size() || path.local.empty()) return std::nullopt;

  // The first '+' separates user and detail, as Dovecot's recipient_delimiter.
  // A leading '+' leaves nothing to be a user name, so it is no delimiter.
  Recipient rcpt;
  size_t plus = path.local.find('+');
  if (plus == std::string::npos || plus == 0) {
    rcpt.user = ascii_lower(path.local);
  } else {
    rcpt.user = ascii_lower(std::string_view(path.local).substr(0, plus));
    rcpt.detail = path.local.substr(plus + 1);
  }
  return rcpt;
}

std::string target_mailbox(store::UserStore& user, std::string_view detail) {
  if (detail.empty() || iequals(detail, "INBOX")) return "INBOX";
  if (user.mailbox_exists(detail)) return std::string(detail);
  return "INBOX";
}

}  // namespace loft::lmtp

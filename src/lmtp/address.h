// RFC 5321 paths as they appear in MAIL FROM:<...> and RCPT TO:<...>.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace loft::lmtp {

struct Path {
  std::string local;   // the local part with quoting undone ("al ice" for "\"al ice\"")
  std::string domain;  // as written ("example.com", "[10.0.0.1]"); empty when absent
  std::string text;    // local[@domain] as the client wrote it (quotes kept), for replies and headers
  bool is_null() const { return text.empty(); }  // "<>"
};

enum PathFlags : unsigned {
  kAllowNullPath = 1u << 0,     // "<>" (the null reverse-path of MAIL FROM)
  kBracketsOptional = 1u << 1,  // a bare "alice@x" (parse_recipient, `loft deliver`)
};

struct PathResult {
  bool ok = false;
  size_t consumed = 0;  // octets of `in` taken by the path on success
  std::string error;    // Dovecot-style reason on failure: "Missing '<' at beginning of path"
};

// Parses one path at the start of `in`. The domain is optional (LMTP
// recipients may be bare local parts); a source route "@a,@b:" is skipped.
// Only printable US-ASCII is accepted, so a parsed path can never carry CR,
// LF or other control characters into a reply or a header.
PathResult parse_path(std::string_view in, unsigned flags, Path& out);

// Two RCPT paths name the same recipient (Dovecot's duplicate rule): the
// local part compares exactly, the domain case-insensitively.
bool same_path(const Path& a, const Path& b);

std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

}  // namespace loft::lmtp

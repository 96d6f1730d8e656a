#include "lmtp/command_syntax.h"

#include <vector>

namespace loft::lmtp {
namespace {

// "FROM:" / "TO:" (any case), then the path. Whitespace before the path is
// tolerated (Dovecot's whitespace-before-path workaround): some MTAs send it
// and nothing is ambiguous about it.
bool strip_keyword(std::string_view& params, std::string_view keyword) {
  if (params.size() < keyword.size() || !iequals(params.substr(0, keyword.size()), keyword)) return false;
  params.remove_prefix(keyword.size());
  while (!params.empty() && (params.front() == ' ' || params.front() == '\t')) params.remove_prefix(1);
  return true;
}

// Splits "A=1 B" into its parameters; runs of spaces are tolerated.
std::vector<std::string_view> split_params(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = s.find(' ', i);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(i, end - i));
    i = end;
  }
  return out;
}

// 1*20DIGIT without overflow (RFC 1870 size-value).
std::optional<uint64_t> parse_size(std::string_view v) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

}  // namespace

std::string parse_mail_args(std::string_view params, uint64_t max_message_size, MailArgs& out) {
  out = MailArgs{};
  if (!strip_keyword(params, "FROM:")) return "501 5.5.4 Invalid parameters";
  PathResult path = parse_path(params, kAllowNullPath, out.from);
  if (!path.ok) return "501 5.5.4 Invalid FROM: " + path.error;
  params.remove_prefix(path.consumed);
  if (!params.empty() && params.front() != ' ') return "501 5.5.4 Invalid FROM: Invalid character in path";

  bool have_body = false;
  for (std::string_view param : split_params(params)) {
    size_t eq = param.find('=');
    std::string_view keyword = param.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (iequals(keyword, "SIZE")) {
      if (out.size) return "501 5.5.4 Duplicate SIZE parameter";
      out.size = parse_size(value);
      if (!out.size) return "501 5.5.4 Invalid SIZE parameter";
    } else if (iequals(keyword, "BODY")) {
      if (have_body) return "501 5.5.4 Duplicate BODY parameter";
      have_body = true;
      if (iequals(value, "8BITMIME")) {
        out.eight_bit = true;
      } else if (!iequals(value, "7BIT")) {
        return "555 5.5.4 Unsupported mail BODY type";
      }
    } else {
      return "555 5.5.4 Unsupported parameters";
    }
  }
  if (out.size && *out.size > max_message_size) return "552 5.2.3 Message size exceeds administrative limit";
  return {};
}

std::string parse_rcpt_args(std::string_view params, Path& out) {
  out = Path{};
  if (!strip_keyword(params, "TO:")) return "501 5.5.4 Invalid parameters";
  PathResult path = parse_path(params, 0, out);
  if (!path.ok) return "501 5.5.4 Invalid TO: " + path.error;
  params.remove_prefix(path.consumed);
  if (!params.empty() && params.front() != ' ') return "501 5.5.4 Invalid TO: Invalid character in path";
  // No RCPT parameters are advertised (no DSN), so any is unsupported.
  if (!split_params(params).empty()) return "555 5.5.4 Unsupported parameters";
  return {};
}

}  // namespace loft::lmtp

#include "pop3/dot_stuffer.h"

#include <cstring>
#include <limits>

namespace loft::pop3 {

DotStuffer::DotStuffer(std::optional<uint64_t> body_lines) {
  if (body_lines) {
    limited_ = true;
    // Like Dovecot, count the empty line that ends the header as a body line.
    lines_left_ = *body_lines == std::numeric_limits<uint64_t>::max() ? *body_lines : *body_lines + 1;
  }
}

void DotStuffer::feed(std::string_view in, std::string& out) {
  if (!limited_) return feed_whole(in, out);
  size_t i = 0;
  while (i < in.size() && !done_) {
    if (line_start_ && in[i] == '.') out.push_back('.');
    size_t nl = in.find('\n', i);
    size_t content_end = nl == std::string_view::npos ? in.size() : nl;
    size_t end = nl == std::string_view::npos ? in.size() : nl + 1;
    if (content_end > i) {
      if (line_len_ == 0) line_first_ = in[i];
      line_len_ += content_end - i;
    }
    out.append(in.data() + i, end - i);
    last_ = in[end - 1];
    i = end;
    line_start_ = nl != std::string_view::npos;
    if (line_start_) end_line();
  }
}

// RETR counts no lines: only a '.' that starts a line matters, and those
// are rare, so whole runs between them are copied at once (a search for '.'
// rather than for each line end: a per-line loop cost 6% of a download).
void DotStuffer::feed_whole(std::string_view in, std::string& out) {
  if (in.empty()) return;
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* copied = begin;
  if (line_start_ && *begin == '.') out.push_back('.');
  for (const char* p = begin + 1; p < end;) {
    const char* dot = static_cast<const char*>(std::memchr(p, '.', static_cast<size_t>(end - p)));
    if (!dot) break;
    if (dot[-1] == '\n') {
      out.append(copied, static_cast<size_t>(dot - copied));
      out.push_back('.');
      copied = dot;
    }
    p = dot + 1;
  }
  out.append(copied, static_cast<size_t>(end - copied));
  last_ = end[-1];
  line_start_ = last_ == '\n';
}

void DotStuffer::end_line() {
  if (limited_) {
    bool empty = line_len_ == 0 || (line_len_ == 1 && line_first_ == '\r');
    if (!in_body_ && empty) in_body_ = true;
    if (in_body_ && --lines_left_ == 0) done_ = true;
  }
  line_len_ = 0;
  line_first_ = 0;
}

void DotStuffer::finish(std::string& out) const {
  if (last_ != '\n') out.append("\r\n");
  out.append(".\r\n");
}

}  // namespace loft::pop3

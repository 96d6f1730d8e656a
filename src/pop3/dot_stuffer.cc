#include "pop3/dot_stuffer.h"

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

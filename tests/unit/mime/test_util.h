// Small helpers shared by the mime unit tests.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace loft::mime::testing {

// Writes test messages with "\n" and turns every line end into CRLF, as the
// store keeps mail.
inline std::string Crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// Wall-clock seconds taken by fn().
template <typename Fn>
double Seconds(Fn&& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace loft::mime::testing

// Shared helpers of the fuzz targets: an invariant check that stays on in
// release builds, and a reader that splits the fuzzer's bytes into choices
// and pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// Aborts (a finding for libFuzzer, a failed test for the replay driver) when
// an invariant does not hold. Unlike assert() it is not compiled out.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace loft::fuzz {

// Takes bytes from the front of the input: small choices first, the rest as text.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // One byte (0 when the input is exhausted).
  uint8_t byte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  bool flag() { return byte() & 1; }
  // Up to the next '\n' (excluded) or the end.
  std::string_view line() {
    size_t nl = rest_.find('\n');
    std::string_view out = rest_.substr(0, nl);
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    return out;
  }
  std::string_view rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// Splits `text` into pieces whose sizes come from `seed` (1..16 octets, or the
// whole rest when seed is 0): for incremental readers, whose result must not
// depend on how the input was cut.
template <typename Fn>
void ForEachPiece(std::string_view text, uint32_t seed, Fn&& fn) {
  while (!text.empty()) {
    size_t n = seed == 0 ? text.size() : 1 + (seed % 16);
    seed = seed * 1103515245u + 12345u;
    if (n > text.size()) n = text.size();
    fn(text.substr(0, n));
    text.remove_prefix(n);
  }
}

}  // namespace loft::fuzz

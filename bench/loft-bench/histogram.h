// Latency histogram in microseconds with log-linear buckets (HdrHistogram
// style: 512 sub-buckets per power of two, < 0.2% error), fixed memory.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace loft::bench {

class Histogram {
 public:
  Histogram() : buckets_(kLinear + kPowers * kSub, 0) {}

  void Add(uint64_t us) {
    ++buckets_[Index(us)];
    ++count_;
    max_ = std::max(max_, us);
    sum_ += us;
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }

  // The value at quantile q (0..1), in microseconds.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) return std::min(Value(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 9;
  static constexpr uint64_t kSub = 1u << kSubBits;  // 512
  static constexpr uint64_t kLinear = 2 * kSub;     // values below 1024 us are exact
  static constexpr uint64_t kPowers = 44;

  static size_t Index(uint64_t v) {
    if (v < kLinear) return v;
    int msb = 63 - std::countl_zero(v);  // >= 10
    int shift = msb - kSubBits;
    size_t idx = kLinear + static_cast<size_t>(msb - kSubBits - 1) * kSub + ((v >> shift) - kSub);
    return std::min(idx, static_cast<size_t>(kLinear + kPowers * kSub - 1));
  }
  static uint64_t Value(size_t idx) {
    if (idx < kLinear) return idx;
    size_t k = idx - kLinear;
    int shift = static_cast<int>(k / kSub) + 1;
    uint64_t r = k % kSub;
    uint64_t lo = (kSub + r) << shift;
    return lo + ((uint64_t{1} << shift) >> 1);  // bucket middle
  }

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace loft::bench

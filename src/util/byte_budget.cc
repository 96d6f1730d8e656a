#include "util/byte_budget.h"

#include <utility>

namespace loft::util {

bool ByteBudget::take(uint64_t n) {
  const uint64_t limit = limit_.load(std::memory_order_relaxed);
  uint64_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (n > limit || used > limit - n) return false;
  } while (!in_use_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
  return true;
}

ByteBudget::Lease& ByteBudget::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    release();
    budget_ = o.budget_;
    held_ = std::exchange(o.held_, 0);
  }
  return *this;
}

bool ByteBudget::Lease::grow_to(uint64_t total) {
  if (total <= held_) return true;
  if (budget_ && !budget_->take(total - held_)) return false;
  held_ = total;
  return true;
}

void ByteBudget::Lease::release() {
  if (budget_ && held_) budget_->give_back(held_);
  held_ = 0;
}

}  // namespace loft::util

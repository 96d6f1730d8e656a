// A process-wide cap on the octets of messages held in memory while they
// are received: APPEND literals (IMAP) and DATA payloads (LMTP). Each is
// bounded by max_message_size on its own; the budget bounds their sum, so
// that many sessions uploading at once cannot grow the server without limit.
// A session that cannot get room is told to try again later (IMAP NO
// [LIMIT], LMTP 452) and its data is read and dropped.
//
// Thread-safe: leases may be grown on the event loop and released wherever
// the last owner of the data lets go.
#pragma once

#include <atomic>
#include <cstdint>

namespace loft::util {

class ByteBudget {
 public:
  explicit ByteBudget(uint64_t limit) : limit_(limit) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // What one receiver holds. A default lease, or one of a null budget,
  // holds nothing and may grow without limit.
  class Lease {
   public:
    Lease() = default;
    explicit Lease(ByteBudget* budget) : budget_(budget) {}
    Lease(Lease&& o) noexcept : budget_(o.budget_), held_(o.held_) { o.held_ = 0; }
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(); }

    // Holds at least `total` octets afterwards, or returns false and holds
    // what it held before. Never shrinks.
    bool grow_to(uint64_t total);
    void release();
    uint64_t held() const { return held_; }

   private:
    ByteBudget* budget_ = nullptr;
    uint64_t held_ = 0;
  };

  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  // A lower limit refuses new room until enough is given back; nothing
  // already held is taken away (a configuration reload).
  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
  uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  bool take(uint64_t n);
  void give_back(uint64_t n) { in_use_.fetch_sub(n, std::memory_order_relaxed); }

  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> in_use_{0};
};

}  // namespace loft::util

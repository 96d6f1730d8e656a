// The DATA payload reader: finds the terminating "." line, undoes dot
// stuffing (RFC 5321 section 4.5.2) and keeps at most max_size octets.
//
// Input may arrive in pieces split anywhere, line ends may be CRLF or a bare
// LF (the store turns bare LF into CRLF), and lines have no length limit:
// only the total is bounded. Beyond the limit the reader keeps consuming up
// to the terminator but stores nothing more, so memory stays bounded.
// The payload also takes room in a shared budget (util/byte_budget.h) as
// it grows; when the budget has none left the reader likewise stores
// nothing more (no_memory()), and the room is given back by reset().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/byte_budget.h"

namespace loft::lmtp {

class DataReader {
 public:
  explicit DataReader(uint64_t max_size, util::ByteBudget* memory = nullptr) : max_size_(max_size), memory_(memory) {}

  // Takes octets from the front of `in`; returns how many it used. Stops
  // right after the terminating line, leaving what follows (pipelined
  // commands) to the caller.
  size_t feed(std::string_view in);

  bool done() const { return state_ == State::kDone; }
  bool overflow() const { return overflow_; }
  bool no_memory() const { return no_memory_; }  // the budget had no room: nothing kept
  uint64_t size() const { return size_; }  // payload octets seen, also beyond the limit
  std::string take_body();                 // the payload; empty after an overflow
  void reset();                            // ready for the next DATA; frees the payload and its room

 private:
  enum class State { kLineStart, kInLine, kDot, kDotCR, kDone };
  void emit(std::string_view octets);

  uint64_t max_size_;
  State state_ = State::kLineStart;
  uint64_t size_ = 0;
  bool overflow_ = false;
  bool no_memory_ = false;
  std::string body_;
  util::ByteBudget::Lease memory_;
};

}  // namespace loft::lmtp

#include "lmtp/data_reader.h"

#include <cstring>

namespace loft::lmtp {

size_t DataReader::feed(std::string_view in) {
  size_t i = 0;
  while (i < in.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kLineStart:
        if (in[i] == '.') {
          ++i;  // either the terminator or a stuffed dot: never payload
          state_ = State::kDot;
        } else {
          state_ = State::kInLine;
        }
        break;
      case State::kInLine: {
        const void* nl = std::memchr(in.data() + i, '\n', in.size() - i);
        size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - in.data()) + 1 : in.size();
        emit(in.substr(i, end - i));
        i = end;
        if (nl) state_ = State::kLineStart;
        break;
      }
      case State::kDot:
        if (in[i] == '\n') {
          ++i;
          state_ = State::kDone;
        } else if (in[i] == '\r') {
          ++i;
          state_ = State::kDotCR;
        } else {
          state_ = State::kInLine;  // "..x" -> ".x": the first dot is dropped
        }
        break;
      case State::kDotCR:
        if (in[i] == '\n') {
          ++i;
          state_ = State::kDone;
        } else {
          emit("\r");  // ".\rx": a stuffed dot followed by a lone CR
          state_ = State::kInLine;
        }
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

void DataReader::emit(std::string_view octets) {
  size_ += octets.size();
  if (overflow_ || no_memory_) return;
  if (size_ > max_size_) {
    overflow_ = true;
    std::string().swap(body_);
    memory_.release();
    return;
  }
  // Room is taken in steps, to keep the shared counter out of the way.
  constexpr uint64_t kStep = 64 * 1024;
  if (!memory_.grow_to((size_ + kStep - 1) / kStep * kStep)) {
    no_memory_ = true;
    std::string().swap(body_);
    memory_.release();
    return;
  }
  body_.append(octets);
}

std::string DataReader::take_body() {
  std::string body;
  body.swap(body_);
  return body;
}

void DataReader::reset() {
  state_ = State::kLineStart;
  size_ = 0;
  overflow_ = false;
  no_memory_ = false;
  std::string().swap(body_);
  memory_.release();
}

}  // namespace loft::lmtp

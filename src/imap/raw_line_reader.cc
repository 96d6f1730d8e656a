#include "imap/raw_line_reader.h"

#include <algorithm>

namespace loft::imap {

RawLineReader::Status RawLineReader::read(std::string& input, std::string* line) {
  size_t lf = input.find('\n');
  if (skipping_) {
    if (lf == std::string::npos) {
      input.clear();
      return Status::kNeedMore;
    }
    input.erase(0, lf + 1);
    skipping_ = false;
    lf = input.find('\n');
  }
  size_t take = lf == std::string::npos ? input.size() : lf;
  if (partial_.size() + take > max_line_ + 1) {  // +1: the CR of CR LF
    partial_.clear();
    if (lf == std::string::npos) {
      input.clear();
      skipping_ = true;
    } else {
      input.erase(0, lf + 1);
    }
    return Status::kTooLong;
  }
  partial_.append(input, 0, take);
  if (lf == std::string::npos) {
    input.clear();
    return Status::kNeedMore;
  }
  input.erase(0, lf + 1);
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  *line = std::move(partial_);
  partial_.clear();
  return Status::kLine;
}

void RawLineReader::reset() {
  partial_.clear();
  skipping_ = false;
}

}  // namespace loft::imap

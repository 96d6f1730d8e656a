// Bounded reading of plain lines that are not IMAP commands: the client's
// SASL responses after AUTHENTICATE and "DONE" after IDLE.
#pragma once

#include <cstddef>
#include <string>

namespace loft::imap {

class RawLineReader {
 public:
  enum class Status {
    kNeedMore,  // no complete line yet (the partial line is kept, bounded)
    kLine,      // *line holds the line without CR LF
    kTooLong,   // a line exceeded the limit; it is skipped up to its LF
  };

  explicit RawLineReader(size_t max_line) : max_line_(max_line) {}

  // Consumes from the front of `input`; stops after one line.
  Status read(std::string& input, std::string* line);
  void reset();

 private:
  size_t max_line_;
  std::string partial_;
  bool skipping_ = false;
};

}  // namespace loft::imap

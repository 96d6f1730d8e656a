// The messages sent by APPEND and LMTP: every regular file under a
// directory (sorted, LF -> CRLF), or generated plausible 1-10 KB messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loft::bench {

class MessagePool {
 public:
  // Loads DIR (returns false with a message in `error` if it holds none), or generates `n` messages.
  bool Load(const std::string& dir, std::string& error);
  void Generate(int n, uint64_t seed);

  size_t size() const { return messages_.size(); }
  const std::string& at(size_t i) const { return messages_[i % messages_.size()]; }
  // SMTP/LMTP DATA body: dot-stuffed, ending with CRLF.CRLF.
  const std::string& stuffed(size_t i) const { return stuffed_[i % stuffed_.size()]; }

 private:
  void Add(std::string m);
  std::vector<std::string> messages_;
  std::vector<std::string> stuffed_;
};

std::string ToCrlf(const std::string& in);
std::string DotStuff(const std::string& crlf_message);

}  // namespace loft::bench

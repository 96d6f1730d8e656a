// A non-blocking TCP connection (optionally TLS, no certificate checks)
// with a read buffer, driven by coroutines on the Loop. I/O failures,
// end of stream and deadlines throw IoError.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "loop.h"
#include "task.h"

namespace loft::bench {

struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

SSL_CTX* ClientTlsContext();  // shared, no verification

class Conn {
 public:
  Conn();
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Task<void> Connect(const std::string& host, int port, TimePoint deadline);
  Task<void> StartTls(TimePoint deadline);
  Task<void> WriteAll(std::string_view data, TimePoint deadline);
  // One line without its CRLF (or LF). Lines longer than max_line throw.
  Task<std::string> ReadLine(TimePoint deadline, size_t max_line = 256u << 20);
  Task<std::string> ReadExact(size_t n, TimePoint deadline);
  // True once buffered data is available; false on deadline or Interrupt().
  Task<bool> WaitData(TimePoint deadline);
  void Interrupt() { Loop::Get().Interrupt(slot_.get()); }
  void Close();
  bool is_open() const { return fd_ >= 0; }
  size_t buffered() const { return in_.size() - pos_; }
  uint64_t bytes_in() const { return bytes_in_; }

 private:
  // Reads what is available into in_: >0 bytes read, 0 would block; throws on EOF/error.
  size_t Fill();
  Task<void> WaitIo(TimePoint deadline, const char* what);
  void Compact();

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::shared_ptr<WaitSlot> slot_;
  std::string in_;
  size_t pos_ = 0;
  size_t scan_ = 0;  // where the search for '\n' resumes
  uint64_t bytes_in_ = 0;
};

}  // namespace loft::bench

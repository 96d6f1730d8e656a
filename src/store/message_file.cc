// MessageFile: an open message body read with pread.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/store.h"

namespace loft::store {

MessageFile& MessageFile::operator=(MessageFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    size_ = o.size_;
    o.fd_ = -1;
    o.size_ = 0;
  }
  return *this;
}

MessageFile::~MessageFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string MessageFile::read(uint64_t offset, size_t len) const {
  if (fd_ < 0 || offset >= size_) return {};
  // The size bounds the buffer, whatever length the caller asks for.
  len = static_cast<size_t>(std::min<uint64_t>(len, size_ - offset));
  std::string out(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd_, out.data() + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw StoreError(ErrorCode::kTemporary, std::string("read message: ") + std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace loft::store

#include "conn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace loft::bench {

SSL_CTX* ClientTlsContext() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    return c;
  }();
  return ctx;
}

Conn::Conn() : slot_(std::make_shared<WaitSlot>()) {}

Conn::~Conn() { Close(); }

void Conn::Close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    Loop::Get().Unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  in_.clear();
  pos_ = scan_ = 0;
}

Task<void> Conn::WaitIo(TimePoint deadline, const char* what) {
  co_await SlotWait{slot_.get(), deadline};
  if (slot_->timed_out) throw IoError(fmt::format("timeout while {}", what));
  if (slot_->interrupted) throw IoError(fmt::format("interrupted while {}", what));
}

Task<void> Conn::Connect(const std::string& host, int port, TimePoint deadline) {
  Close();
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) throw IoError("cannot resolve " + host);
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    if (ss.ss_family == AF_INET) v4->sin_port = htons(port);
    else v6->sin6_port = htons(port);
  }
  fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw IoError(fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  Loop::Get().Watch(fd_, slot_.get());
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    if (errno != EINPROGRESS) throw IoError(fmt::format("connect {}:{}: {}", host, port, std::strerror(errno)));
    while (true) {
      co_await WaitIo(deadline, "connecting");
      int err = 0;
      socklen_t el = sizeof(err);
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err != 0) throw IoError(fmt::format("connect {}:{}: {}", host, port, std::strerror(err)));
      // Writable means connected; a spurious wake-up shows as ENOTCONN here.
      sockaddr_storage peer{};
      socklen_t pl = sizeof(peer);
      if (getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &pl) == 0) break;
    }
  }
}

Task<void> Conn::StartTls(TimePoint deadline) {
  ssl_ = SSL_new(ClientTlsContext());
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  while (true) {
    ERR_clear_error();
    int r = SSL_connect(ssl_);
    if (r == 1) break;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      co_await WaitIo(deadline, "TLS handshake");
      continue;
    }
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
    throw IoError(fmt::format("TLS handshake failed: {}", buf));
  }
}

Task<void> Conn::WriteAll(std::string_view data, TimePoint deadline) {
  size_t off = 0;
  while (off < data.size()) {
    if (fd_ < 0) throw IoError("write on a closed connection");
    size_t chunk = std::min<size_t>(data.size() - off, 1 << 20);
    if (ssl_) {
      ERR_clear_error();
      int r = SSL_write(ssl_, data.data() + off, static_cast<int>(chunk));
      if (r > 0) {
        off += r;
        continue;
      }
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        co_await WaitIo(deadline, "writing");
        continue;
      }
      throw IoError("TLS write failed");
    }
    ssize_t r = ::send(fd_, data.data() + off, chunk, MSG_NOSIGNAL);
    if (r > 0) {
      off += r;
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
      co_await WaitIo(deadline, "writing");
      continue;
    }
    throw IoError(fmt::format("write: {}", r < 0 ? std::strerror(errno) : "closed"));
  }
}

void Conn::Compact() {
  if (pos_ == in_.size()) {
    in_.clear();
    scan_ = pos_ = 0;
  } else if (pos_ > (64u << 10) && pos_ * 2 > in_.size()) {
    in_.erase(0, pos_);
    scan_ -= std::min(scan_, pos_);
    pos_ = 0;
  }
}

size_t Conn::Fill() {
  if (fd_ < 0) throw IoError("read on a closed connection");
  Compact();
  size_t total = 0;
  char buf[16384];
  while (true) {
    if (ssl_) {
      ERR_clear_error();
      int r = SSL_read(ssl_, buf, sizeof(buf));
      if (r > 0) {
        in_.append(buf, r);
        total += r;
        continue;
      }
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
      if (total) break;
      if (e == SSL_ERROR_ZERO_RETURN) throw IoError("connection closed by the server");
      throw IoError("TLS read failed or connection reset");
    }
    ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
    if (r > 0) {
      in_.append(buf, r);
      total += r;
      if (static_cast<size_t>(r) < sizeof(buf)) break;
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (total) break;
    if (r == 0) throw IoError("connection closed by the server");
    throw IoError(fmt::format("read: {}", std::strerror(errno)));
  }
  bytes_in_ += total;
  return total;
}

Task<std::string> Conn::ReadLine(TimePoint deadline, size_t max_line) {
  while (true) {
    size_t nl = in_.find('\n', std::max(scan_, pos_));
    if (nl != std::string::npos) {
      size_t end = nl;
      if (end > pos_ && in_[end - 1] == '\r') --end;
      std::string line = in_.substr(pos_, end - pos_);
      pos_ = nl + 1;
      scan_ = pos_;
      co_return line;
    }
    scan_ = in_.size();
    if (in_.size() - pos_ > max_line) throw IoError("response line too long");
    if (Fill() == 0) co_await WaitIo(deadline, "reading a line");
  }
}

Task<std::string> Conn::ReadExact(size_t n, TimePoint deadline) {
  while (in_.size() - pos_ < n) {
    if (Fill() == 0) co_await WaitIo(deadline, "reading data");
  }
  std::string out = in_.substr(pos_, n);
  pos_ += n;
  scan_ = pos_;
  co_return out;
}

Task<bool> Conn::WaitData(TimePoint deadline) {
  while (in_.size() == pos_) {
    if (Fill() > 0) break;
    co_await SlotWait{slot_.get(), deadline};
    if (slot_->timed_out || slot_->interrupted) co_return false;
  }
  co_return true;
}

}  // namespace loft::bench

#include "net/connection.h"

#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace loft::net {

Connection::Connection(Params p)
    : loop_(p.loop),
      workers_(p.workers),
      auth_workers_(p.auth_workers ? p.auth_workers : p.workers),
      fd_(p.fd),
      peer_address_(std::move(p.peer_address)),
      peer_loopback_(p.peer_loopback),
      tls_ctx_(std::move(p.tls)),
      implicit_tls_(p.implicit_tls),
      on_destroyed_(std::move(p.on_destroyed)) {}

Connection::~Connection() {
  if (!closed_ && fd_ >= 0) {
    loop_->remove(fd_);
    ::close(fd_);
  }
  if (ssl_) SSL_free(ssl_);
}

// Runs a session callback; a session must not throw, but if one does the
// connection is dropped rather than the server.
#define LOFT_SESSION_CALL(expr)                                          \
  do {                                                                   \
    try {                                                                \
      expr;                                                              \
    } catch (const std::exception& e) {                                  \
      spdlog::error("session error from {}: {}", peer_address_, e.what()); \
      shutdown_now();                                                    \
    }                                                                    \
  } while (0)

void Connection::start(const SessionFactory& factory) {
  auto self = shared_from_this();
  interest_ = EPOLLIN;
  loop_->add(fd_, interest_, [w = std::weak_ptr<Connection>(self)](uint32_t ev) {
    if (auto c = w.lock()) c->on_events(ev);
  });
  last_input_ = EventLoop::Clock::now();
  if (implicit_tls_) {
    factory_ = factory;
    ssl_ = SSL_new(tls_ctx_->get());
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_accept_state(ssl_);
    handshaking_ = true;
    set_idle_timeout(std::chrono::seconds(60));  // for the handshake
    return;
  }
  session_ = factory(*this);
  started_ = true;
  LOFT_SESSION_CALL(session_->on_open());
}

void Connection::on_events(uint32_t events) {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) handle_readable();
  // A reset or fully closed socket keeps reporting HUP/ERR whatever the
  // interest set; nothing more can be sent, so don't wait for a paused
  // session (that would spin the loop until its work finishes).
  if (!closed_ && peer_eof_ && (events & (EPOLLHUP | EPOLLERR))) {
    shutdown_now();
    return;
  }
  if (!closed_ && (events & EPOLLOUT)) handle_writable();
}

void Connection::handle_readable() {
  char buf[kReadChunk];
  for (int round = 0; round < 4 && !closed_; ++round) {
    if (in_.size() >= kMaxInput) break;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      if (ssl_) {
        feed_tls(buf, static_cast<size_t>(n));
      } else {
        in_.append(buf, static_cast<size_t>(n));
        note_input(buf, static_cast<size_t>(n));
      }
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    // EOF or error: let the session see complete input first (a POP3 QUIT
    // sent just before the close must still be carried out).
    peer_eof_ = true;
    break;
  }
  if (closed_) return;
  deliver_input();
  if (closed_) return;
  if (peer_eof_ && !paused_) {
    shutdown_now();
    return;
  }
  update_interest();
}

void Connection::handle_writable() {
  flush();
  if (closed_) return;
  if (above_low_water_ && output_pending() < kLowWater) {
    above_low_water_ = false;
    if (started_ && !closing_) LOFT_SESSION_CALL(session_->on_output_drained());
  }
}

void Connection::feed_tls(const char* data, size_t len) {
  BIO_write(rbio_, data, static_cast<int>(len));
  if (handshaking_) {
    tls_handshake_step();
    if (handshaking_ || closed_) return;
  }
  char buf[16384];
  while (!closed_) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      note_input(buf, static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) break;
    // close_notify or a protocol error: the stream is over.
    ERR_clear_error();
    peer_eof_ = true;
    break;
  }
  pump_tls_output();
}

void Connection::tls_handshake_step() {
  int r = SSL_do_handshake(ssl_);
  pump_tls_output();
  if (r == 1) {
    handshaking_ = false;
    if (!started_) {
      set_idle_timeout(std::chrono::milliseconds(0));
      session_ = factory_(*this);
      factory_ = nullptr;
      started_ = true;
      LOFT_SESSION_CALL(session_->on_open());
    } else if (tls_done_) {
      auto done = std::move(tls_done_);
      tls_done_ = nullptr;
      LOFT_SESSION_CALL(done());
    }
    return;
  }
  int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
  unsigned long e = ERR_get_error();
  char msg[256] = "handshake failed";
  if (e) ERR_error_string_n(e, msg, sizeof msg);
  ERR_clear_error();
  spdlog::info("TLS handshake with {} failed: {}", peer_address_, msg);
  shutdown_now();
}

// Input re-arms the idle timer only when it is progress: a line end, or
// kProgressOctets since the last re-arm (literals, message data). A client
// trickling a byte at a time into a line (slow-loris) is closed after the
// idle timeout like a silent one. Handshake bytes never count: a TLS
// handshake has the idle timeout from its start.
void Connection::note_input(const char* data, size_t len) {
  progress_octets_ += len;
  if (progress_octets_ < kProgressOctets && std::memchr(data, '\n', len) == nullptr) return;
  progress_octets_ = 0;
  last_input_ = EventLoop::Clock::now();
}

void Connection::pump_tls_output() {
  char buf[16384];
  int n;
  while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<size_t>(n));
  flush();
}

void Connection::write(std::string_view data) {
  if (closed_ || data.empty()) return;
  if (ssl_) {
    if (handshaking_) {
      spdlog::warn("dropping output written during a TLS handshake to {}", peer_address_);
      return;
    }
    while (!data.empty()) {
      int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 20));
      int n = SSL_write(ssl_, data.data(), chunk);
      if (n <= 0) {
        ERR_clear_error();
        shutdown_now();
        return;
      }
      data.remove_prefix(static_cast<size_t>(n));
      char buf[16384];
      int m;
      while ((m = BIO_read(wbio_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<size_t>(m));
    }
  } else {
    out_.append(data);
  }
  if (output_pending() < kLowWater) return schedule_flush();
  flush();
  if (output_pending() >= kLowWater) above_low_water_ = true;
}

void Connection::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  loop_->defer([self = shared_from_this()] {
    self->flush_scheduled_ = false;
    // As on EPOLLOUT: when this flush takes the output below the low-water
    // mark, the session waiting for it is told. (Only flush() here left a
    // session that had filled the socket waiting forever when this flush
    // sent everything: nothing was left to arm EPOLLOUT for.)
    if (!self->closed_) self->handle_writable();
  });
}

void Connection::flush() {
  while (!closed_ && out_pos_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // The peer is gone; defer the teardown so we never destroy state under
    // a caller that is still using it.
    peer_eof_ = true;
    out_.clear();
    out_pos_ = 0;
    auto self = shared_from_this();
    loop_->post([self] { self->shutdown_now(); });
    return;
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
    if (closing_) {
      shutdown_now();
      return;
    }
  } else if (out_pos_ > (1u << 20)) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  update_interest();
}

void Connection::update_interest() {
  if (closed_) return;
  uint32_t want = 0;
  if (!closing_ && !peer_eof_ && in_.size() < kMaxInput) want |= EPOLLIN;
  // A scheduled flush sends first; EPOLLOUT only if that leaves some.
  if (out_pos_ < out_.size() && !flush_scheduled_) want |= EPOLLOUT;
  if (want != interest_) {
    interest_ = want;
    loop_->modify(fd_, want);
  }
}

void Connection::deliver_input() {
  if (!started_ || paused_ || closing_ || closed_ || delivering_ || in_.empty()) return;
  delivering_ = true;
  LOFT_SESSION_CALL(session_->on_input(in_));
  delivering_ = false;
  if (discard_input_) {
    discard_input_ = false;
    in_.clear();
  }
  update_interest();
}

void Connection::schedule_input() {
  if (input_scheduled_) return;
  input_scheduled_ = true;
  auto self = shared_from_this();
  loop_->post([self] {
    self->input_scheduled_ = false;
    if (self->closed_) return;
    self->deliver_input();
    if (!self->closed_ && self->peer_eof_ && !self->paused_) self->shutdown_now();
  });
}

void Connection::pause_input(bool paused) {
  paused_ = paused;
  if (!paused_ && (!in_.empty() || peer_eof_)) schedule_input();
}

void Connection::start_tls(std::function<void()> done) {
  if (closed_ || ssl_ || !tls_ctx_) return;
  // Whatever the client sent behind the command is plaintext that must not
  // be run after the handshake.
  if (delivering_) {
    discard_input_ = true;
  } else {
    in_.clear();
  }
  ssl_ = SSL_new(tls_ctx_->get());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_accept_state(ssl_);
  handshaking_ = true;
  tls_done_ = std::move(done);
}

void Connection::close() {
  if (closed_ || closing_) return;
  closing_ = true;
  if (out_pos_ == out_.size()) {
    auto self = shared_from_this();
    loop_->post([self] { self->shutdown_now(); });
  } else {
    update_interest();
  }
}

void Connection::abort() { shutdown_now(); }

void Connection::shutdown_now() {
  if (closed_) return;
  if (flush_scheduled_) {
    // Output of this round not tried yet (a reply to the client's last
    // command before it hung up): one attempt, as writing used to make at
    // once, never waiting.
    while (out_pos_ < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        out_pos_ += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
  }
  closed_ = true;
  if (idle_timer_) loop_->cancel_timer(idle_timer_);
  loop_->remove(fd_);
  ::close(fd_);
  fd_ = -1;
  if (started_ && session_) {
    try {
      session_->on_close();
    } catch (const std::exception& e) {
      spdlog::error("session close error: {}", e.what());
    }
  }
  if (on_destroyed_) {
    auto cb = std::move(on_destroyed_);
    on_destroyed_ = nullptr;
    cb(this);
  }
}

void Connection::set_idle_timeout(std::chrono::milliseconds timeout) {
  idle_timeout_ = timeout;
  last_input_ = EventLoop::Clock::now();
  arm_idle_timer();
}

void Connection::arm_idle_timer() {
  if (idle_timer_) {
    loop_->cancel_timer(idle_timer_);
    idle_timer_ = 0;
  }
  if (closed_ || idle_timeout_.count() <= 0) return;
  auto deadline = last_input_ + idle_timeout_;
  auto delay = deadline - EventLoop::Clock::now();
  if (delay < EventLoop::Clock::duration::zero()) delay = EventLoop::Clock::duration::zero();
  std::weak_ptr<Connection> w = shared_from_this();
  idle_timer_ = loop_->add_timer(delay, [w] {
    auto c = w.lock();
    if (!c || c->closed_) return;
    c->idle_timer_ = 0;
    // Input since arming moves the deadline; checking lazily here saves a
    // timer update per input.
    if (EventLoop::Clock::now() - c->last_input_ < c->idle_timeout_) {
      c->arm_idle_timer();
      return;
    }
    if (!c->started_) {
      c->shutdown_now();
      return;
    }
    try {
      c->session_->on_timeout();
    } catch (const std::exception& e) {
      c->shutdown_now();
    }
  });
}

void Connection::offload(std::function<void()> work, std::function<void()> done) {
  run_on(*workers_, std::move(work), std::move(done));
}

void Connection::offload_read(std::function<void()> work, std::function<void()> done) {
  run_on(*workers_, std::move(work), std::move(done), WorkerPool::Priority::kFirst);
}

void Connection::offload_auth(std::function<void()> work, std::function<void()> done) {
  run_on(*auth_workers_, std::move(work), std::move(done));
}

void Connection::run_on(WorkerPool& pool, std::function<void()> work, std::function<void()> done,
                        WorkerPool::Priority priority) {
  auto self = shared_from_this();
  pool.submit([self = std::move(self), work = std::move(work), done = std::move(done)]() mutable {
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("offloaded work for {} failed: {}", self->peer_address_, e.what());
    }
    // The last reference must be dropped on the loop thread, so the
    // session is never destroyed on a worker.
    EventLoop* loop = self->loop_;
    loop->post([self = std::move(self), done = std::move(done)] {
      if (self->closed_ || !done) return;
      try {
        done();
      } catch (const std::exception& e) {
        spdlog::error("session error from {}: {}", self->peer_address_, e.what());
        self->shutdown_now();
      }
    });
  }, priority);
}

void Connection::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::weak_ptr<Connection> w = shared_from_this();
  loop_->add_timer(delay, [w, fn = std::move(fn)] {
    auto c = w.lock();
    if (!c || c->closed_) return;
    try {
      fn();
    } catch (const std::exception& e) {
      c->shutdown_now();
    }
  });
}

std::function<void(std::function<void()>)> Connection::poster() {
  std::weak_ptr<Connection> w = shared_from_this();
  EventLoop* loop = loop_;
  return [w, loop](std::function<void()> fn) {
    loop->post([w, fn = std::move(fn)] {
      auto c = w.lock();
      if (!c || c->closed_) return;
      try {
        fn();
      } catch (const std::exception& e) {
        c->shutdown_now();
      }
    });
  };
}

}  // namespace loft::net

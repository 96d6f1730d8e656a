// One client connection: socket, optional TLS (OpenSSL over memory BIOs, so
// the socket I/O stays ours and non-blocking), buffers, timers, and the
// protocol session it drives. Implements SessionHost.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/event_loop.h"
#include "net/session.h"
#include "net/tls.h"
#include "net/worker_pool.h"

namespace loft::net {

class ConnectionTracker;

class Connection : public SessionHost, public std::enable_shared_from_this<Connection> {
 public:
  struct Params {
    EventLoop* loop;
    WorkerPool* workers;
    WorkerPool* auth_workers = nullptr;  // offload_auth(); null: `workers`
    int fd;
    std::string peer_address;
    bool peer_loopback;
    std::shared_ptr<TlsContext> tls;  // for implicit TLS or STARTTLS; may be null
    bool implicit_tls;
    std::function<void(Connection*)> on_destroyed;  // bookkeeping by the server
  };

  explicit Connection(Params p);
  ~Connection() override;

  // Starts the session (after the handshake for implicit TLS).
  void start(const SessionFactory& factory);
  // Closes at once (server shutdown), without waiting for output.
  void abort();

  // SessionHost
  void write(std::string_view data) override;
  size_t output_pending() const override { return out_.size() - out_pos_; }
  bool tls_available() const override { return tls_ctx_ != nullptr; }
  void start_tls(std::function<void()> done) override;
  bool is_tls() const override { return ssl_ != nullptr; }
  const std::string& peer_address() const override { return peer_address_; }
  bool is_loopback() const override { return peer_loopback_; }
  void pause_input(bool paused) override;
  void close() override;
  void set_idle_timeout(std::chrono::milliseconds timeout) override;
  void offload(std::function<void()> work, std::function<void()> done) override;
  void offload_read(std::function<void()> work, std::function<void()> done) override;
  void offload_auth(std::function<void()> work, std::function<void()> done) override;
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  std::function<void(std::function<void()>)> poster() override;

 private:
  void run_on(WorkerPool& pool, std::function<void()> work, std::function<void()> done,
              WorkerPool::Priority priority = WorkerPool::Priority::kNormal);
  static constexpr size_t kReadChunk = 64 * 1024;
  static constexpr size_t kMaxInput = 1024 * 1024;  // stop reading above this
  static constexpr size_t kLowWater = 64 * 1024;
  static constexpr size_t kProgressOctets = 1024;  // input that re-arms the idle timer without a line end

  void on_events(uint32_t events);
  void handle_readable();
  void handle_writable();
  void feed_tls(const char* data, size_t len);
  void pump_tls_output();
  void tls_handshake_step();
  void deliver_input();
  void schedule_input();
  void flush();
  // Output waits for the end of the loop's round (EventLoop::defer), unless
  // kLowWater or more is pending: one send for all a round wrote.
  void schedule_flush();
  void update_interest();
  void shutdown_now();
  void arm_idle_timer();
  void note_input(const char* data, size_t len);

  EventLoop* loop_;
  WorkerPool* workers_;
  WorkerPool* auth_workers_;
  int fd_;
  std::string peer_address_;
  bool peer_loopback_;
  std::shared_ptr<TlsContext> tls_ctx_;
  bool implicit_tls_;
  std::function<void(Connection*)> on_destroyed_;

  std::unique_ptr<Session> session_;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // ciphertext from the peer, owned by ssl_
  BIO* wbio_ = nullptr;  // ciphertext to the peer, owned by ssl_
  bool handshaking_ = false;
  std::function<void()> tls_done_;

  std::string in_;         // plaintext input not yet consumed by the session
  std::string out_;        // bytes for the socket (ciphertext under TLS)
  size_t out_pos_ = 0;
  bool paused_ = false;
  bool input_scheduled_ = false;
  bool closing_ = false;   // close() asked: flush, then shut down
  bool closed_ = false;    // socket gone
  bool started_ = false;
  bool delivering_ = false;
  bool peer_eof_ = false;       // peer closed its side (or the socket failed)
  bool discard_input_ = false;  // STARTTLS asked during on_input
  bool above_low_water_ = false;
  bool flush_scheduled_ = false;
  uint32_t interest_ = 0;

  std::chrono::milliseconds idle_timeout_{0};
  EventLoop::Clock::time_point last_input_{};
  size_t progress_octets_ = 0;  // plaintext input since last_input_ moved, without a line end
  EventLoop::TimerId idle_timer_ = 0;
  SessionFactory factory_;
};

}  // namespace loft::net

// The serving process's network side: listeners, connection bookkeeping and
// limits, signals, the notify datagram socket, graceful shutdown.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/connection.h"
#include "net/event_loop.h"
#include "net/session.h"
#include "net/tls.h"
#include "net/worker_pool.h"

namespace loft::net {

struct ListenerSpec {
  std::string name;      // "imap", "pop3s", ... for logs
  std::string address;   // "127.0.0.1:1110", "[::1]:1110", "*:110"
  bool implicit_tls = false;
  SessionFactory factory;
};

struct Limits {
  size_t max_connections = 1000;
  size_t max_connections_per_ip = 100;
};

// Parses "host:port" / "[v6]:port" / "*:port"; throws std::invalid_argument.
std::pair<std::string, uint16_t> parse_address(const std::string& address);

class Server {
 public:
  explicit Server(size_t worker_threads);
  ~Server();

  // Binds now (so that privileges can be dropped afterwards); throws
  // std::runtime_error with a one-line reason. Connections are accepted
  // only after start_listening(), so none arrives before the process is
  // ready (privileges dropped, store open).
  void listen(ListenerSpec spec);
  void start_listening();
  // Binds a unix datagram socket; each datagram received is handed to fn on
  // the loop thread.
  void watch_datagrams(const std::filesystem::path& path, std::function<void(std::string_view)> fn);
  void set_tls(std::shared_ptr<TlsContext> tls) { tls_ = std::move(tls); }
  void set_limits(Limits limits) { limits_ = limits; }

  EventLoop& loop() { return loop_; }
  WorkerPool& workers() { return workers_; }
  size_t connection_count() const { return connections_.size(); }

  // Serves until SIGTERM/SIGINT; SIGHUP calls on_reload on the loop thread.
  // Call block_signals() before any thread is started.
  static void block_signals();
  void run(std::function<void()> on_reload);

 private:
  struct Listener {
    ListenerSpec spec;
    int fd = -1;
    bool listening = false;
  };
  void accept_ready(Listener& l);
  void begin_shutdown();
  void shutdown_step();

  EventLoop loop_;
  WorkerPool workers_;
  // Password checks only (Connection::offload_auth): as many threads as
  // cores, the most argon2id can use at once (auth/password_hash.cc).
  WorkerPool auth_workers_;
  std::shared_ptr<TlsContext> tls_;
  Limits limits_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::string, size_t> per_ip_;
  int dgram_fd_ = -1;
  std::filesystem::path dgram_path_;
  bool shutting_down_ = false;
  enum class ShutdownPhase { kDrainWork, kCloseConnections, kWaitClosed, kDone };
  ShutdownPhase shutdown_phase_ = ShutdownPhase::kDrainWork;
  EventLoop::Clock::time_point shutdown_deadline_{};
};

}  // namespace loft::net

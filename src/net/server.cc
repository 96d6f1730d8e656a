#include "net/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace loft::net {
namespace {

bool is_loopback(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

std::string address_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof buf);
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    }
  }
  return buf;
}

}  // namespace

std::pair<std::string, uint16_t> parse_address(const std::string& address) {
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      throw std::invalid_argument("bad listen address '" + address + "' (expected [v6addr]:port)");
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon)
      throw std::invalid_argument("bad listen address '" + address + "' (expected host:port)");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("bad listen address '" + address + "' (expected host:port)");
  unsigned long p = std::stoul(port);
  if (p > 65535) throw std::invalid_argument("bad port in listen address '" + address + "'");
  if (host == "*") host = "0.0.0.0";
  return {host, static_cast<uint16_t>(p)};
}

Server::Server(size_t worker_threads)
    : workers_(worker_threads),
      auth_workers_(std::max(2u, std::thread::hardware_concurrency()), WorkerPool::kDefaultMaxBypass, "loft-auth") {}

Server::~Server() {
  for (auto& l : listeners_)
    if (l->fd >= 0) ::close(l->fd);
  if (dgram_fd_ >= 0) {
    ::close(dgram_fd_);
    std::error_code ec;
    std::filesystem::remove(dgram_path_, ec);
  }
}

void Server::listen(ListenerSpec spec) {
  auto [host, port] = parse_address(spec.address);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port_text = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("cannot resolve listen address " + spec.address + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot listen on " + spec.address + " (" + spec.name + "): " + strerror(e));
  }
  auto l = std::make_unique<Listener>();
  l->spec = std::move(spec);
  l->fd = fd;
  listeners_.push_back(std::move(l));
}

void Server::start_listening() {
  for (auto& l : listeners_) {
    if (l->fd < 0 || l->listening) continue;
    if (::listen(l->fd, 1024) != 0)
      throw std::runtime_error("cannot listen on " + l->spec.address + " (" + l->spec.name + "): " + strerror(errno));
    l->listening = true;
    Listener* raw = l.get();
    loop_.add(l->fd, EPOLLIN, [this, raw](uint32_t) { accept_ready(*raw); });
    spdlog::info("listening for {} on {}", raw->spec.name, raw->spec.address);
  }
}

void Server::accept_ready(Listener& l) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = ::accept4(l.fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) spdlog::warn("accept on {}: {}", l.spec.address, strerror(errno));
      return;
    }
    std::string ip = address_text(ss);
    if (shutting_down_ || connections_.size() >= limits_.max_connections ||
        per_ip_[ip] >= limits_.max_connections_per_ip) {
      spdlog::warn("refusing {} connection from {}: connection limit", l.spec.name, ip);
      if (per_ip_[ip] == 0) per_ip_.erase(ip);
      ::close(fd);
      continue;
    }
    if (l.spec.implicit_tls && !tls_) {
      ::close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++per_ip_[ip];
    Connection::Params p;
    p.loop = &loop_;
    p.workers = &workers_;
    p.auth_workers = &auth_workers_;
    p.fd = fd;
    p.peer_address = ip;
    p.peer_loopback = is_loopback(ss);
    p.tls = tls_;
    p.implicit_tls = l.spec.implicit_tls;
    p.on_destroyed = [this, ip](Connection* c) {
      // Deferred: the connection may still be on the call stack.
      loop_.post([this, c, ip] {
        connections_.erase(c);
        if (--per_ip_[ip] == 0) per_ip_.erase(ip);
      });
    };
    auto conn = std::make_shared<Connection>(std::move(p));
    connections_[conn.get()] = conn;
    spdlog::debug("{} connection from {}", l.spec.name, ip);
    conn->start(l.spec.factory);
  }
}

void Server::watch_datagrams(const std::filesystem::path& path, std::function<void(std::string_view)> fn) {
  sockaddr_un sun{};
  if (path.string().size() >= sizeof sun.sun_path)
    throw std::runtime_error("notify socket path too long: " + path.string());
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::filesystem::remove(path, ec);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(strerror(errno)));
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot bind " + path.string() + ": " + strerror(e));
  }
  // Writers are other processes of the data directory's owner; the
  // directory (0700) already keeps everyone else out.
  chmod(path.c_str(), 0666);
  dgram_fd_ = fd;
  dgram_path_ = path;
  loop_.add(fd, EPOLLIN, [this, fn = std::move(fn)](uint32_t) {
    char buf[2048];
    for (int i = 0; i < 256; ++i) {
      ssize_t n = ::recv(dgram_fd_, buf, sizeof buf, 0);
      if (n < 0) return;
      fn(std::string_view(buf, static_cast<size_t>(n)));
    }
  });
}

void Server::block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void Server::run(std::function<void()> on_reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) throw std::runtime_error("signalfd: " + std::string(strerror(errno)));
  loop_.add(sfd, EPOLLIN, [this, sfd, &on_reload](uint32_t) {
    signalfd_siginfo si;
    while (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGHUP) {
        spdlog::info("SIGHUP: reloading configuration");
        if (on_reload) on_reload();
      } else if (!shutting_down_) {
        spdlog::info("signal {}: shutting down", si.ssi_signo == SIGTERM ? "TERM" : "INT");
        begin_shutdown();
      }
    }
  });
  loop_.run();
  loop_.remove(sfd);
  ::close(sfd);
}

void Server::begin_shutdown() {
  shutting_down_ = true;
  for (auto& l : listeners_) {
    if (l->listening) loop_.remove(l->fd);
    ::close(l->fd);
    l->fd = -1;
  }
  // Let work in flight (deliveries being fsync'ed, POP3 QUIT updates) finish
  // and its replies be written, then close everything.
  shutdown_deadline_ = EventLoop::Clock::now() + std::chrono::seconds(30);
  shutdown_step();
}

// Shutdown, step by step on timers: wait for the workers (up to 30 s),
// give the last `done` callbacks one loop turn, close every connection once
// its output is flushed, and abort what is still open after two seconds.
void Server::shutdown_step() {
  auto now = EventLoop::Clock::now();
  switch (shutdown_phase_) {
    case ShutdownPhase::kDrainWork:
      if ((workers_.busy() > 0 || auth_workers_.busy() > 0) && now < shutdown_deadline_) break;
      shutdown_phase_ = ShutdownPhase::kCloseConnections;
      loop_.post([this] { shutdown_step(); });
      return;
    case ShutdownPhase::kCloseConnections: {
      std::vector<std::shared_ptr<Connection>> all;
      for (auto& [_, c] : connections_) all.push_back(c);
      for (auto& c : all) c->close();
      shutdown_phase_ = ShutdownPhase::kWaitClosed;
      shutdown_deadline_ = now + std::chrono::seconds(2);
      break;
    }
    case ShutdownPhase::kWaitClosed: {
      if (!connections_.empty() && now < shutdown_deadline_) break;
      std::vector<std::shared_ptr<Connection>> rest;
      for (auto& [_, c] : connections_) rest.push_back(c);
      for (auto& c : rest) c->abort();
      shutdown_phase_ = ShutdownPhase::kDone;
      // Let the connections' deferred bookkeeping run before stopping.
      loop_.post([this] { loop_.stop(); });
      return;
    }
    case ShutdownPhase::kDone:
      return;
  }
  loop_.add_timer(std::chrono::milliseconds(20), [this] { shutdown_step(); });
}

}  // namespace loft::net

// The contract between the network layer and a protocol session.
//
// A protocol session (POP3, LMTP, IMAP) is a state machine driven by the
// event loop through this interface: it is told of input, it writes output,
// and it hands anything that may block (store, password hashing) to
// SessionHost::offload. All Session methods and all `done` callbacks run on
// the event-loop thread, so a session needs no locks of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace loft::net {

class SessionHost {
 public:
  virtual ~SessionHost() = default;

  // Queues bytes for the client (encrypted when TLS is on).
  virtual void write(std::string_view data) = 0;
  // Bytes queued and not yet sent; streaming sessions keep it bounded and
  // continue from Session::on_output_drained().
  virtual size_t output_pending() const = 0;

  // STARTTLS / STLS: flushes queued output, discards every input byte
  // received so far (commands pipelined behind STARTTLS are never run),
  // performs the server handshake, then calls done(true) on success. On
  // failure the connection is closed and done is not called.
  virtual bool tls_available() const = 0;
  virtual void start_tls(std::function<void()> done) = 0;
  virtual bool is_tls() const = 0;

  // The peer: its address as text ("127.0.0.1", "::1") and whether it is a
  // loopback address (plaintext logins are allowed there by default).
  virtual const std::string& peer_address() const = 0;
  virtual bool is_loopback() const = 0;

  // Stops delivering input to Session::on_input until resumed; used while a
  // command is in progress so that pipelined commands wait their turn.
  virtual void pause_input(bool paused) = 0;

  // Closes the connection once queued output is flushed. No further input
  // is delivered.
  virtual void close() = 0;

  // Calls Session::on_timeout when no input arrived for this long
  // (0 disables). Re-armed by input that ends a line or brings at least
  // 1 KiB: bytes trickled into a line do not keep a connection open.
  virtual void set_idle_timeout(std::chrono::milliseconds timeout) = 0;

  // Runs `work` on a worker thread, then `done` on the event loop. If the
  // connection closed meanwhile, `done` is dropped; the session object is
  // kept alive until `work` has returned, so `work` may use it.
  virtual void offload(std::function<void()> work, std::function<void()> done) = 0;

  // offload() for short reads a client waits on (work that rarely takes a
  // write lock or waits for the disk): run before queued offload() work,
  // which waits at most WorkerPool::kDefaultMaxBypass for them.
  virtual void offload_read(std::function<void()> work, std::function<void()> done) {
    offload(std::move(work), std::move(done));
  }

  // offload() for password checks (argon2id: tens of milliseconds of CPU
  // each): on workers of their own, so that a burst of logins never holds
  // up the store work of sessions already logged in behind it.
  virtual void offload_auth(std::function<void()> work, std::function<void()> done) {
    offload(std::move(work), std::move(done));
  }

  // Runs fn on the event loop after a delay; dropped if the connection closed.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  // A thread-safe way to run fn on the event loop later (for change-feed
  // callbacks that fire on other threads). Dropped if the connection closed.
  virtual std::function<void(std::function<void()>)> poster() = 0;
};

class Session {
 public:
  virtual ~Session() = default;
  // The connection is up (after the implicit TLS handshake, for POP3S/IMAPS):
  // send the greeting.
  virtual void on_open() = 0;
  // New input is in `buffer`. Consume what can be handled from its front
  // (erase it) and leave any incomplete line in place. The session bounds
  // the line length itself: the host stops reading from the socket while
  // the buffer holds more than 1 MiB, and calls on_input again as it grows.
  virtual void on_input(std::string& buffer) = 0;
  // Queued output fell below the low-water mark (for streaming large data).
  virtual void on_output_drained() {}
  // No input for the idle timeout.
  virtual void on_timeout() = 0;
  // The connection is gone (peer closed, error, or after close()).
  virtual void on_close() {}
};

// Makes a session for a new connection on a listener.
using SessionFactory = std::function<std::unique_ptr<Session>(SessionHost& host)>;

}  // namespace loft::net

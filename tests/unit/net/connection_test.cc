// The network layer over real sockets: line sessions, pipelining with
// offloaded work, STARTTLS (and that pipelined plaintext is discarded),
// implicit TLS, flow control of large output, idle timeouts.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "net/server.h"
#include "net/tls.h"

namespace loft::net {
namespace {

class TestSession : public Session {
 public:
  explicit TestSession(SessionHost& host) : host_(host) {}
  void on_open() override { host_.write("hello\r\n"); }
  void on_input(std::string& buffer) override {
    size_t eol;
    while ((eol = buffer.find("\r\n")) != std::string::npos) {
      std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 2);
      if (line == "STARTTLS") {
        host_.write("OK begin\r\n");
        host_.start_tls([this] { host_.write(host_.is_tls() ? "tls-on\r\n" : "tls-off\r\n"); });
        return;
      }
      if (line.rfind("SLOW ", 0) == 0) {
        // Pipelined commands must wait for this one.
        host_.pause_input(true);
        host_.offload([] { std::this_thread::sleep_for(std::chrono::milliseconds(30)); },
                      [this, line] {
                        host_.write("done " + line.substr(5) + "\r\n");
                        host_.pause_input(false);
                      });
        return;
      }
      if (line.rfind("HASH ", 0) == 0) {
        // A password check that takes this many milliseconds.
        host_.pause_input(true);
        auto ms = std::chrono::milliseconds(std::stoul(line.substr(5)));
        host_.offload_auth([ms] { std::this_thread::sleep_for(ms); },
                           [this] {
                             host_.write("hashed\r\n");
                             host_.pause_input(false);
                           });
        return;
      }
      if (line.rfind("BIG ", 0) == 0) {
        big_left_ = std::stoul(line.substr(4));
        max_pending_ = 0;
        pump();
        return;
      }
      if (line == "TWO") {
        // What one round writes goes out together at its end: right after
        // the first write, its bytes are still pending.
        host_.write("one\r\n");
        host_.write("two " + std::to_string(host_.output_pending()) + "\r\n");
        continue;
      }
      if (line == "PENDING") {
        host_.write("max-pending " + std::to_string(max_pending_) + "\r\n");
        continue;
      }
      if (line == "IDLE" || line.rfind("IDLE ", 0) == 0) {
        host_.set_idle_timeout(std::chrono::milliseconds(line == "IDLE" ? 200 : std::stoul(line.substr(5))));
        host_.write("idle set\r\n");
        continue;
      }
      if (line == "QUIT") {
        host_.write("bye\r\n");
        host_.close();
        return;
      }
      host_.write("echo " + line + "\r\n");
    }
  }
  void on_output_drained() override { pump(); }
  void on_timeout() override {
    host_.write("timeout\r\n");
    host_.close();
  }

 private:
  // Streams big_left_ bytes, never queueing more than ~256 KiB.
  void pump() {
    while (big_left_ > 0 && host_.output_pending() < 256 * 1024) {
      size_t n = std::min<size_t>(big_left_, 32 * 1024);
      host_.write(std::string(n, 'x'));
      big_left_ -= n;
      max_pending_ = std::max(max_pending_, host_.output_pending());
    }
  }
  SessionHost& host_;
  size_t big_left_ = 0;
  size_t max_pending_ = 0;
};

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("loft-net-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    ensure_self_signed(dir_ / "cert.pem", dir_ / "key.pem", "test.example");
    server_ = std::make_unique<Server>(2);
    server_->set_tls(TlsContext::load(dir_ / "cert.pem", dir_ / "key.pem"));
    plain_port_ = listen_on(false);
    tls_port_ = listen_on(true);
    thread_ = std::thread([this] { server_->loop().run(); });
  }
  void TearDown() override {
    server_->loop().stop();
    thread_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  uint16_t listen_on(bool tls) {
    // Find a free port by binding port 0 first.
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
    uint16_t port = ntohs(a.sin_port);
    close(probe);
    ListenerSpec spec;
    spec.name = tls ? "test-tls" : "test";
    spec.address = "127.0.0.1:" + std::to_string(port);
    spec.implicit_tls = tls;
    spec.factory = [](SessionHost& h) { return std::make_unique<TestSession>(h); };
    server_->listen(spec);
    server_->start_listening();
    return port;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  uint16_t plain_port_ = 0, tls_port_ = 0;
};

// A blocking test client, optionally upgraded to TLS.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(0, connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a));
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    close(fd_);
  }
  bool start_tls() {
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }
  void send(const std::string& s) {
    if (ssl_) {
      SSL_write(ssl_, s.data(), static_cast<int>(s.size()));
    } else {
      ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
    }
  }
  // Reads one CRLF-terminated line (without CRLF); "" on EOF/timeout.
  std::string line() {
    while (true) {
      auto eol = buf_.find("\r\n");
      if (eol != std::string::npos) {
        std::string l = buf_.substr(0, eol);
        buf_.erase(0, eol + 2);
        return l;
      }
      if (!fill()) return "";
    }
  }
  // Reads exactly n bytes.
  std::string bytes(size_t n) {
    while (buf_.size() < n)
      if (!fill()) break;
    std::string out = buf_.substr(0, n);
    buf_.erase(0, out.size());
    return out;
  }
  bool at_eof() { return buf_.empty() && !fill(); }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // Whether the server sent something not yet read (without waiting).
  bool has_input() {
    char c;
    return !buf_.empty() || recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
  }

 private:
  bool fill() {
    char tmp[65536];
    int n = ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : static_cast<int>(recv(fd_, tmp, sizeof tmp, 0));
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

TEST_F(NetTest, EchoesLinesSplitAcrossPackets) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("ab");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.send("c\r\nde");
  c.send("f\r\n");
  EXPECT_EQ(c.line(), "echo abc");
  EXPECT_EQ(c.line(), "echo def");
}

TEST_F(NetTest, PipelinedCommandsWaitForOffloadedWork) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("SLOW 1\r\nA\r\nSLOW 2\r\nB\r\n");
  EXPECT_EQ(c.line(), "done 1");
  EXPECT_EQ(c.line(), "echo A");
  EXPECT_EQ(c.line(), "done 2");
  EXPECT_EQ(c.line(), "echo B");
}

// Password checks run on workers of their own: with every one of them busy
// hashing, the store work of other sessions goes on (the server has 2
// store workers here and max(2, cores) for passwords).
TEST_F(NetTest, PasswordChecksNeverHoldUpOtherSessionsWork) {
  std::vector<std::unique_ptr<Client>> hashing;
  for (int i = 0; i < 6; ++i) {
    hashing.push_back(std::make_unique<Client>(plain_port_));
    EXPECT_EQ(hashing.back()->line(), "hello");
    hashing.back()->send("HASH 1500\r\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  auto t0 = std::chrono::steady_clock::now();
  c.send("SLOW 1\r\nSLOW 2\r\n");
  EXPECT_EQ(c.line(), "done 1");
  EXPECT_EQ(c.line(), "done 2");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
  for (auto& h : hashing) EXPECT_EQ(h->line(), "hashed");
}

TEST_F(NetTest, StartTlsDiscardsPipelinedPlaintext) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  // "INJECTED" arrives in the same packet as STARTTLS: it must never run.
  c.send("STARTTLS\r\nINJECTED\r\n");
  EXPECT_EQ(c.line(), "OK begin");
  ASSERT_TRUE(c.start_tls());
  EXPECT_EQ(c.line(), "tls-on");
  c.send("after\r\n");
  EXPECT_EQ(c.line(), "echo after");
}

TEST_F(NetTest, ImplicitTlsGreetsAfterHandshake) {
  Client c(tls_port_);
  ASSERT_TRUE(c.start_tls());
  EXPECT_EQ(c.line(), "hello");
  c.send("x\r\n");
  EXPECT_EQ(c.line(), "echo x");
}

TEST_F(NetTest, PlaintextOnTlsPortIsDropped) {
  Client c(tls_port_);
  c.send("GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(c.at_eof());
}

TEST_F(NetTest, LargeOutputIsFlowControlled) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  const size_t total = 20 * 1024 * 1024;
  c.send("BIG " + std::to_string(total) + "\r\n");
  std::string got = c.bytes(total);
  ASSERT_EQ(got.size(), total);
  EXPECT_EQ(got.find_first_not_of('x'), std::string::npos);
  c.send("PENDING\r\n");
  std::string l = c.line();
  ASSERT_EQ(l.rfind("max-pending ", 0), 0u) << l;
  // The session never queued much more than its 256 KiB window.
  EXPECT_LT(std::stoul(l.substr(12)), 512u * 1024);
}

TEST_F(NetTest, LargeOutputOverTls) {
  Client c(tls_port_);
  ASSERT_TRUE(c.start_tls());
  EXPECT_EQ(c.line(), "hello");
  const size_t total = 5 * 1024 * 1024;
  c.send("BIG " + std::to_string(total) + "\r\n");
  std::string got = c.bytes(total);
  ASSERT_EQ(got.size(), total);
  EXPECT_EQ(got.find_first_not_of('x'), std::string::npos);
}

TEST_F(NetTest, IdleTimeoutClosesAfterSilence) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("IDLE\r\n");
  EXPECT_EQ(c.line(), "idle set");
  EXPECT_EQ(c.line(), "timeout");
  EXPECT_TRUE(c.at_eof());
}

// Slow-loris: bytes trickled into a line are no progress; the idle timeout
// (200 ms here) closes the connection as if it were silent.
TEST_F(NetTest, TrickledBytesDoNotPostponeTheIdleTimeout) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("IDLE\r\n");
  EXPECT_EQ(c.line(), "idle set");
  int sent = 0;
  for (; sent < 40 && !c.has_input(); ++sent) {  // one byte every 50 ms, for up to 2 s
    c.send("x");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_LT(sent, 30) << "the trickle kept the connection open";
  EXPECT_EQ(c.line(), "timeout");
  EXPECT_TRUE(c.at_eof());
}

// Complete lines (commands) and bulk data (literals) keep it open.
TEST_F(NetTest, LinesAndBulkDataPostponeTheIdleTimeout) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("IDLE 600\r\n");
  EXPECT_EQ(c.line(), "idle set");
  for (int i = 0; i < 6; ++i) {  // 900 ms in all, longer than the idle timeout
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    c.send("n" + std::to_string(i) + "\r\n");
    EXPECT_EQ(c.line(), "echo n" + std::to_string(i));
  }
  for (int i = 0; i < 6; ++i) {  // 2 KiB without a line end every 150 ms
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    c.send(std::string(2048, 'y'));
  }
  c.send("\r\n");
  EXPECT_EQ(c.line(), "echo " + std::string(6 * 2048, 'y'));
}

TEST_F(NetTest, OutputOfOneRoundIsSentTogetherAtItsEnd) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("TWO\r\nA\r\n");
  EXPECT_EQ(c.line(), "one");
  EXPECT_EQ(c.line(), "two 5");  // "one\r\n" not sent yet when "two" was written
  EXPECT_EQ(c.line(), "echo A");
  // Over TLS as well.
  Client t(tls_port_);
  ASSERT_TRUE(t.start_tls());
  EXPECT_EQ(t.line(), "hello");
  t.send("TWO\r\n");
  EXPECT_EQ(t.line(), "one");
  EXPECT_EQ(t.line().rfind("two ", 0), 0u);
}

// A client that sends its last command and hangs up at once still gets the
// answer, though the connection closes in the same round it is written.
TEST_F(NetTest, TheAnswerToTheLastCommandBeforeHangingUpIsSent) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("LAST\r\n");
  c.shutdown_write();
  EXPECT_EQ(c.line(), "echo LAST");
  EXPECT_TRUE(c.at_eof());
}

TEST_F(NetTest, QuitFlushesThenCloses) {
  Client c(plain_port_);
  EXPECT_EQ(c.line(), "hello");
  c.send("QUIT\r\nNEVER\r\n");
  EXPECT_EQ(c.line(), "bye");
  EXPECT_TRUE(c.at_eof());
}

TEST_F(NetTest, ManyConnectionsAtOnce) {
  server_->loop().post([this] { server_->set_limits({1000, 1000}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 200; ++i) clients.push_back(std::make_unique<Client>(plain_port_));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(clients[i]->line(), "hello");
    clients[i]->send("n" + std::to_string(i) + "\r\n");
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(clients[i]->line(), "echo n" + std::to_string(i));
}

TEST_F(NetTest, PerAddressLimitRefusesTheExtraConnection) {
  server_->loop().post([this] { server_->set_limits({1000, 3}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Client a(plain_port_), b(plain_port_), c(plain_port_);
  EXPECT_EQ(a.line(), "hello");
  EXPECT_EQ(b.line(), "hello");
  EXPECT_EQ(c.line(), "hello");
  Client d(plain_port_);
  EXPECT_TRUE(d.at_eof());
  // Others keep working.
  a.send("still\r\n");
  EXPECT_EQ(a.line(), "echo still");
}

TEST(ParseAddress, AcceptsHostPortForms) {
  EXPECT_EQ(parse_address("127.0.0.1:1143"), (std::pair<std::string, uint16_t>{"127.0.0.1", 1143}));
  EXPECT_EQ(parse_address("[::1]:993"), (std::pair<std::string, uint16_t>{"::1", 993}));
  EXPECT_EQ(parse_address("*:110"), (std::pair<std::string, uint16_t>{"0.0.0.0", 110}));
  EXPECT_THROW(parse_address("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parse_address("::1:993"), std::invalid_argument);
  EXPECT_THROW(parse_address("host:99999"), std::invalid_argument);
  EXPECT_THROW(parse_address("host:abc"), std::invalid_argument);
  EXPECT_THROW(parse_address(":110"), std::invalid_argument);
}

}  // namespace
}  // namespace loft::net

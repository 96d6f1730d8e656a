// Abusive clients: commands pipelined without reading the answers, and the
// login deadline that a client trickling input cannot postpone.
#include <gtest/gtest.h>

#include <string>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

using ImapAbuseTest = ImapTest;

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

// 50,000 CAPABILITY commands in one go (700 kB in, 15 MB of answers) from a
// client that reads nothing: the session stops taking commands once 256 KiB
// are queued, and goes on as the client reads, answering every one.
void FloodWithoutReading(Client& c, const std::string& command, const std::string& answer) {
  constexpr size_t kCommands = 50000;
  c.host.take();
  c.host.auto_drain = false;
  std::string flood;
  for (size_t i = 0; i < kCommands; ++i) flood += command;
  c.host.feed(flood);
  EXPECT_TRUE(c.host.paused);
  EXPECT_FALSE(c.host.in.empty());  // the rest waits in the host's buffer
  EXPECT_LT(c.host.max_pending, 300u * 1024);
  std::string all = c.host.take();
  for (int rounds = 0; rounds < 10000 && !(c.host.in.empty() && !c.host.paused); ++rounds) {
    c.host.drain();  // the client reads
    c.host.run();
    all += c.host.take();
  }
  EXPECT_TRUE(c.host.in.empty());
  EXPECT_LT(c.host.max_pending, 300u * 1024);
  EXPECT_EQ(count(all, answer), kCommands);
  EXPECT_FALSE(c.closed());
  c.host.auto_drain = true;
}

TEST_F(ImapAbuseTest, PipelinedFloodBeforeLoginKeepsOutputBounded) {
  auto c = connect();
  FloodWithoutReading(*c, "a CAPABILITY\r\n", "a OK Pre-login capabilities listed");
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
}

TEST_F(ImapAbuseTest, PipelinedFloodAfterLoginKeepsOutputBounded) {
  auto c = login();
  FloodWithoutReading(*c, "a NAMESPACE\r\n", "a OK Namespace completed.\r\n");
  EXPECT_EQ(c->cmd("b NOOP"), "b OK NOOP completed.\r\n");
}

// The login timeout counts from the connection: commands (or bytes trickled
// in, slow-loris) do not postpone it.
TEST_F(ImapAbuseTest, LoginDeadlineCountsFromTheConnection) {
  auto c = connect();
  ASSERT_EQ(c->host.long_timers.size(), 1u);
  EXPECT_EQ(c->host.delays.back(), std::chrono::milliseconds(std::chrono::minutes(1)));
  EXPECT_EQ(c->cmd("a NOOP"), "a OK NOOP completed.\r\n");
  EXPECT_EQ(c->send_raw("b LOGIN alice {10}\r\n"), "+ OK\r\n");
  EXPECT_EQ(c->send_raw("alice"), "");  // in the middle of the literal
  c->host.fire_long_timers();
  c->host.run();
  EXPECT_EQ(c->host.take(), "* BYE Disconnected for inactivity.\r\n");
  EXPECT_TRUE(c->closed());
}

TEST_F(ImapAbuseTest, LoginDeadlineDoesNothingAfterLogin) {
  auto c = login();
  c->host.fire_long_timers();
  c->host.run();
  EXPECT_EQ(c->poll(), "");
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(c->cmd("a NOOP"), "a OK NOOP completed.\r\n");
}

}  // namespace
}  // namespace loft::imap::testing

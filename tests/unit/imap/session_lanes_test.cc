// Which workers a command's trips go to (ImapSession::Lane): reads a client
// waits on take offload_read(), which runs ahead of queued writes; anything
// that may write (STORE, APPEND, EXPUNGE, COPY, a FETCH that sets \Seen)
// stays on offload(), and password checks on offload_auth().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session_test_support.h"

namespace loft::imap::testing {
namespace {

class ImapLaneTest : public ImapTest {
 protected:
  // The lanes of the trips `line` made, in order ("" when none).
  std::string lanes_of(Client& c, const std::string& line) {
    const size_t before = c.host.lanes.size();
    std::string r = c.cmd(line);
    EXPECT_NE(r.find(" OK "), std::string::npos) << line << ":\n" << r;
    return c.host.lanes.substr(before);
  }
};

TEST_F(ImapLaneTest, ReadsTakeTheReadLane) {
  deliver();
  deliver();
  auto c = login();
  EXPECT_EQ(c->host.lanes, "as");  // LOGIN: the password check, then opening the store (may write)
  for (const std::string line : {"s SELECT INBOX", "a FETCH 1:* (FLAGS ENVELOPE)", "b FETCH 1 BODY.PEEK[]", "c UID SEARCH BODY body",
                                 "d STATUS INBOX (MESSAGES)", "e LIST \"\" *", "f NOOP"}) {
    // Each reads at least once, and never on the write lane.
    std::string lanes = lanes_of(*c, line);
    EXPECT_FALSE(lanes.empty()) << line;
    EXPECT_EQ(lanes.find_first_not_of('r'), std::string::npos) << line << ": " << lanes;
  }
}

TEST_F(ImapLaneTest, WritesStayOnTheStoreLane) {
  deliver();
  deliver();
  deliver();
  auto c = select();
  // The command's own trip is the first; a sync step after it may read.
  for (const std::string line : {"a STORE 1 +FLAGS (\\Deleted)", "b FETCH 2 BODY[]", "c COPY 3 INBOX", "d EXPUNGE",
                                 "e CREATE Box", "f SUBSCRIBE Box"}) {
    std::string lanes = lanes_of(*c, line);
    ASSERT_FALSE(lanes.empty()) << line;
    EXPECT_EQ(lanes[0], 's') << line << ": " << lanes;
  }
  c->host.feed("g APPEND INBOX {6}\r\n");
  c->host.run();
  const size_t before = c->host.lanes.size();
  c->host.feed("a\r\nb\r\n\r\n");
  std::string r = c->host.take();
  EXPECT_NE(r.find("g OK [APPENDUID"), std::string::npos) << r;
  ASSERT_GT(c->host.lanes.size(), before);
  EXPECT_EQ(c->host.lanes[before], 's') << c->host.lanes;
}

}  // namespace
}  // namespace loft::imap::testing

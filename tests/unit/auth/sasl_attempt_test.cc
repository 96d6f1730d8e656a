// SaslAttempt (the user an AUTHENTICATE exchange is charged to) and
// Throttle::settle (the outcome recorded, the delay the answer waits).
#include <gtest/gtest.h>

#include "auth/auth.h"
#include "auth_test_util.h"

namespace loft::auth {
namespace {

using std::chrono::milliseconds;

std::string plain(std::string_view authcid, std::string_view password) {
  std::string m;
  m.push_back('\0');
  m += authcid;
  m.push_back('\0');
  m += password;
  return m;
}

class SaslAttemptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = UserDb::open(dir_.path() / "users.db");
    db_->add("alice", "wonderland");
  }
  testing::TempDir dir_;
  std::unique_ptr<UserDb> db_;
};

TEST_F(SaslAttemptTest, SuccessNamesTheAuthenticatedUserLowerCased) {
  SaslAttempt a("PLAIN", make_sasl_server("PLAIN", *db_));
  std::string m = plain("ALICE", "wonderland");
  a.client_message(m);
  ASSERT_EQ(a.server().step(m).state, SaslServer::State::kSuccess);
  EXPECT_EQ(a.user(true), "alice");
}

TEST_F(SaslAttemptTest, FailureIsChargedToTheFirstClaimedName) {
  SaslAttempt a("LOGIN", make_sasl_server("LOGIN", *db_));
  a.client_message("Mallory");  // LOGIN: the first response is the user name
  a.client_message("guess");    // the password never becomes a name
  EXPECT_EQ(a.user(false), "mallory");
  SaslAttempt none("PLAIN", make_sasl_server("PLAIN", *db_));
  EXPECT_EQ(none.user(false), "");
}

TEST(ThrottleSettle, TheAnswerWaitsTheDelayOwedBeforeTheAttemptWhateverItsOutcome) {
  Throttle t;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(t.settle("192.0.2.9", "bob", false), milliseconds(0)) << i;
  // Four failures: the fifth attempt waits, and so would a success.
  milliseconds owed = t.delay("192.0.2.9", "bob");
  EXPECT_GT(owed, milliseconds(0));
  EXPECT_EQ(t.settle("192.0.2.9", "bob", true), owed);
  // The success cleared the counters.
  EXPECT_EQ(t.delay("192.0.2.9", "bob"), milliseconds(0));
}

}  // namespace
}  // namespace loft::auth

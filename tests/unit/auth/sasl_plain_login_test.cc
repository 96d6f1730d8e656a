#include <gtest/gtest.h>

#include "auth/auth.h"
#include "auth_test_util.h"

namespace loft::auth {
namespace {

using State = SaslServer::State;

std::string plain(std::string_view authzid, std::string_view authcid, std::string_view password) {
  std::string m(authzid);
  m.push_back('\0');
  m += authcid;
  m.push_back('\0');
  m += password;
  return m;
}

class SaslTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    db_ = UserDb::open(dir_->path() / "users.db").release();
    db_->add("alice", "wonderland");
    db_->add("bob@example.com", "builder");
  }
  static void TearDownTestSuite() {
    delete db_;
    delete dir_;
  }
  static SaslServer::Step run_plain(std::string_view message) {
    auto server = make_sasl_server("PLAIN", *db_);
    return server->step(message);
  }
  static testing::TempDir* dir_;
  static UserDb* db_;
};
testing::TempDir* SaslTest::dir_ = nullptr;
UserDb* SaslTest::db_ = nullptr;

TEST_F(SaslTest, MechanismRegistry) {
  EXPECT_EQ(sasl_mechanisms(), (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN", "LOGIN"}));
  for (const char* name : {"PLAIN", "plain", "Login", "LOGIN", "scram-sha-256", "SCRAM-SHA-256"}) {
    EXPECT_NE(make_sasl_server(name, *db_), nullptr) << name;
  }
  for (const char* name : {"", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "PLAIN ", "XOAUTH2"}) {
    EXPECT_EQ(make_sasl_server(name, *db_), nullptr) << name;
  }
}

TEST_F(SaslTest, PlainWithInitialResponse) {
  auto server = make_sasl_server("PLAIN", *db_);
  auto step = server->step(plain("", "alice", "wonderland"));
  EXPECT_EQ(step.state, State::kSuccess);
  EXPECT_EQ(server->user(), "alice");
  // The exchange is over.
  EXPECT_EQ(server->step(plain("", "alice", "wonderland")).state, State::kFailure);
}

TEST_F(SaslTest, PlainWithoutInitialResponse) {
  auto server = make_sasl_server("PLAIN", *db_);
  auto first = server->step("");
  EXPECT_EQ(first.state, State::kContinue);
  EXPECT_EQ(first.challenge, "");
  auto second = server->step(plain("", "Bob@Example.com", "builder"));
  EXPECT_EQ(second.state, State::kSuccess);
  EXPECT_EQ(server->user(), "bob@example.com");
}

TEST_F(SaslTest, PlainWrongPasswordAndUnknownUserAreCredentialFailures) {
  for (auto message : {plain("", "alice", "Wonderland"), plain("", "nobody", "wonderland"),
                       plain("", "not valid", "wonderland")}) {
    auto server = make_sasl_server("PLAIN", *db_);
    auto step = server->step(message);
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "credentials");
    EXPECT_EQ(server->user(), "");
  }
}

TEST_F(SaslTest, PlainAuthzidMustBeEmptyOrTheSameUser) {
  EXPECT_EQ(run_plain(plain("alice", "alice", "wonderland")).state, State::kSuccess);
  EXPECT_EQ(run_plain(plain("ALICE", "alice", "wonderland")).state, State::kSuccess);
  auto step = run_plain(plain("bob@example.com", "alice", "wonderland"));
  EXPECT_EQ(step.state, State::kFailure);
  EXPECT_EQ(step.error, "credentials");
}

TEST_F(SaslTest, PlainMalformedMessages) {
  const std::string cases[] = {
      "alice wonderland",
      std::string("alice\0wonderland", 16),
      plain("", "alice", "wonderland") + std::string("\0extra", 6),
      plain("", "", "wonderland"),
      plain("", "alice", ""),
      plain("", "alice", std::string(9000, 'x')),
  };
  for (const auto& message : cases) {
    auto step = run_plain(message);
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "malformed");
  }
  // An empty message after the empty challenge is malformed too.
  auto server = make_sasl_server("PLAIN", *db_);
  EXPECT_EQ(server->step("").state, State::kContinue);
  auto step = server->step("");
  EXPECT_EQ(step.state, State::kFailure);
  EXPECT_EQ(step.error, "malformed");
}

TEST_F(SaslTest, LoginAsksForUserThenPassword) {
  auto server = make_sasl_server("LOGIN", *db_);
  auto s1 = server->step("");
  EXPECT_EQ(s1.state, State::kContinue);
  EXPECT_EQ(s1.challenge, "Username:");
  auto s2 = server->step("Alice");
  EXPECT_EQ(s2.state, State::kContinue);
  EXPECT_EQ(s2.challenge, "Password:");
  auto s3 = server->step("wonderland");
  EXPECT_EQ(s3.state, State::kSuccess);
  EXPECT_EQ(server->user(), "alice");
  EXPECT_EQ(server->step("x").state, State::kFailure);
}

TEST_F(SaslTest, LoginInitialResponseIsTheUserName) {
  auto server = make_sasl_server("LOGIN", *db_);
  auto s1 = server->step("alice");
  EXPECT_EQ(s1.state, State::kContinue);
  EXPECT_EQ(s1.challenge, "Password:");
  EXPECT_EQ(server->step("wonderland").state, State::kSuccess);
  EXPECT_EQ(server->user(), "alice");
}

TEST_F(SaslTest, LoginFailures) {
  {
    auto server = make_sasl_server("LOGIN", *db_);
    server->step("alice");
    auto step = server->step("wrong");
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "credentials");
    EXPECT_EQ(server->user(), "");
  }
  {
    auto server = make_sasl_server("LOGIN", *db_);
    server->step("nobody");
    EXPECT_EQ(server->step("wonderland").error, "credentials");
  }
  {
    auto server = make_sasl_server("LOGIN", *db_);
    server->step("");
    auto step = server->step("");  // empty user name
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "malformed");
  }
  {
    auto server = make_sasl_server("LOGIN", *db_);
    server->step("alice");
    EXPECT_EQ(server->step("").error, "malformed");
  }
  {
    auto server = make_sasl_server("LOGIN", *db_);
    auto step = server->step(std::string(9000, 'a'));
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "malformed");
  }
}

}  // namespace
}  // namespace loft::auth

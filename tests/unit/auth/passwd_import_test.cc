#include <gtest/gtest.h>

#include "auth/auth.h"
#include "auth_test_util.h"

namespace loft::auth {
namespace {

// Hashes of "secret" made independently (openssl passwd, doveadm pw).
constexpr const char* kSha512 =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
constexpr const char* kBlf = "$2y$05$uaB0W.t4sVRLjXKwpi/Q3OXX8nwWwUgz3eL4qmRe2nRRn4wxmpXam";
constexpr const char* kArgon2id =
    "$argon2id$v=19$m=65536,t=3,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+3NGqRTvbdE7aTfcuJjgLLXbs";
constexpr const char* kSha256 = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";

class PasswdImportTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = UserDb::open(dir_.path() / "users.db"); }
  std::filesystem::path write(std::string_view text) {
    auto file = dir_.path() / "passwd";
    testing::write_file(file, text);
    return file;
  }
  std::string import_error(std::string_view text) {
    try {
      db_->import_passwd_file(write(text));
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "(no error)";
  }
  testing::TempDir dir_;
  std::unique_ptr<UserDb> db_;
};

TEST_F(PasswdImportTest, ImportsMixedSchemes) {
  db_->add("alice", "old-password");
  db_->set_apop_secret("alice", "old-password");
  std::string text = std::string("# Dovecot passwd-file\n") +
                     "alice:{PLAIN}wonderland:1000:1000::/home/alice:/bin/false\n"
                     "\n"
                     "bob:{SHA512-CRYPT}" +
                     kSha512 +
                     ":1001:1001::/home/bob::userdb_quota_rule=*:storage=1G\n"
                     "carol:" +
                     kBlf +
                     "\n"
                     "   \n"
                     "dave:{ARGON2ID}" +
                     kArgon2id +
                     "::\n"
                     "Erin@Example.com:{CLEAR}pass word\r\n"
                     "frank:{blf-crypt}" +
                     kBlf +
                     ":\n"
                     "grace:{SHA256-CRYPT}" +
                     kSha256 +
                     "\n"
                     "heidi:{CRYPT}" +
                     kSha512;  // no final newline
  EXPECT_EQ(db_->import_passwd_file(write(text)), 8u);
  EXPECT_EQ(db_->list(), (std::vector<std::string>{"alice", "bob", "carol", "dave", "erin@example.com",
                                                   "frank", "grace", "heidi"}));

  // Plaintext passwords were re-hashed, with SCRAM credentials.
  auto alice = db_->find("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->password_hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u);
  EXPECT_EQ(alice->password_hash.find("wonderland"), std::string::npos);
  EXPECT_TRUE(alice->scram);
  EXPECT_FALSE(alice->apop_secret);  // the import replaced the password
  EXPECT_TRUE(db_->check("alice", "wonderland"));
  EXPECT_FALSE(db_->check("alice", "old-password"));
  EXPECT_TRUE(db_->check("erin@example.com", "pass word"));
  EXPECT_TRUE(db_->find("erin@example.com")->scram);

  // Crypt and argon2 hashes are kept as bare strings, without SCRAM.
  auto bob = db_->find("bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->password_hash, kSha512);
  EXPECT_FALSE(bob->scram);
  EXPECT_EQ(db_->find("carol")->password_hash, kBlf);
  EXPECT_EQ(db_->find("dave")->password_hash, kArgon2id);
  EXPECT_FALSE(db_->find("dave")->scram);
  for (const char* user : {"bob", "carol", "dave", "frank", "grace", "heidi"}) {
    EXPECT_TRUE(db_->check(user, "secret")) << user;
    EXPECT_FALSE(db_->check(user, "wonderland")) << user;
  }
}

TEST_F(PasswdImportTest, ReimportReplacesHashes) {
  db_->import_passwd_file(write("bob:{PLAIN}first\n"));
  EXPECT_TRUE(db_->find("bob")->scram);
  EXPECT_EQ(db_->import_passwd_file(write(std::string("bob:") + kSha512 + "\n")), 1u);
  EXPECT_TRUE(db_->check("bob", "secret"));
  EXPECT_FALSE(db_->check("bob", "first"));
  EXPECT_FALSE(db_->find("bob")->scram);  // stale SCRAM keys for the old password are gone
}

TEST_F(PasswdImportTest, EmptyFileImportsNothing) {
  EXPECT_EQ(db_->import_passwd_file(write("# nothing here\n\n")), 0u);
  EXPECT_TRUE(db_->list().empty());
}

TEST_F(PasswdImportTest, BadLinesThrowWithTheLineNumberAndImportNothing) {
  std::string good = "alice:{PLAIN}wonderland\n# comment\n";
  EXPECT_NE(import_error(good + "bob:{MD5}5ebe2294ecd0e0f08eab7690d2a6ee69\n").find("line 3"),
            std::string::npos);
  EXPECT_TRUE(db_->list().empty());

  EXPECT_NE(import_error(good + "no colon here\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bad name:{PLAIN}x\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + ".dot:{PLAIN}x\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bob::1000\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bob:{PLAIN}\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bob:{PLAIN\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bob:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n").find("line 3"),
            std::string::npos);
  EXPECT_NE(import_error(good + "bob:plaintext-without-scheme\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bob:{SHA512-CRYPT}" + kBlf + "\n").find("line 3"), std::string::npos);
  EXPECT_NE(import_error(good + "bob:{SHA512-CRYPT}$6$saltsalt$tooshort\n").find("line 3"),
            std::string::npos);
  EXPECT_NE(import_error(good + "bob:{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$!!$??\n").find("line 3"),
            std::string::npos);
  EXPECT_NE(import_error(good + "bob:" + std::string(20000, 'x') + "\n").find("line 3"), std::string::npos);
  EXPECT_TRUE(db_->list().empty());
}

TEST_F(PasswdImportTest, MissingFileThrows) {
  EXPECT_THROW(db_->import_passwd_file(dir_.path() / "does-not-exist"), std::runtime_error);
}

}  // namespace
}  // namespace loft::auth

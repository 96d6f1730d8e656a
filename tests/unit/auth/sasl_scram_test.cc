#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <map>

#include "auth/auth.h"
#include "auth_test_util.h"

namespace loft::auth {
namespace {

using State = SaslServer::State;
using testing::b64;
using testing::unb64;

// A SCRAM-SHA-256 client written straight from RFC 5802 with OpenSSL, sharing
// no code with the server.
class ScramClient {
 public:
  ScramClient(std::string user, std::string password, std::string gs2 = "n,,",
              std::string nonce = "fyko+d2lbbFgONRv")
      : user_(std::move(user)),
        password_(std::move(password)),
        gs2_(std::move(gs2)),
        nonce_(std::move(nonce)) {}

  std::string first() {
    bare_ = "n=" + user_ + ",r=" + nonce_;
    return gs2_ + bare_;
  }

  // Parses server-first; returns client-final.
  std::string final(const std::string& server_first) {
    server_first_ = server_first;
    attrs_ = parse(server_first);
    std::string salted(32, '\0');
    std::string salt = unb64(attrs_.at('s'));
    PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                      std::stoi(attrs_.at('i')), EVP_sha256(), 32,
                      reinterpret_cast<unsigned char*>(salted.data()));
    std::string client_key = hmac(salted, "Client Key");
    std::string stored_key = sha(client_key);
    server_key_ = hmac(salted, "Server Key");
    without_proof_ = "c=" + b64(gs2_) + ",r=" + attrs_.at('r');
    auth_message_ = bare_ + "," + server_first_ + "," + without_proof_;
    std::string signature = hmac(stored_key, auth_message_);
    std::string proof(32, '\0');
    for (size_t i = 0; i < 32; ++i) proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
    return without_proof_ + ",p=" + b64(proof);
  }

  std::string expected_server_final() const { return "v=" + b64(hmac(server_key_, auth_message_)); }
  const std::map<char, std::string>& server_attrs() const { return attrs_; }

  static std::map<char, std::string> parse(const std::string& msg) {
    std::map<char, std::string> out;
    size_t start = 0;
    while (start <= msg.size()) {
      size_t comma = msg.find(',', start);
      std::string attr = msg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (attr.size() >= 2 && attr[1] == '=') out[attr[0]] = attr.substr(2);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }

 private:
  static std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }
  static std::string sha(std::string_view data) {
    unsigned char out[32];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<char*>(out), 32);
  }

  std::string user_, password_, gs2_, nonce_;
  std::string bare_, server_first_, without_proof_, auth_message_, server_key_;
  std::map<char, std::string> attrs_;
};

TEST(ScramTestClient, ReproducesRfc7677Example) {
  ScramClient client("user", "pencil", "n,,", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  std::string final =
      client.final("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  EXPECT_EQ(final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_EQ(client.expected_server_final(), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

class ScramTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    db_ = UserDb::open(dir_->path() / "users.db").release();
    db_->add("alice", "wonderland");
    // carol has only a crypt hash ("secret"): no SCRAM credentials.
    testing::write_file(
        dir_->path() / "passwd",
        "carol:{SHA512-CRYPT}$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wi"
        "OQSpT0Y77vwPZN.Pq.H91p5hVO1\n");
    db_->import_passwd_file(dir_->path() / "passwd");
  }
  static void TearDownTestSuite() {
    delete db_;
    delete dir_;
  }

  // Runs a whole exchange; returns the last step.
  static SaslServer::Step exchange(ScramClient& client, SaslServer& server, bool initial_response = true) {
    if (!initial_response) {
      auto s0 = server.step("");
      EXPECT_EQ(s0.state, State::kContinue);
      EXPECT_EQ(s0.challenge, "");
    }
    auto s1 = server.step(client.first());
    if (s1.state != State::kContinue) return s1;
    return server.step(client.final(s1.challenge));
  }

  static SaslServer::Step first_step(std::string_view message) {
    auto server = make_sasl_server("SCRAM-SHA-256", *db_);
    return server->step(message);
  }

  static testing::TempDir* dir_;
  static UserDb* db_;
};
testing::TempDir* ScramTest::dir_ = nullptr;
UserDb* ScramTest::db_ = nullptr;

TEST_F(ScramTest, SuccessfulExchangeWithServerSignature) {
  auto server = make_sasl_server("SCRAM-SHA-256", *db_);
  ScramClient client("alice", "wonderland");
  auto s1 = server->step(client.first());
  ASSERT_EQ(s1.state, State::kContinue);
  auto attrs = ScramClient::parse(s1.challenge);
  // r = client nonce + at least 18 random bytes in base64.
  ASSERT_EQ(attrs['r'].rfind("fyko+d2lbbFgONRv", 0), 0u);
  EXPECT_GE(attrs['r'].size(), 16u + 24u);
  EXPECT_EQ(attrs['r'].find(','), std::string::npos);
  auto rec = db_->find("alice");
  EXPECT_EQ(unb64(attrs['s']), rec->scram->salt);
  EXPECT_EQ(attrs['i'], "4096");

  auto s2 = server->step(client.final(s1.challenge));
  ASSERT_EQ(s2.state, State::kSuccess) << s2.error;
  EXPECT_EQ(s2.challenge, client.expected_server_final());
  EXPECT_EQ(server->user(), "alice");
  EXPECT_EQ(server->step("").state, State::kFailure);  // over
}

TEST_F(ScramTest, ServerNonceIsFreshEachTime) {
  ScramClient client("alice", "wonderland");
  auto a = first_step(client.first());
  auto b = first_step(client.first());
  EXPECT_NE(ScramClient::parse(a.challenge)['r'], ScramClient::parse(b.challenge)['r']);
}

TEST_F(ScramTest, WithoutInitialResponseAndWithUpperCaseName) {
  auto server = make_sasl_server("scram-sha-256", *db_);
  ScramClient client("ALICE", "wonderland");
  auto step = exchange(client, *server, /*initial_response=*/false);
  ASSERT_EQ(step.state, State::kSuccess) << step.error;
  EXPECT_EQ(step.challenge, client.expected_server_final());
  EXPECT_EQ(server->user(), "alice");
}

TEST_F(ScramTest, ClientThatSupportsChannelBindingButWasNotOfferedIt) {
  auto server = make_sasl_server("SCRAM-SHA-256", *db_);
  ScramClient client("alice", "wonderland", "y,,");
  EXPECT_EQ(exchange(client, *server).state, State::kSuccess);
}

TEST_F(ScramTest, AuthzidMustBeEmptyOrTheSameUser) {
  {
    auto server = make_sasl_server("SCRAM-SHA-256", *db_);
    ScramClient client("alice", "wonderland", "n,a=alice,");
    EXPECT_EQ(exchange(client, *server).state, State::kSuccess);
  }
  {
    auto server = make_sasl_server("SCRAM-SHA-256", *db_);
    ScramClient client("alice", "wonderland", "n,a=bob,");
    auto step = exchange(client, *server);
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "credentials");
    EXPECT_EQ(server->user(), "");
  }
}

TEST_F(ScramTest, WrongPasswordFailsWithoutServerSignature) {
  auto server = make_sasl_server("SCRAM-SHA-256", *db_);
  ScramClient client("alice", "Wonderland");
  auto step = exchange(client, *server);
  EXPECT_EQ(step.state, State::kFailure);
  EXPECT_EQ(step.error, "credentials");
  EXPECT_EQ(step.challenge, "");
  EXPECT_EQ(server->user(), "");
}

// Unknown users and users without SCRAM credentials get a server-first message
// shaped like a real one, with a salt that is stable per name.
TEST_F(ScramTest, UnknownUsersLookLikeRealOnes) {
  for (const char* user : {"nobody", "carol", "not=2Cvalid"}) {
    ScramClient client(user, "secret");
    auto a = first_step(client.first());
    auto b = first_step(client.first());
    ASSERT_EQ(a.state, State::kContinue) << user;
    auto attrs_a = ScramClient::parse(a.challenge);
    auto attrs_b = ScramClient::parse(b.challenge);
    EXPECT_EQ(unb64(attrs_a['s']).size(), 16u);
    EXPECT_EQ(attrs_a['s'], attrs_b['s']) << user;
    EXPECT_EQ(attrs_a['i'], "4096");

    auto server = make_sasl_server("SCRAM-SHA-256", *db_);
    auto step = exchange(client, *server);
    EXPECT_EQ(step.state, State::kFailure) << user;
    EXPECT_EQ(step.error, "credentials") << user;
  }
  ScramClient x("nobody", "x"), y("nobody2", "x");
  EXPECT_NE(ScramClient::parse(first_step(x.first()).challenge)['s'],
            ScramClient::parse(first_step(y.first()).challenge)['s']);
  // Case does not change the fake salt either (names are case-insensitive).
  ScramClient upper("NOBODY", "x");
  EXPECT_EQ(ScramClient::parse(first_step(x.first()).challenge)['s'],
            ScramClient::parse(first_step(upper.first()).challenge)['s']);
}

TEST_F(ScramTest, MalformedClientFirstMessages) {
  const std::string cases[] = {
      "garbage",
      "n,,",
      "n,,n=alice",                   // no nonce
      "n,,r=abc,n=alice",             // wrong order
      "n,,n=,r=abc",                  // empty name
      "n,,n=alice,r=",                // empty nonce
      "n,,n=al=ZZice,r=abc",          // bad saslname escape
      "n,,m=ext,n=alice,r=abc",       // mandatory extension
      "p=tls-unique,,n=alice,r=abc",  // channel binding required: not offered
      "x,,n=alice,r=abc",
      "n,b=alice,n=alice,r=abc",  // authzid attribute must be a=
      "n,a=,n=alice,r=abc",
      "n,,n=alice,r=abc,1=x",  // extension must be a letter
      "n,,n=alice,r=ab\x01",   // nonce must be printable
      "n,,n=alice,r=abc" + std::string(9000, 'x'),
  };
  for (const auto& message : cases) {
    auto step = first_step(message);
    EXPECT_EQ(step.state, State::kFailure) << message;
    EXPECT_EQ(step.error, "malformed") << message;
  }
  // Optional extensions after the nonce are allowed.
  EXPECT_EQ(first_step("n,,n=alice,r=abc,x=whatever").state, State::kContinue);
}

TEST_F(ScramTest, MalformedClientFinalMessages) {
  ScramClient client("alice", "wonderland");
  auto good_first = client.first();
  auto mutate = [&](auto fn) {
    auto server = make_sasl_server("SCRAM-SHA-256", *db_);
    auto s1 = server->step(good_first);
    std::string final = client.final(s1.challenge);
    auto step = server->step(fn(final, ScramClient::parse(s1.challenge)['r']));
    return step;
  };
  auto expect_malformed = [&](auto fn) {
    auto step = mutate(fn);
    EXPECT_EQ(step.state, State::kFailure);
    EXPECT_EQ(step.error, "malformed");
  };
  using S = const std::string&;
  // Without proof.
  expect_malformed([](S f, S) { return f.substr(0, f.find(",p=")); });
  // c= does not repeat the gs2 header.
  expect_malformed([](S f, S) { return "c=eSws" + f.substr(f.find(",r=")); });
  // Nonce differs from the one the server sent.
  expect_malformed([](S f, S r) { return "c=biws,r=" + r + "x" + f.substr(f.find(",p=")); });
  // Proof is not base64 / has the wrong length.
  expect_malformed([](S f, S) { return f.substr(0, f.find(",p=")) + ",p=!!!!"; });
  expect_malformed([](S f, S) { return f.substr(0, f.find(",p=")) + ",p=AAAA"; });
  // Attributes out of order.
  expect_malformed([](S f, S r) { return "r=" + r + ",c=biws" + f.substr(f.find(",p=")); });
  // Garbage and oversize.
  expect_malformed([](S, S) { return std::string("\0\0\0", 3); });
  expect_malformed([](S f, S) { return f + std::string(9000, 'x'); });

  // A flipped proof bit is a credentials failure, not a malformed message.
  auto step = mutate([](S f, S) {
    std::string proof = unb64(f.substr(f.find(",p=") + 3));
    proof[0] ^= 1;
    return f.substr(0, f.find(",p=") + 3) + b64(proof);
  });
  EXPECT_EQ(step.state, State::kFailure);
  EXPECT_EQ(step.error, "credentials");
}

}  // namespace
}  // namespace loft::auth

#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "auth/auth.h"
#include "auth/scram_internal.h"
#include "auth_test_util.h"

namespace loft::auth {
namespace {

using testing::b64;
using testing::unb64;

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha(std::string_view data) {
  unsigned char out[32];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return std::string(reinterpret_cast<char*>(out), 32);
}

TEST(ScramCredentials, MatchRfc7677Example) {
  // RFC 7677 section 3: user "user", password "pencil".
  ScramCredentials creds =
      internal::derive_scram_credentials("pencil", unb64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  std::string auth_message =
      "n=user,r=rOprNGfwEbeRWgbNEkqO,"
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  std::string proof = unb64("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  std::string signature = hmac(creds.stored_key, auth_message);
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i) client_key[i] = static_cast<char>(proof[i] ^ signature[i]);
  EXPECT_EQ(sha(client_key), creds.stored_key);
  EXPECT_EQ(b64(hmac(creds.server_key, auth_message)), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(ScramCredentials, MatchDovecotGeneratedCredentials) {
  // doveadm pw -s SCRAM-SHA-256 -p secret:
  // {SCRAM-SHA-256}4096,<salt>,<stored key>,<server key>
  ScramCredentials creds =
      internal::derive_scram_credentials("secret", unb64("o848YxTCf+OwtjPGXZFVlg=="), 4096);
  EXPECT_EQ(b64(creds.stored_key), "jk6wGQs63CshBt8R/KfllyV5FD45/wO8TKMddf1kroQ=");
  EXPECT_EQ(b64(creds.server_key), "oUGAdG10B2EmFsR+k/WDP2woh+5WanF9qCKiILJH4+4=");
  EXPECT_EQ(creds.iterations, 4096u);
}

TEST(ScramCredentials, MakeUsesRandomSaltAndGivenIterations) {
  ScramCredentials a = make_scram_credentials("secret");
  ScramCredentials b = make_scram_credentials("secret", 8192);
  EXPECT_EQ(a.iterations, 4096u);
  EXPECT_EQ(b.iterations, 8192u);
  EXPECT_EQ(a.salt.size(), 16u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_EQ(a.stored_key.size(), 32u);
  EXPECT_EQ(a.server_key.size(), 32u);
  EXPECT_NE(a.stored_key, b.stored_key);
  // Same salt and count give the same keys: they are a function of the password.
  ScramCredentials again = internal::derive_scram_credentials("secret", a.salt, 4096);
  EXPECT_EQ(again.stored_key, a.stored_key);
  EXPECT_EQ(again.server_key, a.server_key);
  EXPECT_THROW(make_scram_credentials("secret", 0), std::invalid_argument);
}

}  // namespace
}  // namespace loft::auth

#include <crypt.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth.h"

namespace loft::auth {
namespace {

// Known-answer vectors made by implementations other than ours / libxcrypt:
// `openssl passwd -6|-5 -salt ...`, Drepper's SHA-crypt specification, and
// Dovecot 2.3's `doveadm pw -s SCHEME -p secret`.
constexpr const char* kOpensslSha512 =
    "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
constexpr const char* kOpensslSha256 = "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA";
constexpr const char* kDrepperSha512 =  // password "Hello world!"
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
constexpr const char* kDovecotBlf = "{BLF-CRYPT}$2y$05$uaB0W.t4sVRLjXKwpi/Q3OXX8nwWwUgz3eL4qmRe2nRRn4wxmpXam";
constexpr const char* kDovecotCryptBlf =
    "{CRYPT}$2y$05$T3nxvttrnHLLcllSXYnk8ucNvT57OnC00YBeO3w6URw6Cun8E2IDq";
constexpr const char* kDovecotArgon2id =
    "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+"
    "3NGqRTvbdE7aTfcuJjgLLXbs";
constexpr const char* kDovecotArgon2i =
    "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$WtaCdsNR+JKCz6QiW8s4oA$WVT9+"
    "vdRZ6yMgi9kjE6goVogcyu0e1OQwF9BpEw8NO0";
constexpr const char* kDovecotSha512 =
    "{SHA512-CRYPT}$6$bOb39SgCF2Ho3b25$EhdL46NHR1DW4i0DCxGFxo2ZmA8mmI."
    "3Joe4tAGGBAJ6RTtyX4P1EyUpLvBNkwI4zaBjQfXnj2JPr78v01"
    "WGZ0";
constexpr const char* kDovecotSha256 =
    "{SHA256-CRYPT}$5$IwbB8kkhJtV98Nta$1yUJ4kkBFjtwGnm1omo8ESeZGCuXKDLzU9BYIcqqcLB";

std::string crypt_with(const char* prefix, const char* password, unsigned long count = 0) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, count, nullptr, 0, setting, sizeof setting) == nullptr) return {};
  crypt_data data{};
  const char* out = crypt_r(password, setting, &data);
  return out && out[0] != '*' ? out : "";
}

TEST(HashPassword, ProducesArgon2idWithTheAgreedParameters) {
  std::string hash = hash_password("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hash;
  EXPECT_NE(hash, hash_password("correct horse"));  // random salt
}

// Checks share a pool of argon2 work areas (at most one per core in use):
// many threads at once, right and wrong passwords, areas reused throughout.
TEST(HashPassword, ConcurrentChecksShareTheWorkAreasCorrectly) {
  const std::string hash = hash_password("correct horse");
  std::atomic<int> right{0}, wrong{0}, mistakes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        const bool good = (t + i) % 2 == 0;
        const bool ok = verify_password(hash, good ? "correct horse" : "battery staple");
        if (ok != good) ++mistakes;
        ++(good ? right : wrong);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mistakes.load(), 0);
  EXPECT_EQ(right.load() + wrong.load(), 24);
}

TEST(HashPassword, RoundTripsAndRejectsWrongPasswords) {
  std::string hash = hash_password("correct horse");
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "correct horsE"));
  EXPECT_FALSE(verify_password(hash, ""));
  EXPECT_FALSE(verify_password(hash, std::string("correct horse\0", 14)));
  EXPECT_TRUE(verify_password("{ARGON2ID}" + hash, "correct horse"));
  EXPECT_TRUE(verify_password("{argon2id}" + hash, "correct horse"));  // scheme names are case-insensitive
  EXPECT_FALSE(verify_password("{ARGON2I}" + hash, "correct horse"));  // scheme does not fit the hash
  EXPECT_FALSE(verify_password("{SHA512-CRYPT}" + hash, "correct horse"));
}

TEST(HashPassword, HandlesBinaryAndLongPasswords) {
  std::string binary("a\0b\xff", 4);
  std::string hash = hash_password(binary);
  EXPECT_TRUE(verify_password(hash, binary));
  EXPECT_FALSE(verify_password(hash, "a"));
  std::string long_password(5000, 'x');
  EXPECT_TRUE(verify_password(hash_password(long_password), long_password));
}

TEST(VerifyPassword, AcceptsIndependentShaCryptVectors) {
  EXPECT_TRUE(verify_password(kOpensslSha512, "secret"));
  EXPECT_FALSE(verify_password(kOpensslSha512, "Secret"));
  EXPECT_TRUE(verify_password(kOpensslSha256, "secret"));
  EXPECT_FALSE(verify_password(kOpensslSha256, "secret "));
  EXPECT_TRUE(verify_password(kDrepperSha512, "Hello world!"));
  EXPECT_TRUE(verify_password(std::string("{SHA512-CRYPT}") + kOpensslSha512, "secret"));
  EXPECT_TRUE(verify_password(std::string("{CRYPT}") + kOpensslSha512, "secret"));
  EXPECT_FALSE(verify_password(std::string("{SHA256-CRYPT}") + kOpensslSha512, "secret"));
}

TEST(VerifyPassword, AcceptsDovecotGeneratedHashes) {
  for (const char* stored :
       {kDovecotBlf, kDovecotCryptBlf, kDovecotArgon2id, kDovecotArgon2i, kDovecotSha512, kDovecotSha256}) {
    EXPECT_TRUE(verify_password(stored, "secret")) << stored;
    EXPECT_FALSE(verify_password(stored, "secreT")) << stored;
    // Without the {SCHEME} prefix the bare hash is recognised too.
    std::string bare = std::string(stored).substr(std::string(stored).find('}') + 1);
    EXPECT_TRUE(verify_password(bare, "secret")) << bare;
  }
}

TEST(VerifyPassword, AcceptsHashesMadeByLibxcrypt) {
  for (const char* prefix : {"$6$", "$5$", "$2b$", "$y$", "$gy$"}) {
    std::string hash = crypt_with(prefix, "pa55:word");
    ASSERT_FALSE(hash.empty()) << prefix;
    EXPECT_TRUE(verify_password(hash, "pa55:word")) << hash;
    EXPECT_FALSE(verify_password(hash, "pa55:wordx")) << hash;
    EXPECT_TRUE(verify_password("{CRYPT}" + hash, "pa55:word")) << hash;
  }
  EXPECT_TRUE(verify_password("{BLF-CRYPT}" + crypt_with("$2b$", "pw"), "pw"));
  EXPECT_TRUE(verify_password("{BLF-CRYPT}" + crypt_with("$2a$", "pw"), "pw"));
  EXPECT_TRUE(verify_password("{BLF-CRYPT}" + crypt_with("$2y$", "pw"), "pw"));
}

TEST(VerifyPassword, RejectsNulInPasswordsForCrypt) {
  // crypt(3) would stop at the NUL and accept "secret\0anything".
  EXPECT_FALSE(verify_password(kOpensslSha512, std::string("secret\0x", 8)));
}

TEST(VerifyPassword, PlainSchemesCompareExactly) {
  EXPECT_TRUE(verify_password("{PLAIN}secret", "secret"));
  EXPECT_TRUE(verify_password("{CLEAR}secret", "secret"));
  EXPECT_TRUE(verify_password("{plain}secret", "secret"));
  EXPECT_FALSE(verify_password("{PLAIN}secret", "secre"));
  EXPECT_FALSE(verify_password("{PLAIN}secret", "secrets"));
  EXPECT_FALSE(verify_password("{PLAIN}secret", "SECRET"));
  EXPECT_TRUE(verify_password("{PLAIN}pass:with}braces{", "pass:with}braces{"));
  // A bare string is never taken as a plaintext password.
  EXPECT_FALSE(verify_password("secret", "secret"));
}

TEST(VerifyPassword, UnknownOrBrokenFormsAreFalse) {
  const char* broken[] = {
      "",
      "garbage",
      "{MD5}5ebe2294ecd0e0f08eab7690d2a6ee69",
      "{SSHA}abcdefgh",
      "{SCRAM-SHA-256}4096,o848YxTCf+OwtjPGXZFVlg==,jk6w,oUGA",
      "{PLAIN",
      "{}secret",
      "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",  // MD5-crypt: not supported
      "$argon2id$",
      "$argon2id$v=19$m=65536,t=3,p=1$",
      "$argon2id$v=19$m=65536,t=3,p=1$tgposaxxHY919MDBgEjF0w$",
      "$argon2id$v=19$m=99999999,t=3,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+3NGqRTvbdE7aTfcuJjgLLXbs",
      "$argon2id$v=19$m=65536,t=100000,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+"
      "3NGqRTvbdE7aTfcuJjgLLXbs",
      "$argon2id$v=19$m=,t=3,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+3NGqRTvbdE7aTfcuJjgLLXbs",
      "$argon2x$v=19$m=65536,t=3,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+3NGqRTvbdE7aTfcuJjgLLXbs",
      "$6$",
      "$6$saltsalt$",
      "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO",
      "$2y$99$uaB0W.t4sVRLjXKwpi/Q3OXX8nwWwUgz3eL4qmRe2nRRn4wxmpXam",
      "$2y$05$short",
      "$y$",
      "$y$j9T$",
      "{CRYPT}$argon2id$v=19$m=65536,t=3,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+"
      "3NGqRTvbdE7aTfcuJjgLLXbs",
  };
  for (const char* stored : broken) EXPECT_FALSE(verify_password(stored, "secret")) << stored;
}

TEST(VerifyPassword, RefusesExcessiveCostsInsteadOfHanging) {
  // Each of these would take minutes (or gigabytes) if computed.
  EXPECT_FALSE(verify_password("$2b$31$uaB0W.t4sVRLjXKwpi/Q3OXX8nwWwUgz3eL4qmRe2nRRn4wxmpXam", "secret"));
  EXPECT_FALSE(
      verify_password("$6$rounds=999999999$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5"
                      "knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1",
                      "secret"));
  EXPECT_FALSE(
      verify_password("$argon2id$v=19$m=4194304,t=1,p=1$tgposaxxHY919MDBgEjF0w$V+QoZUTHyDO8sjRuej+3NGqRT"
                      "vbdE7aTfcuJjgLLXbs",
                      "secret"));
  // Within the bounds, explicit rounds and costs work.
  std::string sha = crypt_with("$5$", "pw", 20000);
  ASSERT_NE(sha.find("rounds=20000$"), std::string::npos) << sha;
  EXPECT_TRUE(verify_password(sha, "pw"));
  std::string blf = crypt_with("$2b$", "pw", 6);
  ASSERT_EQ(blf.rfind("$2b$06$", 0), 0u) << blf;
  EXPECT_TRUE(verify_password(blf, "pw"));
}

TEST(VerifyPassword, SurvivesRandomAndMutatedInput) {
  std::mt19937 rng(1234);
  auto random_string = [&](size_t max_len) {
    std::string s(rng() % max_len, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    return s;
  };
  const char* prefixes[] = {"", "{", "{CRYPT}", "{ARGON2ID}$argon2id$", "$argon2i$v=19$m=8,t=1,p=1$", "{X}"};
  for (int i = 0; i < 1000; ++i) {
    std::string stored = prefixes[rng() % std::size(prefixes)] + random_string(80);
    EXPECT_FALSE(verify_password(stored, "secret")) << i;
  }
  // Damage the checksum part of valid hashes (their cost settings stay intact).
  const std::string valid[] = {kOpensslSha512, kOpensslSha256, kDovecotBlf, kDovecotArgon2i,
                               crypt_with("$y$", "x")};
  for (int i = 0; i < 300; ++i) {
    std::string stored = valid[rng() % std::size(valid)];
    size_t tail = stored.rfind('$') + 1;
    switch (rng() % 3) {
      case 0:
        stored.resize(tail + rng() % (stored.size() - tail));
        break;
      case 1:
        stored[tail + rng() % (stored.size() - tail)] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 2:
        stored += random_string(10) + "x";
        break;
    }
    EXPECT_FALSE(verify_password(stored, "secret")) << stored;
  }
}

}  // namespace
}  // namespace loft::auth

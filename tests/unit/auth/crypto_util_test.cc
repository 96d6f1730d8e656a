#include "auth/crypto_util.h"

#include <gtest/gtest.h>

namespace loft::auth::internal {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\0\xff", 2)), "AP8=");
}

TEST(Base64, DecodesAndStripsPadding) {
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("AP8="), std::string("\0\xff", 2));
}

TEST(Base64, RejectsNonCanonicalInput) {
  EXPECT_FALSE(base64_decode("Zg="));    // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Z==="));   // too much padding
  EXPECT_FALSE(base64_decode("Zm=v"));   // padding in the middle
  EXPECT_FALSE(base64_decode(" Zm9v"));  // whitespace
  EXPECT_FALSE(base64_decode("Zm9v\n"));
  EXPECT_FALSE(base64_decode("Zm9-"));  // url-safe alphabet
}

TEST(Hmac, MatchesRfc4231TestCase2) {
  EXPECT_EQ(base64_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            base64_encode(std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
                                      "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
                                      32)));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(RandomBytes, HasRequestedLengthAndVaries) {
  EXPECT_EQ(random_bytes(18).size(), 18u);
  EXPECT_NE(random_bytes(16), random_bytes(16));
}

TEST(AsciiLower, FoldsOnlyAscii) {
  EXPECT_EQ(ascii_lower("Alice@Example.COM"), "alice@example.com");
  EXPECT_EQ(ascii_lower("\xc3\x84"), "\xc3\x84");
  EXPECT_TRUE(ascii_iequals("PLAIN", "plain"));
  EXPECT_FALSE(ascii_iequals("PLAIN", "plains"));
}

}  // namespace
}  // namespace loft::auth::internal

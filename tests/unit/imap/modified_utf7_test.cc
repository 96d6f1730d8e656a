#include "imap/modified_utf7.h"

#include <gtest/gtest.h>

#include <string>

namespace loft::imap {
namespace {

std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return out;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

// Dovecot's test-imap-utf7.c, test_imap_utf7_by_example.
TEST(ModifiedUtf7, DovecotExamples) {
  struct Case {
    const char* utf8;   // nullptr: no UTF-8 form
    const char* mutf7;  // nullptr: the UTF-8 cannot be encoded
  };
  const Case cases[] = {
      {"&&x&&", "&-&-x&-&-"},
      {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"tiet\xc3\xa4j\xc3\xa4", "tiet&AOQ-j&AOQ-"},
      {"p\xe4\xe4", nullptr},
      {nullptr, "&"},
      {nullptr, "&Jjo"},
      {nullptr, "&Jjo!"},
      {nullptr, "&U,BTFw-&ZeVnLIqe-"},
  };
  for (const Case& c : cases) {
    if (c.utf8) {
      std::optional<std::string> enc = EncodeModifiedUtf7(c.utf8);
      if (c.mutf7) {
        ASSERT_TRUE(enc) << c.utf8;
        EXPECT_EQ(*enc, c.mutf7);
      } else {
        EXPECT_FALSE(enc) << c.utf8;
      }
    }
    if (c.mutf7) {
      std::optional<std::string> dec = DecodeModifiedUtf7(c.mutf7);
      if (c.utf8) {
        ASSERT_TRUE(dec) << c.mutf7;
        EXPECT_EQ(*dec, c.utf8);
      } else {
        EXPECT_FALSE(dec) << c.mutf7;
      }
      EXPECT_EQ(IsValidModifiedUtf7(c.mutf7), c.utf8 != nullptr) << c.mutf7;
    }
  }
}

// test_imap_utf7_ucs4_cases: every code point around the BMP boundary, in
// runs mixed with 'x' and '&', round-trips.
TEST(ModifiedUtf7, RoundTripsAroundTheBmpBoundary) {
  for (uint32_t cp = 0xffff; cp <= 0x10010; ++cp) {
    for (int n = 1; n <= 10; ++n) {
      std::string src;
      for (int j = 0; j < n; ++j) {
        if (j % 3 == 0) src += 'x';
        if (j % 5 == 0) src += '&';
        src += Utf8(cp);
      }
      std::optional<std::string> enc = EncodeModifiedUtf7(src);
      ASSERT_TRUE(enc) << cp;
      std::optional<std::string> dec = DecodeModifiedUtf7(*enc);
      ASSERT_TRUE(dec) << *enc;
      EXPECT_EQ(*dec, src) << cp << " " << n;
    }
  }
}

TEST(ModifiedUtf7, RoundTripsEveryBmpCharacter) {
  for (uint32_t cp = 1; cp < 0x10000; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    std::string src = "a" + Utf8(cp) + "b" + Utf8(cp) + Utf8(cp);
    std::optional<std::string> enc = EncodeModifiedUtf7(src);
    ASSERT_TRUE(enc) << cp;
    for (char c : *enc) {
      ASSERT_TRUE(c >= 0x20 && c < 0x7f) << cp;
    }
    std::optional<std::string> dec = DecodeModifiedUtf7(*enc);
    ASSERT_TRUE(dec) << cp << " " << *enc;
    EXPECT_EQ(*dec, src) << cp;
  }
}

// test_imap_utf7_non_utf16: a single encoded octet, and U+00E4 followed by a
// single octet, are invalid.
TEST(ModifiedUtf7, RejectsOddOctetCounts) {
  for (unsigned i = 0; i <= 255; ++i) {
    std::string s = "&";
    s += kB64[i >> 2];
    s += kB64[(i & 3) << 4];
    s += '-';
    EXPECT_FALSE(IsValidModifiedUtf7(s)) << s;
  }
  for (unsigned i = 0; i <= 255; ++i) {
    std::string s = "&";
    s += kB64[0x00 >> 2];
    s += kB64[((0x00 & 3) << 4) | (0xe4 >> 4)];
    s += kB64[((0xe4 & 0x0f) << 2) | (i >> 6)];
    s += kB64[i & 0x3f];
    EXPECT_FALSE(IsValidModifiedUtf7(s)) << s;
  }
}

// test_imap_utf7_bad_ascii: control characters and DEL never stand for themselves.
TEST(ModifiedUtf7, RejectsControlCharacters) {
  for (unsigned i = 1; i <= 0x7f; ++i) {
    if (i >= 0x20 && i < 0x7f) continue;
    std::string s(1, static_cast<char>(i));
    EXPECT_FALSE(IsValidModifiedUtf7(s)) << i;
    EXPECT_FALSE(DecodeModifiedUtf7(s)) << i;
  }
  EXPECT_FALSE(DecodeModifiedUtf7("a\xc3\xa4"));  // raw 8-bit
}

// test_imap_utf7_unnecessary: an encoded printable character is invalid, and
// every printable character but '&' encodes to itself.
TEST(ModifiedUtf7, RejectsUnnecessaryEncodings) {
  for (unsigned i = 0x20; i < 0x7f; ++i) {
    std::string s = "&";
    s += kB64[0];
    s += kB64[i >> 4];
    s += kB64[(i & 0x0f) << 2];
    s += '-';
    EXPECT_FALSE(IsValidModifiedUtf7(s)) << s;
    if (i == '&') continue;
    std::string plain(1, static_cast<char>(i));
    EXPECT_EQ(EncodeModifiedUtf7(plain), plain);
  }
}

TEST(ModifiedUtf7, MoreMalformedForms) {
  EXPECT_FALSE(DecodeModifiedUtf7("&AAA-"));          // encoded NUL
  EXPECT_FALSE(DecodeModifiedUtf7("&2D0AAQ-"));       // high surrogate + non-surrogate
  EXPECT_EQ(DecodeModifiedUtf7("&2D3cAA-"), "\xf0\x9f\x90\x80");  // a valid pair
  EXPECT_FALSE(DecodeModifiedUtf7("&2D0-"));          // lone high surrogate
  EXPECT_FALSE(DecodeModifiedUtf7("&3AA-"));          // lone low surrogate
  EXPECT_FALSE(DecodeModifiedUtf7("&AOQ"));           // no '-'
  EXPECT_FALSE(DecodeModifiedUtf7("&AOQ-&AOQ-"));     // two runs back to back
  EXPECT_FALSE(DecodeModifiedUtf7("&A-"));            // one sextet
  EXPECT_FALSE(DecodeModifiedUtf7("&AO/-"));          // '/' is not modified base64
  EXPECT_EQ(DecodeModifiedUtf7("&AOQ-&-"), "\xc3\xa4&");  // "&-" right after a run is fine
  EXPECT_EQ(DecodeModifiedUtf7("&AOQ-x&AOQ-"), "\xc3\xa4x\xc3\xa4");
  EXPECT_EQ(DecodeModifiedUtf7(""), "");
  EXPECT_EQ(DecodeModifiedUtf7("&AAE-"), "\x01");     // control characters are encoded
  EXPECT_EQ(EncodeModifiedUtf7("\x01"), "&AAE-");
  EXPECT_EQ(EncodeModifiedUtf7("\x7f"), "&AH8-");
  EXPECT_EQ(DecodeModifiedUtf7("&2D3eAA-"), "\xf0\x9f\x98\x80");  // U+1F600 as a surrogate pair
  EXPECT_EQ(EncodeModifiedUtf7("\xf0\x9f\x98\x80"), "&2D3eAA-");
}

TEST(ModifiedUtf7, EncoderRefusesInvalidUtf8AndNul) {
  EXPECT_FALSE(EncodeModifiedUtf7(std::string("a\0b", 3)));
  EXPECT_FALSE(EncodeModifiedUtf7("\xc0\xaf"));           // overlong '/'
  EXPECT_FALSE(EncodeModifiedUtf7("\xed\xa0\x80"));       // UTF-8 encoded surrogate
  EXPECT_FALSE(EncodeModifiedUtf7("\xf4\x90\x80\x80"));   // above U+10FFFF
  EXPECT_FALSE(EncodeModifiedUtf7("\xe2\x82"));           // truncated
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

}  // namespace
}  // namespace loft::imap

// BINARY content and BINARY.SIZE (fetch_binary.h) on parsed messages, with
// Dovecot 2.3.19's answers to the same messages as the expected values.
#include "imap/fetch_binary.h"

#include <gtest/gtest.h>

#include "mime/message.h"

namespace loft::imap {
namespace {

TEST(FetchBinaryTest, DecodesBase64AndQuotedPrintableLeaves) {
  std::string m = "Subject: d\r\nContent-Transfer-Encoding: BASE64 (comment)\r\n\r\nQUJD\r\n";
  mime::Message t = mime::ParseMessage(m);
  BinaryContent body = BinaryPart(t, 0, false, m);
  EXPECT_EQ(body.error, BinaryError::kNone);
  EXPECT_EQ(body.data, "ABC");
  EXPECT_TRUE(body.literal8);  // decoded: literal8 even without NULs, as Dovecot
  BinaryContent whole = BinaryPart(t, 0, true, m);
  EXPECT_EQ(whole.data, "Subject: d\r\nContent-Transfer-Encoding: binary\r\n\r\nABC");
  EXPECT_EQ(BinaryPartSize(t, 0, true, m).size, 52u);

  std::string q = "Subject: q\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc  \r\nd\r\n";
  mime::Message qt = mime::ParseMessage(q);
  EXPECT_EQ(BinaryPart(qt, 0, false, q).data, "a=bc\r\nd\r\n");
}

TEST(FetchBinaryTest, StrictDecodersAndUnknownEncodings) {
  for (const char* bad : {"QUJD!REVG\r\n", "QQ==QkI=\r\n", "QUJDRA\r\n"}) {
    std::string m = std::string("Content-Transfer-Encoding: base64\r\n\r\n") + bad;
    mime::Message t = mime::ParseMessage(m);
    EXPECT_EQ(BinaryPart(t, 0, false, m).error, BinaryError::kInvalidData) << bad;
    EXPECT_EQ(BinaryPartSize(t, 0, false, m).error, BinaryError::kInvalidData) << bad;
  }
  std::string qp = "Content-Transfer-Encoding: quoted-printable\r\n\r\na=ZZb\r\n";
  mime::Message qt = mime::ParseMessage(qp);
  EXPECT_EQ(BinaryPart(qt, 0, false, qp).error, BinaryError::kInvalidData);
  for (const char* cte : {"x-uuencode", "", "\"base64\""}) {
    std::string m = std::string("Content-Transfer-Encoding: ") + cte + "\r\n\r\nabc\r\n";
    mime::Message t = mime::ParseMessage(m);
    EXPECT_EQ(BinaryPart(t, 0, false, m).error, BinaryError::kUnknownCte) << cte;
  }
  // 7bit with NULs: sent as they are, in literal8.
  std::string n("Subject: n\r\n\r\na\0b\r\n", 19);
  mime::Message nt = mime::ParseMessage(n);
  BinaryContent nb = BinaryPart(nt, 0, false, n);
  EXPECT_EQ(nb.data, std::string("a\0b\r\n", 5));
  EXPECT_TRUE(nb.literal8);
}

TEST(FetchBinaryTest, MultipartHeaderOnlyConversionSendsOriginalBytes) {
  // A multipart whose own header says quoted-printable: nothing is decoded,
  // so Dovecot sends the original bytes cut to the rewritten header's size.
  std::string m =
      "Subject: h\r\nContent-Type: multipart/mixed; boundary=x\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\n"
      "--x\r\n\r\nplain\r\n--x--\r\n";
  mime::Message t = mime::ParseMessage(m);
  BinaryContent b = BinaryPart(t, 0, true, m);
  const size_t shrink = std::string("quoted-printable").size() - std::string("binary").size();
  EXPECT_EQ(b.data, m.substr(0, m.size() - shrink));
  EXPECT_FALSE(b.literal8);
}

}  // namespace
}  // namespace loft::imap

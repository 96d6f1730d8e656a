// LMTP command arguments and DATA (src/lmtp): MAIL FROM / RCPT TO parameters,
// RFC 5321 paths, recipient addresses, and the DATA reader (dot-unstuffing,
// size bound), whose result must not depend on how the input is cut.
//
// Input: byte 0 = chunking, byte 1 = DATA size limit, then a MAIL line, a
// RCPT line, then the DATA stream.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "lmtp/address.h"
#include "lmtp/command_syntax.h"
#include "lmtp/data_reader.h"
#include "lmtp/lmtp.h"

namespace {

bool Printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

struct DataResult {
  size_t used = 0;
  bool done = false, overflow = false;
  uint64_t size = 0;
  std::string body;
  bool operator==(const DataResult&) const = default;
};

DataResult ReadData(std::string_view stream, uint64_t max, uint32_t cut) {
  loft::lmtp::DataReader reader(max);
  DataResult r;
  loft::fuzz::ForEachPiece(stream, cut, [&](std::string_view piece) {
    if (reader.done()) return;
    size_t used = reader.feed(piece);
    FUZZ_CHECK(used <= piece.size());
    FUZZ_CHECK(used == piece.size() || reader.done());  // only stops at the terminator
    r.used += used;
  });
  r.done = reader.done();
  r.overflow = reader.overflow();
  r.size = reader.size();
  r.body = reader.take_body();
  FUZZ_CHECK(r.body.size() <= max);
  FUZZ_CHECK(!r.overflow || r.body.empty());
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loft::fuzz::Input in(data, size);
  uint8_t cut = in.byte();
  uint64_t max = 1 + in.byte() * 4;
  std::string_view mail_line = in.line();
  std::string_view rcpt_line = in.line();
  using namespace loft::lmtp;

  MailArgs mail;
  std::string error = parse_mail_args(mail_line, 1000, mail);
  if (error.empty()) {
    FUZZ_CHECK(Printable(mail.from.text));
  } else {
    FUZZ_CHECK(error.find_first_of("\r\n") == std::string::npos);
  }

  Path rcpt;
  error = parse_rcpt_args(rcpt_line, rcpt);
  if (error.empty()) {
    FUZZ_CHECK(Printable(rcpt.text));
    FUZZ_CHECK(same_path(rcpt, rcpt));
    (void)parse_recipient(rcpt.text);
  } else {
    FUZZ_CHECK(error.find_first_of("\r\n") == std::string::npos);
  }
  for (unsigned flags = 0; flags < 4; ++flags) {
    Path p;
    PathResult r = parse_path(rcpt_line, flags, p);
    if (r.ok) {
      FUZZ_CHECK(r.consumed <= rcpt_line.size());
      FUZZ_CHECK(Printable(p.text) && Printable(p.local) && Printable(p.domain));
      FUZZ_CHECK((flags & kAllowNullPath) || !p.is_null());
    }
  }
  if (auto r = parse_recipient(mail_line)) (void)r->user;

  std::string_view stream = in.rest();
  DataResult whole = ReadData(stream, max, 0);
  DataResult pieces = ReadData(stream, max, cut | 1u);
  FUZZ_CHECK(whole == pieces);
  return 0;
}

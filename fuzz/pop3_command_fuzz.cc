// POP3 command arguments and output (src/pop3): message numbers and TOP's
// line count, echoing client text in replies, the APOP digest check, and the
// RETR/TOP dot-stuffer (whose output must not depend on how the message is
// cut into chunks, and must end with the ".\r\n" terminator).
//
// Input: byte 0 = chunking, byte 1 = TOP line count (0xff: RETR), then one
// argument line, then the message.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "fuzz/fuzz_check.h"
#include "pop3/apop.h"
#include "pop3/arguments.h"
#include "pop3/dot_stuffer.h"
#include "pop3/text.h"

namespace {

std::string Stuff(std::string_view message, std::optional<uint64_t> lines, uint32_t cut) {
  loft::pop3::DotStuffer stuffer(lines);
  std::string out;
  loft::fuzz::ForEachPiece(message, cut, [&](std::string_view piece) {
    if (!stuffer.done()) stuffer.feed(piece, out);
  });
  stuffer.finish(out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loft::fuzz::Input in(data, size);
  uint8_t cut = in.byte();
  uint8_t top = in.byte();
  std::string_view args = in.line();
  using namespace loft::pop3;

  for (bool then_space : {false, true}) {
    NumberResult r = parse_message_number(args, then_space);
    if (auto* n = std::get_if<ParsedNumber>(&r)) {
      FUZZ_CHECK(then_space || n->rest.empty());
      if (then_space) (void)parse_line_count(n->rest);
    } else {
      const std::string& error = std::get<std::string>(r);
      FUZZ_CHECK(error.find_first_of("\r\n") == std::string::npos);  // one reply line
    }
  }
  NumberResult lines = parse_line_count(args);
  if (auto* e = std::get_if<std::string>(&lines)) FUZZ_CHECK(e->find_first_of("\r\n") == std::string::npos);

  std::string echoed = sanitize(args);
  FUZZ_CHECK(echoed.size() <= 200);
  for (unsigned char c : echoed) FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  (void)ascii_upper(args);
  (void)apop_digest_matches("<1.2@host>", "secret", args);

  std::string_view message = in.rest();
  std::optional<uint64_t> body_lines;
  if (top != 0xff) body_lines = top;
  std::string whole = Stuff(message, body_lines, 0);
  std::string pieces = Stuff(message, body_lines, cut | 1u);
  FUZZ_CHECK(whole == pieces);
  FUZZ_CHECK(whole.size() >= 3 && whole.compare(whole.size() - 3, 3, ".\r\n") == 0);
  if (!body_lines) {
    // RETR: every line starting with '.' is stuffed, so the only "." line is the terminator.
    std::string_view body(whole);
    body.remove_suffix(3);
    FUZZ_CHECK(body.empty() || body.back() == '\n');
    size_t pos = 0;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      std::string_view line = body.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      FUZZ_CHECK(line != ".");
      pos = nl + 1;
    }
  }
  return 0;
}

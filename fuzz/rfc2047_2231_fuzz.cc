// Encoded words (RFC 2047) and MIME parameters with RFC 2231 continuations
// (src/mime): DecodeEncodedWords must give valid UTF-8 for any value, and the
// parameter parser must take any header value; the same text also goes
// through a Content-Type / Content-Disposition header of a parsed message so
// the BODYSTRUCTURE rendering of decoded parameters is exercised.
//
// Input: the header value.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "mime/address_parser.h"
#include "mime/decode.h"
#include "mime/imap_strings.h"
#include "mime/message.h"
#include "mime/mime_params.h"
#include "mime/rfc822_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  using namespace loft::mime;

  std::string decoded = DecodeEncodedWords(value);
  FUZZ_CHECK(IsValidUtf8(decoded));
  FUZZ_CHECK(SanitizeUtf8(decoded) == decoded);

  {
    Rfc822Tokenizer tok(value);
    std::string type;
    (void)tok.ParseContentType(type);
    std::vector<MimeParam> params;
    (void)ParseMimeParams(tok, params);
    // Output bounded by the input: a NUL may become U+FFFD (3 octets), a
    // merged RFC 2231 name gains a '*'. (Names may be empty: "; =x" is a
    // parameter for Dovecot too.)
    size_t total = 0;
    for (const auto& p : params) total += p.name.size() + p.value.size();
    FUZZ_CHECK(total <= value.size() * 3 + 8);
  }
  {
    Rfc822Tokenizer tok(value);
    tok.set_nul_replacement("\x80");
    std::vector<MimeParam> params;
    (void)ParseMimeParams(tok, params);
  }
  for (const auto& a : ParseAddressList(value)) (void)a.mailbox;

  // The same value in a message's MIME header: parsed, then rendered.
  std::string message = "MIME-Version: 1.0\r\nContent-Type: text/plain; ";
  message.append(value);
  message.append("\r\nContent-Disposition: attachment; ");
  message.append(value);
  message.append("\r\nSubject: ");
  message.append(value);
  message.append("\r\n\r\nbody\r\n");
  Message msg = ParseMessage(message);
  (void)RenderBodyStructure(msg, true);
  (void)RenderEnvelope(msg);
  return 0;
}

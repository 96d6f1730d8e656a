// BINARY[section] and BINARY.SIZE[section] (RFC 3516) the way Dovecot 2.3
// builds them (index-mail-binary.c): a leaf part's body is decoded from
// base64 / quoted-printable; a multipart or message/rfc822 part is its
// children decoded in place, each converted child's header losing its
// Content-Transfer-Encoding fields and ending in
// "Content-Transfer-Encoding: binary". Decoding is strict like Dovecot's
// decoders: malformed base64 or quoted-printable is invalid data (NO [PARSE]),
// an encoding other than 7bit/8bit/binary/base64/quoted-printable is unknown
// (NO [UNKNOWN-CTE]).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/message.h"

namespace loft::imap {

enum class BinaryError { kNone, kUnknownCte, kInvalidData };

struct BinaryContent {
  BinaryError error = BinaryError::kNone;
  std::string data;
  // Dovecot sends literal8 (~{n}) when anything was decoded or the content
  // holds NULs; NULs are then sent as they are.
  bool literal8 = false;
};

// The part's content: with its header when include_header (BINARY[] of the
// message), else its body. `message` is the whole message the tree was
// parsed from.
BinaryContent BinaryPart(const mime::Message& msg, uint32_t part, bool include_header,
                         std::string_view message);

struct BinarySize {
  BinaryError error = BinaryError::kNone;
  uint64_t size = 0;
};

// BINARY.SIZE as Dovecot computes it: from per-part sizes of the whole
// message's binary form (so an unknown encoding or invalid data anywhere in
// the message is an error), including its arithmetic for a multipart with a
// converted header, which can differ from
// the size of BinaryPart() (and underflow: Dovecot then answers 2^64-1).
BinarySize BinaryPartSize(const mime::Message& msg, uint32_t part, bool include_header,
                          std::string_view message);

}  // namespace loft::imap

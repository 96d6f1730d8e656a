// MIME parameter lists ("; key=value" after Content-Type / Content-Disposition),
// with RFC 2231 continuations merged the way Dovecot 2.3 merges them: the pieces
// of key*0, key*1... are joined; if any piece is extended (key*N*=charset'lang'..)
// the result is named "key*" and keeps the raw, still percent-encoded value
// (IMAP clients decode it). Internal to src/mime.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mime/rfc822_tokenizer.h"

namespace loft::mime {

struct MimeParam {
  std::string name;
  std::string value;
};

// Parses every parameter from the tokenizer's position to the end. Broken
// parameters are skipped. Returns false when some input was broken.
bool ParseMimeParams(Rfc822Tokenizer& tok, std::vector<MimeParam>& out);

}  // namespace loft::mime

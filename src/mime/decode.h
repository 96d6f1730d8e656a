// Decoding for SEARCH and BINARY: Content-Transfer-Encodings (base64,
// quoted-printable), charset conversion to UTF-8 (glibc iconv) and RFC 2047
// encoded-words.
//
// Everything is tolerant: garbage is skipped or kept as it is, never an error,
// and invalid byte sequences become U+FFFD. The decoders are streaming: Feed()
// any split of the input, then Finish(); the result is the same as decoding the
// whole input at once. Memory use is bounded by the output plus a few bytes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mime/message.h"

namespace loft::mime {

// ---- Content-Transfer-Encoding ----

class Base64Decoder {
 public:
  // Characters outside the base64 alphabet (line ends, spaces, garbage) are
  // skipped; '=' ends a quantum, and decoding goes on after it (concatenated
  // base64 as some clients send it).
  void Feed(std::string_view in, std::string& out);
  void Finish(std::string& out);
  // True when input was skipped that was neither whitespace nor padding.
  bool saw_garbage() const { return saw_garbage_; }

 private:
  uint32_t bits_ = 0;
  int count_ = 0;  // sextets held in bits_
  bool saw_garbage_ = false;
};

class QuotedPrintableDecoder {
 public:
  // RFC 2045 6.7: "=XX" hex escapes (either case), soft line breaks "=" CRLF
  // (or bare LF, with blanks allowed between '=' and the line end), and blanks
  // at the end of a line removed. A malformed '=' is kept as it is.
  // With q_encoding, '_' means a space (RFC 2047 "Q").
  explicit QuotedPrintableDecoder(bool q_encoding = false) : q_encoding_(q_encoding) {}
  void Feed(std::string_view in, std::string& out);
  void Finish(std::string& out);

 private:
  void Process(std::string_view in, bool final, std::string& out);
  void DecodeLine(std::string_view content, std::string_view eol, std::string& out) const;
  void DecodeSegment(std::string_view seg, std::string& out) const;
  std::string pending_;  // held back: a trailing '=' sequence or blanks
  bool q_encoding_;
};

std::string DecodeBase64(std::string_view in);
std::string DecodeQuotedPrintable(std::string_view in, bool q_encoding = false);

// Decodes a body by its Content-Transfer-Encoding value (case-insensitive);
// 7bit, 8bit, binary and unknown encodings are returned unchanged.
std::string DecodeTransferEncoding(std::string_view body, std::string_view encoding);

// ---- Charsets ----

// Streaming conversion from a charset to UTF-8.
class CharsetToUtf8 {
 public:
  // nullopt when the charset is unknown to iconv (after alias fixes such as
  // "utf8", "latin1", "ks_c_5601-1987", "x-sjis").
  static std::optional<CharsetToUtf8> Open(std::string_view charset);
  CharsetToUtf8(CharsetToUtf8&&) noexcept;
  CharsetToUtf8& operator=(CharsetToUtf8&&) noexcept;
  ~CharsetToUtf8();

  // Invalid sequences become U+FFFD; a multibyte character split between two
  // Feed() calls is held back and completed.
  void Feed(std::string_view in, std::string& out);
  void Finish(std::string& out);

 private:
  struct Impl;
  explicit CharsetToUtf8(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Converts to UTF-8. Unknown charsets and US-ASCII are treated as UTF-8 when
// the data is valid UTF-8, otherwise as Windows-1252 (what such mail really
// is). Returns false when the charset was unknown (the text is still usable).
bool ConvertToUtf8(std::string_view charset, std::string_view in, std::string& out);

// Replaces invalid UTF-8 sequences with U+FFFD.
std::string SanitizeUtf8(std::string_view in);
bool IsValidUtf8(std::string_view in);

// ---- RFC 2047 ----

// Decodes encoded-words (=?charset[*lang]?B|Q?text?=) in a header value to
// UTF-8. Blanks between two adjacent encoded-words are dropped, the bytes of
// adjacent words in one charset are joined before conversion (so a character
// split across words survives), malformed words stay as they are, and other
// text is kept (invalid UTF-8 replaced). Folding line ends are removed.
std::string DecodeEncodedWords(std::string_view value);

// ---- Parts ----

// The body of a leaf part decoded from its transfer encoding and converted to
// UTF-8 from its charset parameter (text parts without one: US-ASCII rules).
// `data` is the message the tree was parsed from.
std::string DecodePartText(const Message& msg, uint32_t part, std::string_view data);

}  // namespace loft::mime

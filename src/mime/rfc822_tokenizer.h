// RFC 822/5322 lexical scanner over an unfolded header value: comments, atoms,
// dot-atoms, quoted strings, domains, MIME tokens and Content-Type parameters.
//
// The semantics follow Dovecot 2.3's rfc822-parser exactly (including how it
// tolerates broken input), because ENVELOPE and BODYSTRUCTURE answers must match
// Dovecot's byte for byte. Internal to src/mime.
#pragma once

#include <string>
#include <string_view>

namespace loft::mime {

// Character classes of RFC 5322 atext, split like Dovecot: bit 0/1 = atext that
// is no MIME tspecial, bit 2 = atext that is a tspecial ('/', '=', '?').
bool IsAtext(unsigned char c);
bool IsAtextNonTspecial(unsigned char c);

// All Parse* functions return 1 = more data follows, 0 = end of data reached
// (a value may still have been produced), -1 = invalid input. Whitespace and
// comments after a value are skipped, not before it.
class Rfc822Tokenizer {
 public:
  explicit Rfc822Tokenizer(std::string_view data) : pos_(data.data()), end_(data.data() + data.size()) {}

  // When set, the text of the last comment skipped is kept here.
  void set_last_comment(std::string* sink) { last_comment_ = sink; }
  // When non-empty, NULs inside quoted strings, comments and domain literals
  // are replaced with this text.
  void set_nul_replacement(std::string_view r) { nul_replacement_ = r; }
  std::string_view nul_replacement() const { return nul_replacement_; }

  bool at_end() const { return pos_ >= end_; }
  // The current byte, or NUL at the end (Dovecot's buffers are NUL-terminated).
  unsigned char peek() const { return pos_ < end_ ? static_cast<unsigned char>(*pos_) : 0; }
  void advance() { ++pos_; }
  const char* pos() const { return pos_; }
  void set_pos(const char* p) { pos_ = p; }

  int SkipComment();  // at '('
  int SkipLwsp();
  int ParseAtom(std::string& out);
  int ParseDotAtom(std::string& out);
  // Like ParseDotAtom but stops at '/', '?', '=' and allows no space around
  // dots; may produce an empty token.
  int ParseMimeToken(std::string& out);
  int ParseQuotedString(std::string& out);  // at '"'
  int ParsePhrase(std::string& out);
  int ParseDomain(std::string& out);  // at '@'
  // "type/subtype"; on failure `out` is left without the partial value.
  int ParseContentType(std::string& out);
  // ";" key "=" value. Returns 1 with key/value set, 0 at end, -1 on error.
  int ParseContentParam(std::string& key, std::string& value);

 private:
  int ParseAtomOrDot(std::string& out);
  int ParseDomainLiteral(std::string& out);
  void AppendNul(std::string& out) const;

  const char* pos_;
  const char* end_;
  std::string* last_comment_ = nullptr;
  std::string_view nul_replacement_;
};

}  // namespace loft::mime

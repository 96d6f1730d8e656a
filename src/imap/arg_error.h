// How a typed IMAP argument parser reports failure, and the tagged reply a
// session sends for it.
//
// Texts are Dovecot 2.3's (without the timing suffix Dovecot appends), so
// "a FETCH x FLAGS" answers "a BAD Error in IMAP command FETCH: Invalid
// messageset". A few failures are NO rather than BAD (an unknown CHARSET, an
// invalid keyword, a mailbox name that is not mUTF-7); their text then starts
// with the response code, if any.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace loft::imap {

struct ArgError {
  enum class Kind { kBad, kNo };
  Kind kind = Kind::kBad;
  std::string text;

  static ArgError Bad(std::string text) { return ArgError{Kind::kBad, std::move(text)}; }
  static ArgError No(std::string text) { return ArgError{Kind::kNo, std::move(text)}; }
  bool operator==(const ArgError&) const = default;
};

// The complete tagged reply line (CRLF included) for an argument error of the
// command `display_name` ("FETCH", "UID FETCH"):
//   BAD: "<tag> BAD Error in IMAP command <NAME>: <text>\r\n"
//   NO:  "<tag> NO <text>\r\n"
std::string ArgErrorReply(std::string_view tag, std::string_view display_name, const ArgError& error);
// The same without tag and CRLF ("BAD Error in IMAP command X: text" or
// "NO text"), e.g. for CommandReader::LiteralVerdict::reply.
std::string ArgErrorStatusText(std::string_view display_name, const ArgError& error);

// A parse result: the value or the error (std::expected is C++23).
template <typename T>
class Parsed {
 public:
  Parsed(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  Parsed(ArgError error) : v_(std::move(error)) {}       // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const ArgError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ArgError> v_;
};

}  // namespace loft::imap

// The generic argument tree of one IMAP command, as the CommandReader builds
// it: atoms, quoted strings, literals, NIL and parenthesised lists.
//
// Typed parsers (sequence_set.h, fetch_items.h, search_keys.h, ...) turn these
// trees into meaning; commands should not need to look at raw bytes.
//
// Atoms keep their raw text. Two kinds of atoms carry more than ATOM-CHARs:
//  - FETCH section specs: "BODY[HEADER.FIELDS (A "B")]<0.10>" is one atom
//    holding exactly that text (spaces, parentheses and quoted strings inside
//    the brackets included), for BODY, BODY.PEEK, BINARY, BINARY.PEEK and
//    BINARY.SIZE. is_section_atom() tells them apart.
//  - like Dovecot, atoms may contain ']', '%', '*' and '\' (sections, LIST
//    patterns, system flags), so "\Seen", "1:*" and "foo/%" are atoms too.
// NIL is recognised case-insensitively but keeps its text: as an astring
// (RFC 3501: a mailbox may be called "nil") it is still that atom.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loft::imap {

class Arg {
 public:
  enum class Type {
    kAtom,     // text() is the raw atom
    kString,   // a quoted string, unescaped
    kLiteral,  // {n} / {n+} / ~{n}: text() is the data; literal8() for ~{n}
    kNil,      // the atom NIL (any case); text() keeps its spelling
    kList,     // ( ... ): list()
  };

  Arg() = default;
  static Arg Atom(std::string text);
  static Arg String(std::string text);
  static Arg Literal(std::string data, bool literal8 = false);
  static Arg Nil(std::string spelling = "NIL");
  static Arg List(std::vector<Arg> items = {});
  // An atom with a FETCH section whose brackets hold spaces (see above).
  static Arg SectionAtom(std::string text);

  Type type() const { return type_; }
  bool is_atom() const { return type_ == Type::kAtom; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_literal() const { return type_ == Type::kLiteral; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_list() const { return type_ == Type::kList; }
  bool literal8() const { return literal8_; }
  // An atom that holds a FETCH section with spaces inside its brackets.
  bool is_section_atom() const { return section_atom_; }

  const std::string& text() const { return text_; }
  std::string& mutable_text() { return text_; }
  const std::vector<Arg>& list() const { return list_; }
  std::vector<Arg>& mutable_list() { return list_; }

  // atom / NIL (as its spelling) / quoted / literal; nullopt for lists and
  // section atoms. (RFC 3501 astring; literal8 is accepted like Dovecot.)
  std::optional<std::string_view> astring() const;
  // quoted or literal only (RFC "string").
  std::optional<std::string_view> string() const;
  // The atom's text (NIL counts as the atom "NIL"), nullopt otherwise.
  std::optional<std::string_view> atom() const;
  // True for an atom (or NIL) equal to `word` ignoring ASCII case.
  bool is_atom(std::string_view word) const;

  // A rendering for logs and test failure messages: atoms as-is, strings
  // quoted, literals as {n}, lists in parentheses. Not for the wire.
  std::string DebugString() const;

  bool operator==(const Arg& other) const;

 private:
  Type type_ = Type::kNil;
  bool literal8_ = false;
  bool section_atom_ = false;
  std::string text_ = "NIL";
  std::vector<Arg> list_;
};

using Args = std::vector<Arg>;
using ArgSpan = std::span<const Arg>;

std::string DebugString(ArgSpan args);

// ASCII case-insensitive comparison; IMAP keywords are ASCII.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
std::string AsciiUpper(std::string_view s);

// RFC 3501 ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ]
// and 8-bit. Dovecot's IS_ATOM_SPECIAL.
bool IsAtomChar(unsigned char c);

}  // namespace loft::imap

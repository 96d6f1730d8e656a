// Pieces of IMAP responses: strings, mailbox names, flag lists, number sets.
// Strings use Dovecot's choices (mime/imap_strings.h): quoted unless CR, LF,
// 8-bit or more than four '"'/'\' make a literal shorter or necessary.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imap/sequence_set.h"

namespace loft::imap {

// "quoted" or {n}CRLF literal (mime::AppendImapString); the text ends at a NUL.
void AppendString(std::string& out, std::string_view s);
// NIL, or AppendString.
void AppendNString(std::string& out, std::optional<std::string_view> s);
// An atom when `s` is 1*ASTRING-CHAR and not "NIL" (Dovecot's
// imap_append_astring), else AppendString.
void AppendAString(std::string& out, std::string_view s);
// UTF8=ACCEPT / IMAP4rev2 (RFC 6855 section 3): valid UTF-8 may be quoted;
// CR, LF, NUL, invalid UTF-8 or many escapes still give a literal.
void AppendUtf8String(std::string& out, std::string_view s);
// A mailbox name from the store (UTF-8), as an astring: mUTF-7 encoded, or
// UTF-8 in utf8 mode.
void AppendMailboxName(std::string& out, std::string_view utf8_name, bool utf8_mode);
// "{n}\r\n<data>" or, for literal8, "~{n}\r\n<data>".
void AppendLiteral(std::string& out, std::string_view data, bool literal8 = false);

// "(\Answered \Seen $Label)": system flags (store::Flag bits, kRecentFlag)
// in Dovecot's order, then the keywords.
void AppendFlagList(std::string& out, uint32_t system, std::span<const std::string> keywords);

// "1:3,5,7:9" (the normal form).
std::string FormatSequenceSet(const RangeList& set);
// Numbers in the given order, consecutive ascending runs joined: {1,2,3,7,5}
// gives "1:3,7,5" (COPYUID / APPENDUID need the order kept).
std::string FormatNumberList(std::span<const uint32_t> numbers);

}  // namespace loft::imap

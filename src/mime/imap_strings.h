// IMAP renderings of a parsed message: ENVELOPE, BODY and BODYSTRUCTURE
// (RFC 3501 7.4.2 / RFC 9051 7.5.2), and the string quoting they use.
//
// Output matches Dovecot 2.3 byte for byte, including its choices where the
// RFC leaves room:
//  - strings are quoted unless they hold CR, LF, 8-bit bytes or more than four
//    '"'/'\' (then a literal "{n}\r\n..." is used);
//  - Subject and display names are cleaned "for humans": tabs, CR and LF
//    become spaces, runs of blanks collapse, leading/trailing blanks go, and
//    if anything changed the result is sent as a literal;
//  - Content-ID, -Description, -MD5 and -Location lose their line ends;
//  - text parts without a charset get ("charset" "us-ascii"), a part without
//    Content-Type is "text" "plain", a multipart without parts gets one empty
//    text/plain part, a multipart or message/rfc822 that could not be parsed
//    (nesting or part limits) is sent as "application" "octet-stream".
// Encoded-words are sent as they are (RFC 3501 requires no decoding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mime/message.h"

namespace loft::mime {

// "quoted", or a literal when the text needs one. The text ends at a NUL.
void AppendImapString(std::string& out, std::string_view s);
// NIL when absent, otherwise as AppendImapString.
void AppendImapNString(std::string& out, std::optional<std::string_view> s);
// Like AppendImapNString, with CR and LF removed (a space is kept between
// folded lines when the next line does not start with a blank).
void AppendImapNStringNoLf(std::string& out, std::optional<std::string_view> s);
// Dovecot's imap_append_string_for_humans() (Subject, display names).
void AppendImapStringForHumans(std::string& out, std::string_view s);

// IMAP literals must not carry NULs (RFC 3501 4.3; only literal8 may). For
// BODY[...] answers Dovecot sends each NUL as 0x80; this does the same in place.
void ReplaceNulsForLiteral(std::string& data);

// "(date subject from sender reply-to to cc bcc in-reply-to message-id)" of
// the message (index 0) or of the envelope with the given index.
std::string RenderEnvelope(const Message& msg, uint32_t envelope_index = 0);
void AppendEnvelope(std::string& out, const Message& msg, uint32_t envelope_index);

// BODYSTRUCTURE (extended = true) or BODY (extended = false) of the message,
// parenthesised as sent after the item name.
std::string RenderBodyStructure(const Message& msg, bool extended = true);
// The same for one part (without the surrounding parentheses).
void AppendPartStructure(std::string& out, const Message& msg, uint32_t part, bool extended);

}  // namespace loft::mime

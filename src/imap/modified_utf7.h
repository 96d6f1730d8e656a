// Modified UTF-7 (RFC 3501 section 5.1.3 / RFC 9051 section 5.1.3), the
// IMAP4rev1 encoding of international mailbox names, with Dovecot 2.3's
// strictness (imap-utf7.c):
//  - printable US-ASCII (0x20-0x7e) stands for itself, except '&' ("&-");
//  - everything else is UTF-16 in modified base64 ("," for "/", no padding)
//    between '&' and '-';
// and a decoder that refuses what Dovecot refuses: bytes outside 0x20-0x7e,
// a shift without '-', odd UTF-16 lengths, unpaired surrogates, an encoded
// NUL, an encoded character that could stand for itself, and two encoded runs
// back to back ("&U,BTFw-&ZeVnLIqe-").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loft::imap {

// mUTF-7 -> UTF-8; nullopt when malformed.
std::optional<std::string> DecodeModifiedUtf7(std::string_view mutf7);
// UTF-8 -> mUTF-7; nullopt when `utf8` is not valid UTF-8 or holds a NUL.
std::optional<std::string> EncodeModifiedUtf7(std::string_view utf8);
bool IsValidModifiedUtf7(std::string_view mutf7);

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);

}  // namespace loft::imap

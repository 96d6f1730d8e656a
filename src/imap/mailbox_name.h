// Mailbox names between the wire and the store.
//
// The store names mailboxes in UTF-8 with "INBOX" for the inbox. On the wire
// an IMAP4rev1 client uses modified UTF-7 (modified_utf7.h); after ENABLE
// UTF8=ACCEPT (RFC 6855) or in IMAP4rev2 (RFC 9051) names are UTF-8 and
// mUTF-7 is not interpreted ("utf8 mode").
//
// "INBOX" is case-insensitive, and so is the "INBOX" level of names below it
// ("inbox/Sub" is "INBOX/Sub"); other names are case-sensitive.
#pragma once

#include <string>
#include <string_view>

#include "imap/arg_error.h"
#include "imap/args.h"

namespace loft::imap {

// The store name for a mailbox argument (an astring):
//   not an astring          BAD "Invalid arguments"
//   not valid mUTF-7        NO  "Mailbox name is not valid mUTF-7"  (Dovecot)
//   utf8 mode, bad UTF-8    NO  "Mailbox name is not valid UTF-8"
// "INBOX" in any case (and its sub-levels with `separator`) comes out as INBOX.
Parsed<std::string> ParseMailboxName(const Arg& arg, bool utf8_mode, char separator = '/');
Parsed<std::string> DecodeMailboxName(std::string_view wire, bool utf8_mode, char separator = '/');

// The wire form of a store name (mUTF-7 unless utf8 mode). Names that are not
// valid UTF-8 (never made by the store) are returned unchanged.
std::string EncodeMailboxName(std::string_view utf8_name, bool utf8_mode);

// True for "INBOX" in any case.
bool IsInboxName(std::string_view name);
// "inbox" -> "INBOX", "Inbox/x" -> "INBOX/x"; anything else unchanged.
std::string NormalizeInbox(std::string_view name, char separator = '/');

}  // namespace loft::imap

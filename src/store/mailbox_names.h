// Mailbox and user name rules: what the store accepts, and how a mailbox
// name becomes a directory name that can never leave the user's Maildir.
#pragma once

#include <string>
#include <string_view>

namespace loft::store::internal {

inline constexpr size_t kMaxMailboxNameBytes = 1000;
inline constexpr size_t kMaxMailboxLevels = 20;
inline constexpr char kInboxName[] = "INBOX";

// The mailboxes every user starts with, and their special-use attributes.
struct DefaultMailbox {
  const char* name;
  const char* special_use;
};
inline constexpr DefaultMailbox kDefaultMailboxes[] = {
    {kInboxName, ""},     {"Drafts", "\\Drafts"}, {"Sent", "\\Sent"},
    {"Trash", "\\Trash"}, {"Junk", "\\Junk"},     {"Archive", "\\Archive"},
};

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s);

// Validates a mailbox name and returns its canonical form ("inbox" and
// "Inbox/x" become "INBOX" and "INBOX/x"). Throws StoreError(kInvalidName).
std::string canonical_mailbox_name(std::string_view name);

bool is_inbox(std::string_view canonical_name);

// True when `name` is `parent` itself or below it in the hierarchy.
bool is_same_or_below(std::string_view name, std::string_view parent);

// The Maildir++ directory for a new mailbox, without collision suffix:
// "." followed by the name with every byte outside [A-Za-z0-9_-] written as
// %XX, cut so that a "~N" suffix still fits in NAME_MAX.
std::string encode_mailbox_dir(std::string_view canonical_name);

// The name a directory was made for, as far as it can be told (an index
// rebuilt from the files): without the '.', a "~N" collision suffix and the
// %XX escapes. A name cut at creation comes back cut. Not validated.
std::string decode_mailbox_dir(std::string_view dir);

// Checks a directory name read back from the index before it is used in a
// path: "" (INBOX) or "." plus safe characters only, never "." or "..".
bool is_safe_mailbox_dir(std::string_view dir);

// Validates a user name used as a directory under the mail root; throws
// StoreError(kInvalidName).
void check_user_name(std::string_view user);

// Keywords must be IMAP atoms (1..255 printable ASCII characters without
// atom-specials); throws StoreError(kInvalidName).
void check_keyword(std::string_view keyword);

}  // namespace loft::store::internal

// A new index.sqlite made from a user's Maildir when the old one is damaged
// or lost (loft check --repair). The damaged file is moved aside (with its
// WAL), never deleted. Every mailbox directory becomes a mailbox again
// (named as the damaged index still says, else from the directory name) and
// every file in its cur/ a message, in delivery order (the time in the
// store's own file names, else the file's mtime), under a new UIDVALIDITY: clients forget what they
// cached and read the mailbox again. Flags, keywords and INTERNALDATE come
// from the damaged index where it can still be read (index_salvage.h); a
// message it does not know is unseen, dated by its file name (the store's
// names start with the delivery time) or else its mtime. Cached trees and
// the search index are made again on demand.
//
// The new index is built under another name and renamed into place, so no
// process ever opens half of it. The caller makes sure that no other
// process has the damaged index open: one that had (a running server)
// would keep using the old file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace loft::store::internal {

struct RebuildResult {
  std::string moved_aside;  // the damaged index's name now, in the user directory; empty: there was none
  uint32_t mailboxes = 0;
  uint64_t messages = 0;
  uint64_t salvaged = 0;  // messages whose flags, keywords and date the damaged index still had
};

// Throws StoreError (kTemporary) when it cannot; the damaged index may then
// have been moved aside already, and a later run starts again from the files.
RebuildResult rebuild_index(const std::filesystem::path& user_dir, bool fsync);

}  // namespace loft::store::internal

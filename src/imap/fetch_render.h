// One message's FETCH response, built on a worker from what the store gave
// (index data, the cached MIME tree, the open file), in Dovecot 2.3's shape
// (imap-fetch.c, imap-fetch-body.c):
//  - "buffered" items first, in request order: FLAGS, INTERNALDATE, MODSEQ,
//    UID, RFC822.SIZE; then the FLAGS Dovecot adds when the FETCH sets \Seen
//    and FLAGS was not asked for; then the other items in request order;
//  - sections are literals ({0} for a part that does not exist), NULs sent
//    as 0x80; BINARY is literal8 when something was decoded or has NULs;
//  - a message that is gone gets Dovecot's NIL replies for what needs the
//    store.
// Large literals are not read: they become file segments streamed later.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "imap/fetch_items.h"
#include "mime/message.h"
#include "store/store.h"

namespace loft::imap {

// A piece of output: text, or `length` bytes of `file` from `offset` (NULs
// to be sent as 0x80).
struct FetchSegment {
  std::string text;
  std::shared_ptr<store::MessageFile> file;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct FetchMessage {
  uint32_t seq = 0;
  uint32_t uid = 0;
  uint32_t flags = 0;  // as the view holds them
  std::vector<std::string> keywords;
  uint64_t modseq = 0;
  bool sets_seen = false;                    // this FETCH sets \Seen on it now
  bool gone = false;                         // expunged: store data is not available
  const store::MessageInfo* info = nullptr;  // when INTERNALDATE / RFC822.SIZE are asked
  const mime::Message* tree = nullptr;       // when structure or sections are asked
  std::shared_ptr<store::MessageFile> file;  // when sections are asked
};

struct FetchRenderOptions {
  bool implicit_flags = false;             // add FLAGS after the buffered items when setting \Seen
  uint64_t stream_threshold = 256 * 1024;  // larger section literals become file segments
};

enum class FetchFailure { kNone, kUnknownCte, kInvalidData };

struct FetchRendered {
  std::vector<FetchSegment> segments;
  FetchFailure failure = FetchFailure::kNone;
  uint64_t materialized = 0;  // bytes held in memory
};

// Appends the "* n FETCH (...)\r\n" response. On failure (BINARY of an
// unknown or broken encoding) the response ends after what was sent before
// the failing item, as Dovecot's does.
FetchRendered RenderFetchMessage(const std::vector<FetchItem>& items, const FetchMessage& m,
                                 const FetchRenderOptions& options);

// Reads a whole file (BINARY needs the part in memory).
std::string ReadAll(const store::MessageFile& file);

}  // namespace loft::imap

// MessageSource over the store: cached MIME trees (parsed_messages) plus the
// message files; ContentIndex over the store's search index. Blocking:
// worker threads only.
#pragma once

#include <string>

#include "imap/search_eval.h"
#include "store/store.h"

namespace loft::imap {

class StoreMessageSource : public MessageSource {
 public:
  StoreMessageSource(store::UserStore& mail, std::string mailbox)
      : mail_(mail), mailbox_(std::move(mailbox)) {}
  // Messages expunged meanwhile (or whose file is gone) are left out.
  std::vector<LoadedMessage> Load(std::span<const uint32_t> uids, bool whole) override;

 private:
  store::UserStore& mail_;
  std::string mailbox_;
};

// BODY, TEXT, FROM, TO, CC, BCC and SUBJECT answered exactly by the store's
// search index; HEADER <name> narrowed to the messages whose header text has
// the string (and then read). Messages the index has not reached yet are
// read as before, and so are needles it cannot answer (see
// store::MailboxSearchIndex::find).
class StoreContentIndex : public ContentIndex {
 public:
  explicit StoreContentIndex(store::MailboxSearchIndex& index) : index_(index) {}
  std::optional<ContentCandidates> Lookup(const SearchKey& key) override;

 private:
  store::MailboxSearchIndex& index_;
};

// Whether the tree has a key the search index may answer (worth bringing
// the index up to date for).
bool HasIndexedContentKey(const SearchKey& key);

}  // namespace loft::imap

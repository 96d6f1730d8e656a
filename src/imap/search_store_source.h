// MessageSource over the store: cached MIME trees (parsed_messages) plus the
// message files. Blocking: worker threads only.
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

}  // namespace loft::imap

// What can still be read from a damaged index.sqlite, for the index rebuilt
// from the files (index_rebuild.h): mailbox names and special-use by
// directory, each message's flags, keywords and INTERNALDATE by file,
// subscriptions, pending directory removals, new/ import markers and the
// UIDVALIDITYs handed out. Every table is read on its own; a read that
// fails part-way keeps what it got.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace loft::store::internal {

struct SalvagedMailbox {
  std::string name;
  std::string special_use;
};

struct SalvagedMessage {
  uint32_t flags = 0;
  int64_t internal_date = 0;
  int32_t internal_tz = 0;
  std::vector<std::string> keywords;
};

struct Salvage {
  std::map<std::string, SalvagedMailbox> mailboxes;  // by directory ("" is INBOX)
  std::map<std::pair<std::string, std::string>, SalvagedMessage> messages;  // by (directory, file)
  std::optional<std::vector<std::string>> subscriptions;  // nullopt: unreadable
  std::set<std::string> pending_removals;
  std::set<std::pair<std::string, std::string>> import_markers;  // (directory, new/ file name)
  uint32_t last_uidvalidity = 0;  // the highest handed out, as far as known
  bool last_uidvalidity_known = false;  // read from the index's own record of it
};

// Opens the file read-only and never changes it. A file that cannot be
// opened at all gives an empty Salvage.
Salvage salvage_index(const std::filesystem::path& file);

}  // namespace loft::store::internal

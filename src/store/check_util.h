// Small pieces shared by the parts of MaildirUserStore::check()
// (user_store_check*.cc).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "store/index_db.h"
#include "store/store.h"

namespace loft::store::internal {

inline CheckFinding make_finding(CheckFinding::Kind kind, std::string mailbox, uint32_t uid, std::string problem,
                                 std::string file = {}) {
  CheckFinding f;
  f.kind = kind;
  f.mailbox = std::move(mailbox);
  f.uid = uid;
  f.file = std::move(file);
  f.problem = std::move(problem);
  return f;
}

inline void mark_repaired(CheckFinding& f, std::string action) {
  f.action = std::move(action);
  f.repaired = true;
}

inline void mark_failed(CheckFinding& f, const std::string& why) {
  f.action = "not repaired: " + why;
  f.repaired = false;
}

// A mailbox's directory as the administrator finds it, relative to the
// user's directory: "Maildir" for INBOX, "Maildir/.Sent" for the others.
inline std::string dir_label(const MailboxRow& row) { return row.dir.empty() ? "Maildir" : "Maildir/" + row.dir; }

// A message file the same way: "Maildir/.Sent/cur/<name>".
inline std::string file_label(const MailboxRow& row, std::string_view sub, std::string_view name) {
  return dir_label(row) + "/" + std::string(sub) + "/" + std::string(name);
}

}  // namespace loft::store::internal

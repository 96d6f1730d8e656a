// CheckFinding / CheckReport (store.h), and the defaults of UserStore::check()
// and Store::check_user() for backends without a check of their own: they
// look at what the store API shows (UID order, counters, each message's size
// against its file) and repair nothing.
#include <cstdio>

#include "store/store.h"

namespace loft::store {
namespace {

// File names come from disk and may hold any byte: a finding stays one line.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

CheckFinding finding(CheckFinding::Kind kind, const std::string& mailbox, uint32_t uid, std::string problem) {
  CheckFinding f;
  f.kind = kind;
  f.mailbox = mailbox;
  f.uid = uid;
  f.problem = std::move(problem);
  return f;
}

void check_mailbox(UserStore& store, const std::string& name, CheckReport& report) {
  std::shared_ptr<const MailboxSnapshot> snap = store.snapshot(name);
  const MailboxStatus& st = snap->status;
  uint32_t prev = 0;
  for (const MessageInfo& m : snap->messages) {
    ++report.messages;
    if (m.uid <= prev) {
      report.findings.push_back(finding(CheckFinding::Kind::kCounters, name, m.uid,
                                        "UID out of order after UID " + std::to_string(prev)));
    }
    prev = m.uid;
    if (m.uid >= st.uidnext) {
      report.findings.push_back(finding(CheckFinding::Kind::kCounters, name, m.uid,
                                        "UIDNEXT " + std::to_string(st.uidnext) + " is not above the UID"));
    }
    if (m.modseq > st.highest_modseq) {
      report.findings.push_back(finding(CheckFinding::Kind::kCounters, name, m.uid,
                                        "MODSEQ " + std::to_string(m.modseq) + " is above HIGHESTMODSEQ " +
                                            std::to_string(st.highest_modseq)));
    }
    try {
      const uint64_t size = store.open_message(name, m.uid).size();
      if (size != m.size) {
        report.findings.push_back(finding(CheckFinding::Kind::kSizeMismatch, name, m.uid,
                                          "the message has " + std::to_string(size) + " octets, the index says " +
                                              std::to_string(m.size)));
      }
    } catch (const StoreError& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      // Expunged since the snapshot, or its content is gone: only the
      // second is a problem.
      if (store.snapshot(name)->find(m.uid)) {
        report.findings.push_back(
            finding(CheckFinding::Kind::kMissingFile, name, m.uid, "the message's content is missing"));
      }
    }
  }
}

}  // namespace

std::string CheckFinding::line() const {
  std::string out;
  if (!mailbox.empty()) {
    out = "mailbox " + mailbox;
    if (uid != 0) out += " uid " + std::to_string(uid);
    out += ": ";
  }
  out += problem;
  if (!action.empty()) out += "; " + action;
  return printable(out);
}

size_t CheckReport::unrepaired() const {
  size_t n = 0;
  for (const CheckFinding& f : findings) n += f.repaired ? 0 : 1;
  return n;
}

CheckReport UserStore::check(bool repair) {
  CheckReport report;
  for (const MailboxInfo& box : list_mailboxes()) {
    ++report.mailboxes;
    check_mailbox(*this, box.name, report);
  }
  if (repair && !report.findings.empty()) report.notes.push_back("this store cannot repair what was found");
  return report;
}

CheckReport Store::check_user(const std::string& name, bool repair) { return user(name)->check(repair); }

}  // namespace loft::store

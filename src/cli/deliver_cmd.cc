// loft deliver: local delivery of one message from stdin, usable as
// Postfix's mailbox_command. Exit codes follow sysexits(3).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "auth/auth.h"
#include "cli/commands.h"
#include "cli/privileges.h"
#include "cli/sysexits.h"
#include "lmtp/lmtp.h"
#include "util/ascii.h"
#include "store/store.h"

namespace loft::cli {
namespace {

int fail(int code, const std::string& msg) {
  std::cerr << "loft deliver: " << msg << "\n";
  return code;
}

// Reads stdin up to limit+1 bytes; returns false on a read error.
bool read_all(std::string& out, uint64_t limit) {
  char buf[65536];
  while (out.size() <= limit) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return true;
}

// An mbox "From sender date" line in front (procmail style) is not part of
// the message; its sender is the envelope sender when none was given.
std::string strip_from_line(std::string& msg) {
  if (msg.compare(0, 5, "From ") != 0) return {};
  auto eol = msg.find('\n');
  if (eol == std::string::npos) return {};
  std::string line = msg.substr(5, eol - 5);
  msg.erase(0, eol + 1);
  auto sp = line.find(' ');
  return line.substr(0, sp);
}

// Whether the message's header block has a field of this name.
bool has_header(std::string_view msg, std::string_view name) {
  size_t pos = 0;
  while (pos < msg.size()) {
    size_t eol = msg.find('\n', pos);
    std::string_view line = msg.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line.empty() || line == "\r") return false;  // end of the header
    if (line.size() > name.size() && line[name.size()] == ':' &&
        util::equals_ignore_case(line.substr(0, name.size()), name))
      return true;
    if (eol == std::string_view::npos) return false;
    pos = eol + 1;
  }
  return false;
}

}  // namespace

int run_deliver(const DeliverArgs& args) {
  Config config;
  try {
    config = args.source.load();
  } catch (const ConfigError& e) {
    return fail(kExitConfig, e.what());
  }
  std::string message;
  if (!read_all(message, config.max_message_size)) return fail(kExitTempFail, "cannot read the message from stdin");
  if (message.size() > config.max_message_size)
    return fail(kExitUnavailable, "message larger than the limit of " + std::to_string(config.max_message_size) +
                                      " bytes");
  std::string from_line_sender = strip_from_line(message);

  try {
    become_data_owner(config.data_dir);
    auto users = auth::UserDb::open(config.users_db());
    auto record = users->find(args.user);
    if (!record) return fail(kExitNoUser, "no such user '" + args.user + "'");

    auto store = store::open_maildir_store(config.store_options(4096));  // room for a Return-Path
    auto mail = store->user(record->name);

    std::string mailbox = args.mailbox.empty() ? "INBOX" : args.mailbox;
    // As Dovecot's LDA does: a missing target mailbox means INBOX.
    if (!mail->mailbox_exists(mailbox)) {
      std::cerr << "loft deliver: mailbox '" << mailbox << "' does not exist, delivering to INBOX\n";
      mailbox = "INBOX";
    }
    // Whoever hands the message over (Postfix's local(8), procmail) has
    // already written its trace fields; like Dovecot's LDA, add none, except
    // a Return-Path when the sender is known and the message has none.
    std::string sender = args.from;
    if (sender.empty() && getenv("SENDER")) sender = getenv("SENDER");
    if (sender.empty()) sender = from_line_sender;
    std::string trace;
    if (!sender.empty() && !has_header(message, "Return-Path")) {
      lmtp::TraceInfo info;
      info.sender = sender == "MAILER-DAEMON" ? std::string() : sender;
      info.add_received = false;
      trace = lmtp::trace_headers(info);
    }
    store::NewMessage msg;
    msg.pieces = {trace, message};
    mail->append(mailbox, msg);
    return kExitOk;
  } catch (const store::StoreError& e) {
    if (e.code() == store::ErrorCode::kTooLarge) return fail(kExitUnavailable, e.what());
    return fail(kExitTempFail, e.what());
  } catch (const std::exception& e) {
    return fail(kExitTempFail, e.what());
  }
}

}  // namespace loft::cli

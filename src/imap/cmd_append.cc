// APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502), APPENDUID (UIDPLUS,
// RFC 4315), APPENDLIMIT (RFC 7889) and BINARY's literal8 (RFC 3516),
// answered like Dovecot 2.3 (cmd-append.c):
//   a OK [APPENDUID <uidvalidity> <uid or uid set>] Append completed.
//   a NO [TRYCREATE] Mailbox doesn't exist: X
//   a NO Can't save a zero byte message.
//   a NO [TOOBIG] ...   before the literal's data is asked for (a {n+}
//                       literal is then read and thrown away by the reader)
//   a NO [LIMIT] ...    the same, when the literal does not fit in the room
//                       left in Options::message_memory (Loft's own)
// A MULTIAPPEND stores all its messages or none (store append_many(): one
// index transaction), and every message is durable before the OK. The
// messages of an APPEND to the selected mailbox are announced (EXISTS) by
// the sync step before the tagged OK.
//
// literal8 data is stored as sent, NULs included (the store keeps any
// octets); Dovecot converts binary MIME parts to base64 instead. An
// internal date more than two hours in the future is replaced by the
// current time, as Dovecot does.
#include <ctime>

#include "imap/append_args.h"
#include "imap/mailbox_name.h"
#include "imap/session.h"

namespace loft::imap {
namespace {

constexpr int64_t kMaxFutureSeconds = 2 * 3600;  // Dovecot's INTERNALDATE_MAX_FUTURE_SECS
constexpr std::string_view kTooBig =
    "NO [TOOBIG] Mail size is larger than the maximum size allowed by server configuration";
// Loft's own: the server's budget for messages being received is spent.
constexpr std::string_view kNoMemory =
    "NO [LIMIT] Too many messages are being received at once, try again later";

struct AppendResult {
  bool missing_mailbox = false;
  uint32_t uidvalidity = 0;
  std::vector<uint32_t> uids;
};

}  // namespace

CommandReader::LiteralVerdict ImapSession::check_literal(const CommandReader::LiteralRequest& r) {
  if (r.name != "APPEND" || r.uid || !r.args) return CommandReader::DefaultLiteralVerdict(r, reader_.options());
  // The first argument is the mailbox name (an astring, so possibly a
  // literal), not a message.
  if (r.args->size() == 1) return CommandReader::DefaultLiteralVerdict(r, reader_.options());
  CommandReader::LiteralVerdict v;
  if (std::optional<ArgError> e = CheckAppendBeforeData(*r.args, r.size, utf8_mode())) {
    v.accept = false;
    v.reply = ArgErrorStatusText("APPEND", *e);
  } else if (options_.append_limit != 0 && r.size > options_.append_limit) {
    v.accept = false;
    v.reply = kTooBig;
  } else if (!append_memory_.grow_to(append_memory_.held() + r.size)) {
    v.accept = false;
    v.reply = kNoMemory;
  }
  return v;
}

void ImapSession::cmd_append(const Command& cmd) {
  // The literals' data is moved out of the command, not copied.
  Parsed<AppendArgs> parsed = ParseAppendArgs(current_->args, utf8_mode());
  if (!parsed) return arg_error(cmd, parsed.error());
  auto args = std::make_shared<AppendArgs>(std::move(parsed.value()));
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  auto msgs = std::make_shared<std::vector<store::NewMessage>>();
  for (const AppendMessage& m : args->messages) {
    // The reader's hook refused these already; this guards other paths in.
    if (options_.append_limit != 0 && m.data.size() > options_.append_limit) return reply(cmd, kTooBig);
    store::NewMessage n;
    n.pieces.push_back(m.data);
    n.flags = m.flags.system;
    n.keywords = m.flags.keywords;
    if (m.internal_date && m.internal_date->utc <= now + kMaxFutureSeconds) {
      n.internal_date = m.internal_date->utc;
      n.internal_tz = m.internal_date->zone;
    }
    msgs->push_back(std::move(n));
  }

  std::shared_ptr<store::UserStore> mail = mail_;
  std::string name = args->mailbox;
  const bool into_selected = selected_ && NormalizeInbox(name) == selected_->name;
  blocking<AppendResult>(
      [mail, name, args, msgs] {
        AppendResult r;
        if (!mail->mailbox_exists(name)) {
          r.missing_mailbox = true;
          return r;
        }
        r.uidvalidity = mail->status(name).uidvalidity;
        r.uids = mail->append_many(name, *msgs);
        return r;
      },
      [this, name](Outcome<AppendResult>& o) {
        const Command& c = *current_;
        std::string encoded = EncodeMailboxName(name, utf8_mode());
        if (o.value && o.value->missing_mailbox) return finish(c, "NO [TRYCREATE] Mailbox doesn't exist: " + encoded);
        if (!o.value) {
          if (o.store_error && o.code == store::ErrorCode::kNotFound)
            return finish(c, "NO [TRYCREATE] Mailbox doesn't exist: " + encoded);
          return finish(c, store_failure(o.store_error, o.code, o.error, name, "appending to"));
        }
        if (selected_ && NormalizeInbox(name) == selected_->name) changes_pending_ = true;  // EXISTS, now
        finish(c, "OK [APPENDUID " + std::to_string(o.value->uidvalidity) + " " +
                      RangeList::FromNumbers(o.value->uids).ToString() + "] Append completed.");
      }, Lane::kStore, into_selected ? read_ahead() : ReadAhead());  // our own EXISTS, for the sync step
}

}  // namespace loft::imap

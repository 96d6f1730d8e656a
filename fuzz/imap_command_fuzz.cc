// IMAP command input: the CommandReader (tag, name, argument tree, literals,
// limits) fed in pieces, and every complete command handed to the typed
// argument parser its name calls for (FETCH, STORE, SEARCH, LIST, STATUS,
// SELECT, APPEND, ENABLE, ID, COPY/MOVE, UID EXPUNGE, mailbox names).
//
// Input: byte 0 = how the input is cut into pieces, byte 1 = option bits,
// the rest = the client's bytes.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "imap/append_args.h"
#include "imap/command_reader.h"
#include "imap/enable_args.h"
#include "imap/fetch_items.h"
#include "imap/id_params.h"
#include "imap/list_args.h"
#include "imap/mailbox_name.h"
#include "imap/mailbox_pattern.h"
#include "imap/search_keys.h"
#include "imap/select_params.h"
#include "imap/sequence_set.h"
#include "imap/status_items.h"
#include "imap/store_args.h"
#include "imap/uid_expunge_args.h"

namespace {

using loft::imap::Args;
using loft::imap::ArgSpan;
using loft::imap::Command;
using loft::imap::CommandReader;

void ParseTyped(Command& cmd, bool utf8, bool qresync) {
  ArgSpan args(cmd.args);
  const std::string& n = cmd.name;
  if (n == "FETCH") {
    auto f = loft::imap::ParseFetchArgs(args, cmd.uid, qresync);
    if (f) {
      for (const auto& item : f->items) FUZZ_CHECK(!item.name.empty());
      (void)f->sets_seen();
      (void)f->set.Resolve(100);
      (void)f->set.ResolveSequenceNumbers(100);
      (void)f->set.ToString();
    }
  } else if (n == "STORE") {
    (void)loft::imap::ParseStoreArgs(args, cmd.uid);
  } else if (n == "SEARCH") {
    auto p = loft::imap::ParseSearchArgs(args);
    if (p) (void)p->root.DebugString();
  } else if (n == "LIST" || n == "LSUB") {
    auto l = n == "LIST" ? loft::imap::ParseListArgs(args, utf8) : loft::imap::ParseLsubArgs(args, utf8);
    if (l) {
      std::vector<std::string> patterns;
      for (const auto& p : l->patterns) patterns.push_back(loft::imap::CombineReference(l->reference, p, '/'));
      loft::imap::MailboxPattern pattern(patterns, '/');
      for (const char* name : {"INBOX", "INBOX/a/b", "a", "a/b", "Sent Items", "x/y/z/%"}) {
        (void)pattern.matches(name);
        (void)pattern.may_match_children(name);
      }
    }
  } else if (n == "STATUS") {
    auto s = loft::imap::ParseStatusArgs(args, utf8);
    if (s) (void)loft::imap::StatusItemNames(s->items);
  } else if (n == "SELECT" || n == "EXAMINE") {
    (void)loft::imap::ParseSelectArgs(args, utf8, qresync);
  } else if (n == "APPEND") {
    auto a = loft::imap::ParseAppendArgs(cmd.args, utf8);
    if (a) FUZZ_CHECK(!a->messages.empty());
  } else if (n == "ENABLE") {
    (void)loft::imap::ParseEnableArgs(args);
  } else if (n == "ID") {
    auto ids = loft::imap::ParseIdParams(args);
    FUZZ_CHECK(ids.size() <= 30);
  } else if (n == "EXPUNGE" && cmd.uid) {
    (void)loft::imap::ParseUidExpungeArgs(args);
  } else if (n == "COPY" || n == "MOVE") {
    if (!args.empty()) (void)loft::imap::ParseSetArg(args[0], cmd.uid);
    if (args.size() > 1) (void)loft::imap::ParseMailboxName(args[1], utf8);
  } else if (n == "CREATE" || n == "DELETE" || n == "SUBSCRIBE" || n == "UNSUBSCRIBE" || n == "RENAME") {
    for (const auto& arg : args) {
      auto name = loft::imap::ParseMailboxName(arg, utf8);
      if (name) (void)loft::imap::EncodeMailboxName(*name, utf8);
    }
  }
  for (const auto& arg : cmd.args) (void)arg.DebugString();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loft::fuzz::Input in(data, size);
  uint8_t cut = in.byte();
  uint8_t bits = in.byte();
  const bool utf8 = bits & 1, qresync = bits & 2;

  CommandReader::Options options;
  // Small limits, so that the fuzzer reaches them.
  options.max_line_length = 512;
  options.max_literal_size = 256;
  options.max_command_size = 2048;
  options.max_depth = 8;
  options.max_args = 64;
  options.max_discard = 1024;
  options.literal_minus = bits & 4;
  CommandReader::Hooks hooks;
  if (bits & 8) {
    // The session's APPEND policy: flags, date and size checked before the data.
    hooks.check_literal = [utf8](const CommandReader::LiteralRequest& r) {
      CommandReader::LiteralVerdict v;
      if (r.name == "APPEND" && r.args) {
        if (auto err = loft::imap::CheckAppendBeforeData(*r.args, r.size, utf8)) {
          v.accept = false;
          v.reply = loft::imap::ArgErrorStatusText("APPEND", *err);
        }
      } else if (r.size > 256) {
        v.accept = false;
        v.reply = "BAD Error in IMAP command " + std::string(r.name) + ": Literal size too large";
      }
      return v;
    };
    hooks.is_known = [](const CommandReader::CommandHead& h) { return h.name != "XUNKNOWN"; };
  }
  CommandReader reader(options, hooks);

  std::string buffer;
  size_t statuses = 0;
  bool closed = false;
  loft::fuzz::ForEachPiece(in.rest(), cut, [&](std::string_view piece) {
    if (closed) return;
    buffer.append(piece);
    for (;;) {
      CommandReader::Status s = reader.read(buffer);
      if (s == CommandReader::Status::kNeedMore) {
        // Everything usable was consumed, and the reader's own buffer is bounded.
        FUZZ_CHECK(buffer.empty());
        FUZZ_CHECK(reader.buffered() <= options.max_line_length + options.max_command_size + 64);
        return;
      }
      // Every other status answers at least one octet of input: no endless loop.
      FUZZ_CHECK(++statuses <= size + 8);
      if (s == CommandReader::Status::kCommand) {
        Command cmd = reader.take_command();
        FUZZ_CHECK(!cmd.tag.empty());
        ParseTyped(cmd, utf8, qresync);
      } else {
        const std::string& reply = reader.reply();
        FUZZ_CHECK(reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\r\n") == 0);
        FUZZ_CHECK(reply.find('\n') == reply.size() - 1);  // one line
        if (s == CommandReader::Status::kReply && reader.fatal()) {
          closed = true;
          return;
        }
      }
    }
  });
  return 0;
}

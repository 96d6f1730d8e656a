#include "imap/append_args.h"

#include "imap/mailbox_name.h"

namespace loft::imap {
namespace {

// One message's optional flags and date before its literal at args[*i];
// advances *i to the literal.
std::optional<ArgError> ParseMessageHead(ArgSpan args, size_t* i, AppendMessage* msg) {
  const Arg* flags = nullptr;
  const Arg* date = nullptr;
  if (*i < args.size() && args[*i].is_list()) flags = &args[(*i)++];
  if (*i < args.size() && args[*i].is_string()) date = &args[(*i)++];
  if (*i >= args.size() || !args[*i].is_literal()) return ArgError::Bad("Invalid arguments");
  if (flags) {
    Parsed<FlagSet> f = ParseFlags(flags->list());
    if (!f) return f.error();
    if (msg) msg->flags = std::move(f.value());
  }
  if (date) {
    std::optional<DateTime> dt = ParseImapDateTime(date->text());
    if (!dt) return ArgError::Bad("Invalid internal date");
    if (msg) msg->internal_date = *dt;
  }
  return std::nullopt;
}

}  // namespace

Parsed<AppendArgs> ParseAppendArgs(Args& args, bool utf8_mode, char separator) {
  if (args.empty() || !args[0].astring()) return ArgError::Bad("Invalid arguments");
  // Dovecot resolves the mailbox before it looks at the messages.
  Parsed<std::string> name = ParseMailboxName(args[0], utf8_mode, separator);
  if (!name) return name.error();
  if (args.size() == 1) return ArgError::Bad("Missing message size");
  AppendArgs out;
  out.mailbox = std::move(name.value());
  size_t i = 1;
  while (i < args.size()) {
    AppendMessage msg;
    if (std::optional<ArgError> e = ParseMessageHead(args, &i, &msg)) return *e;
    Arg& literal = args[i++];
    if (literal.text().empty()) return ArgError::No("Can't save a zero byte message");
    msg.binary = literal.literal8();
    msg.data = std::move(literal.mutable_text());
    out.messages.push_back(std::move(msg));
  }
  return out;
}

std::optional<ArgError> CheckAppendBeforeData(ArgSpan args, uint64_t literal_size, bool utf8_mode, char separator) {
  if (args.size() < 2 || !args[0].astring() || !args.back().is_literal()) return ArgError::Bad("Invalid arguments");
  Parsed<std::string> name = ParseMailboxName(args[0], utf8_mode, separator);
  if (!name) return name.error();
  // Walk the earlier messages to find where the announced one starts.
  size_t i = 1;
  for (;;) {
    if (std::optional<ArgError> e = ParseMessageHead(args, &i, nullptr)) return e;
    if (i + 1 == args.size()) break;  // args[i] is the announced literal
    ++i;
  }
  if (literal_size == 0) return ArgError::No("Can't save a zero byte message");
  return std::nullopt;
}

}  // namespace loft::imap

#include "imap/command_reader.h"

#include <algorithm>
#include <utility>

namespace loft::imap {
namespace {

// RFC 7888: with LITERAL- a non-synchronising literal may not exceed this.
constexpr uint64_t kLiteralMinusMax = 4096;
// Bytes kept of a line being skipped, enough to see "{<size>+}" at its end.
constexpr size_t kTailKeep = 64;
// A literal's buffer grows with its data rather than with its announcement.
constexpr size_t kMaxReserve = 64 * 1024;

// A tag: 1*<any ASTRING-CHAR except "+">. Like Dovecot 2.3, ']' is refused
// and DEL accepted.
bool IsValidTag(std::string_view tag) {
  if (tag.empty()) return false;
  for (char c : tag) {
    if (c == '+' || !(IsAtomChar(static_cast<unsigned char>(c)) || c == 0x7f)) return false;
  }
  return true;
}

bool IsValidCommandName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(IsAtomChar(static_cast<unsigned char>(c)) || c == 0x7f)) return false;
  }
  return true;
}

// The word starting at `pos`, ending at a space, a CR or the end.
std::string_view WordAt(std::string_view line, size_t pos) {
  if (pos >= line.size()) return {};
  size_t end = line.find_first_of(" \r", pos);
  if (end == std::string_view::npos) end = line.size();
  return line.substr(pos, end - pos);
}

// The text of a refusal without its status word ("NO [TOOBIG] x" -> "[TOOBIG] x"),
// for the "* BYE" that replaces it when the literal cannot be skipped.
// "BAD Error in IMAP command X: text" -> "text".
std::string WithoutStatusWord(std::string_view reply) {
  size_t sp = reply.find(' ');
  std::string_view text = sp == std::string_view::npos ? reply : reply.substr(sp + 1);
  constexpr std::string_view kPrefix = "Error in IMAP command ";
  if (text.substr(0, kPrefix.size()) == kPrefix) {
    size_t colon = text.find(": ");
    if (colon != std::string_view::npos) text = text.substr(colon + 2);
  }
  return std::string(text);
}

}  // namespace

std::optional<ArgTreeBuilder::LiteralHeader> TrailingLiteral(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  ArgTreeBuilder::LiteralHeader h;
  size_t end = line.size() - 1;  // the '}'
  if (end > 0 && line[end - 1] == '+') {
    h.nonsync = true;
    --end;
  }
  size_t begin = end;
  while (begin > 0 && line[begin - 1] >= '0' && line[begin - 1] <= '9') --begin;
  if (begin == 0 || line[begin - 1] != '{') return std::nullopt;
  h.literal8 = begin >= 2 && line[begin - 2] == '~';
  constexpr uint64_t kMax = (uint64_t{1} << 63) - 1;
  for (size_t i = begin; i < end; ++i) {
    unsigned digit = static_cast<unsigned>(line[i] - '0');
    if (h.size > (kMax - digit) / 10) {
      h.overflow = true;
      break;
    }
    h.size = h.size * 10 + digit;
  }
  return h;
}

CommandReader::CommandReader(Options options) : CommandReader(std::move(options), Hooks()) {}

CommandReader::CommandReader(Options options, Hooks hooks)
    : options_(std::move(options)),
      hooks_(std::move(hooks)),
      builder_(options_.max_depth, options_.max_args) {}

std::string CommandReader::BadReply(std::string_view tag, std::string_view display_name, std::string_view text) {
  std::string out;
  if (tag.empty()) {
    out = "* BAD Error in IMAP tag: ";
  } else {
    out.append(tag);
    if (display_name.empty()) {
      out += " BAD Error in IMAP command: ";
    } else {
      out += " BAD Error in IMAP command ";
      out.append(display_name);
      out += ": ";
    }
  }
  out.append(text);
  out += "\r\n";
  return out;
}

CommandReader::LiteralVerdict CommandReader::DefaultLiteralVerdict(const LiteralRequest& request,
                                                                   const Options& options) {
  std::string name = request.uid ? "UID " + std::string(request.name) : std::string(request.name);
  if (request.size > options.max_literal_size) {
    return {false, "BAD Error in IMAP command " + name + ": Literal size too large"};
  }
  return {};
}

void CommandReader::reset() {
  state_ = State::kLine;
  reply_.clear();
  command_ = Command{};
  line_.clear();
  tail_.clear();
  skipped_ = 0;
  remaining_ = 0;
  start_command();
}

void CommandReader::start_command() {
  have_head_ = false;
  tag_.clear();
  name_.clear();
  uid_ = false;
  text_octets_ = 0;
  literal_octets_ = 0;
  literal_count_ = 0;
  literal_ = nullptr;
  builder_.reset();
}

size_t CommandReader::buffered() const {
  size_t held = line_.size() + tail_.size();
  if (have_head_) held += static_cast<size_t>(literal_octets_ - (state_ == State::kLiteralData ? remaining_ : 0));
  return held;
}

std::string CommandReader::display_name() const { return uid_ ? "UID " + name_ : name_; }

size_t CommandReader::line_budget() const {
  if (text_octets_ >= options_.max_line_length) return 0;
  return options_.max_line_length - static_cast<size_t>(text_octets_);
}

CommandReader::Status CommandReader::read(std::string& input) {
  size_t used = 0;
  Status status = Status::kNeedMore;
  while (status == Status::kNeedMore) {
    if (state_ == State::kClosed) {
      used = input.size();  // nothing more is read on a closing connection
      break;
    }
    std::string_view avail(input.data() + used, input.size() - used);
    if (avail.empty()) break;
    switch (state_) {
      case State::kLine: {
        const size_t budget = line_budget();
        const size_t room = budget + 1 > line_.size() ? budget + 1 - line_.size() : 0;
        size_t lf = avail.find('\n');
        if (lf == std::string_view::npos || line_.size() + lf > budget) {
          size_t take = std::min(lf == std::string_view::npos ? avail.size() : lf, room);
          line_.append(avail.substr(0, take));
          used += take;
          if (line_.size() > budget) status = too_long();
          break;
        }
        line_.append(avail.substr(0, lf));
        used += lf + 1;
        text_octets_ += line_.size() + 1;
        std::string line = std::move(line_);
        line_.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        status = on_line(line);
        break;
      }
      case State::kLiteralData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, avail.size()));
        literal_->append(avail.data(), take);
        used += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kLine;
        break;
      }
      case State::kSkipLiteral: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, avail.size()));
        used += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kSkipLine;
        break;
      }
      case State::kSkipLine: {
        size_t lf = avail.find('\n');
        size_t take = lf == std::string_view::npos ? avail.size() : lf;
        std::string_view piece = avail.substr(0, take);
        if (piece.size() >= kTailKeep) {
          tail_.assign(piece.substr(piece.size() - kTailKeep));
        } else {
          tail_.append(piece);
          if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
        }
        skipped_ += take;
        used += take;
        if (lf == std::string_view::npos) {
          if (skipped_ > options_.max_discard) status = close_with("* BYE Too long argument\r\n");
          break;
        }
        ++used;  // the LF
        if (!tail_.empty() && tail_.back() == '\r') tail_.pop_back();
        std::optional<ArgTreeBuilder::LiteralHeader> lit = TrailingLiteral(tail_);
        tail_.clear();
        skipped_ = 0;
        if (lit && lit->nonsync && (lit->size > 0 || lit->overflow)) {
          // The client sends this literal without waiting: skip it as well.
          if (lit->overflow || lit->size > options_.max_discard) {
            status = close_with("* BYE Literal size too large\r\n");
          } else {
            remaining_ = lit->size;
            state_ = State::kSkipLiteral;
          }
        } else {
          start_command();
          state_ = State::kLine;
        }
        break;
      }
      case State::kClosed:
        break;
    }
  }
  input.erase(0, used);
  return status;
}

CommandReader::Status CommandReader::on_line(std::string_view line) {
  std::string_view rest = line;
  if (!have_head_) {
    Status st = parse_head(line, &rest);
    if (!have_head_) return st;
  }
  return continue_args(rest);
}

CommandReader::Status CommandReader::parse_head(std::string_view line, std::string_view* rest) {
  size_t sp = line.find(' ');
  std::string_view tag = line.substr(0, sp);
  if (!IsValidTag(tag)) return fail_line(BadReply("", "", "Invalid tag"), line);
  tag_.assign(tag);
  if (sp == std::string_view::npos) return fail_line(BadReply(tag_, "", "Invalid command name"), line);

  size_t pos = sp + 1;
  std::string_view name = WordAt(line, pos);
  if (!IsValidCommandName(name)) return fail_line(BadReply(tag_, "", "Invalid command name"), line);
  pos += name.size();
  if (EqualsIgnoreCase(name, "UID")) {
    if (pos >= line.size() || line[pos] != ' ') return fail_line(BadReply(tag_, "", "Invalid command name"), line);
    name = WordAt(line, ++pos);
    if (!IsValidCommandName(name)) return fail_line(BadReply(tag_, "", "Invalid command name"), line);
    pos += name.size();
    uid_ = true;
  }
  name_ = AsciiUpper(name);
  const CommandHead head{tag_, name_, uid_};
  if (hooks_.is_known && !hooks_.is_known(head)) {
    return fail_line(BadReply(tag_, display_name(), "Unknown command"), line);
  }
  builder_.set_literal8_allowed(hooks_.allows_literal8 ? hooks_.allows_literal8(head) : name_ == "APPEND");
  if (pos < line.size() && line[pos] == ' ') ++pos;
  *rest = line.substr(pos);
  have_head_ = true;
  return Status::kNeedMore;
}

CommandReader::Status CommandReader::continue_args(std::string_view text) {
  ArgTreeBuilder::Result r = builder_.parse_segment(text);
  switch (r.kind) {
    case ArgTreeBuilder::Result::Kind::kError:
      return fail_line(BadReply(tag_, display_name(), r.error), text);
    case ArgTreeBuilder::Result::Kind::kLiteral:
      return on_literal(r.literal);
    case ArgTreeBuilder::Result::Kind::kEnd:
      break;
  }
  command_ = Command{};
  command_.tag = std::move(tag_);
  command_.name = std::move(name_);
  command_.uid = uid_;
  command_.args = builder_.take();
  command_.literal_octets = literal_octets_;
  start_command();
  return Status::kCommand;
}

CommandReader::Status CommandReader::on_literal(const ArgTreeBuilder::LiteralHeader& h) {
  const std::string name = display_name();
  auto refuse = [&](std::string reply, std::string_view bye_text) {
    if (!h.nonsync) {
      // The client waits for "+" and will not send the data: the command
      // simply ends here.
      reply_ = std::move(reply);
      start_command();
      state_ = State::kLine;
      return Status::kReply;
    }
    return refuse_nonsync(std::move(reply), h.size, bye_text);
  };

  if (h.overflow) {
    if (!h.nonsync) return refuse(BadReply(tag_, name, "Literal size too large"), "");
    return close_with("* BYE Literal size too large\r\n");
  }
  if (options_.literal_minus && h.nonsync && h.size > kLiteralMinusMax) {
    // RFC 7888 section 5: refused, with TOOBIG for APPEND.
    constexpr std::string_view kText = "Non-synchronizing literal size too large";
    std::string reply = name_ == "APPEND"
                            ? tag_ + " BAD [TOOBIG] Error in IMAP command " + name + ": " + std::string(kText) + "\r\n"
                            : BadReply(tag_, name, kText);
    return refuse_nonsync(std::move(reply), h.size, "[TOOBIG] " + std::string(kText));
  }
  if (text_octets_ + literal_octets_ + h.size > options_.max_command_size) {
    return refuse(BadReply(tag_, name, "Literal size too large"), "Literal size too large");
  }
  LiteralRequest req;
  req.tag = tag_;
  req.name = name_;
  req.uid = uid_;
  req.size = h.size;
  req.nonsync = h.nonsync;
  req.literal8 = h.literal8;
  req.index = literal_count_;
  req.args = &builder_.root();
  LiteralVerdict verdict = hooks_.check_literal ? hooks_.check_literal(req) : DefaultLiteralVerdict(req, options_);
  if (!verdict.accept) {
    if (verdict.reply.empty()) verdict.reply = "BAD Error in IMAP command " + name + ": Literal size too large";
    std::string bye = WithoutStatusWord(verdict.reply);
    return refuse(tag_ + " " + verdict.reply + "\r\n", bye);
  }

  literal_ = &builder_.literal_target();
  literal_->reserve(static_cast<size_t>(std::min<uint64_t>(h.size, kMaxReserve)));
  remaining_ = h.size;
  literal_octets_ += h.size;
  ++literal_count_;
  state_ = h.size == 0 ? State::kLine : State::kLiteralData;
  if (!h.nonsync) {
    reply_ = options_.continuation;
    return Status::kContinue;
  }
  return Status::kNeedMore;
}

CommandReader::Status CommandReader::refuse_nonsync(std::string reply, uint64_t size, std::string_view bye_text) {
  if (size > options_.max_discard) {
    return close_with("* BYE " + std::string(bye_text.empty() ? "Literal size too large" : bye_text) + "\r\n");
  }
  reply_ = std::move(reply);
  start_command();
  remaining_ = size;
  // The literal's data, then whatever follows it on the same line.
  state_ = size > 0 ? State::kSkipLiteral : State::kSkipLine;
  return Status::kReply;
}

CommandReader::Status CommandReader::fail_line(std::string reply, std::string_view line) {
  reply_ = std::move(reply);
  start_command();
  std::optional<ArgTreeBuilder::LiteralHeader> lit = TrailingLiteral(line);
  if (lit && lit->nonsync && (lit->size > 0 || lit->overflow)) {
    if (lit->overflow || lit->size > options_.max_discard) {
      return close_with("* BYE Literal size too large\r\n");
    }
    remaining_ = lit->size;
    state_ = State::kSkipLiteral;
    return Status::kReply;
  }
  state_ = State::kLine;
  return Status::kReply;
}

CommandReader::Status CommandReader::too_long() {
  std::string reply;
  if (have_head_) {
    reply = BadReply(tag_, display_name(), "Too long argument");
  } else {
    // Name what can be recognised at the start of the line, like Dovecot,
    // which has read the tag and name words by then.
    std::string_view line = line_;
    size_t sp = line.find(' ');
    std::string_view tag = sp == std::string_view::npos ? std::string_view() : line.substr(0, sp);
    std::string name;
    if (IsValidTag(tag)) {
      size_t end = line.find(' ', sp + 1);
      std::string_view word = end == std::string_view::npos ? std::string_view() : line.substr(sp + 1, end - sp - 1);
      if (IsValidCommandName(word)) {
        name = AsciiUpper(word);
        if (name == "UID") {
          size_t end2 = line.find(' ', end + 1);
          std::string_view word2 =
              end2 == std::string_view::npos ? std::string_view() : line.substr(end + 1, end2 - end - 1);
          name = IsValidCommandName(word2) ? "UID " + AsciiUpper(word2) : std::string();
        }
      }
    } else {
      tag = {};
    }
    reply = BadReply(tag, name, "Too long argument");
  }
  std::string_view line = line_;
  tail_.assign(line.substr(line.size() > kTailKeep ? line.size() - kTailKeep : 0));
  skipped_ = line_.size();
  line_.clear();
  line_.shrink_to_fit();
  start_command();
  reply_ = std::move(reply);
  state_ = State::kSkipLine;
  return Status::kReply;
}

CommandReader::Status CommandReader::close_with(std::string_view bye_line) {
  reply_.assign(bye_line);
  line_.clear();
  line_.shrink_to_fit();
  tail_.clear();
  start_command();
  state_ = State::kClosed;
  return Status::kReply;
}

}  // namespace loft::imap

// The IMAP command reader: pulls one complete command (tag, name, argument
// tree with literals) out of a session's input buffer, incrementally and
// within fixed bounds. Sans-IO: it never writes; it tells the session what to
// send.
//
// Use from net::Session::on_input:
//
//   for (;;) {
//     switch (reader.read(buffer)) {
//       case Status::kNeedMore: return;                      // wait for input
//       case Status::kContinue: host.write(reader.reply()); break;  // "+ OK"
//       case Status::kReply:                                 // an error line
//         host.write(reader.reply());
//         if (reader.fatal()) { host.close(); return; }
//         break;                                             // (counts as BAD)
//       case Status::kCommand: run(reader.take_command()); return;
//     }
//   }
//
// read() consumes from the front of the buffer. It keeps partial lines in its
// own bounded buffer (so the host's buffer never fills up) and stops right
// after a complete command, leaving pipelined commands in the buffer; do not
// call it again until that command has finished (pause the input meanwhile).
//
// Differences from Dovecot, deliberate: a refused synchronising literal gets
// a tagged BAD/NO and the connection goes on (Dovecot says "* BYE Literal
// size too large" and closes); a refused non-synchronising literal is
// skipped rather than taken for commands; literal size and tag/name checks
// happen when the whole line is there, so "{5}x" is refused before "+ OK".
//
// Literals:
//  - {n} (synchronising): before asking for the data the reader checks the
//    literal (see below) and returns kContinue with "+ OK\r\n" (or a tagged
//    rejection as kReply: the client then does not send the data);
//  - {n+} (LITERAL+) and ~{n} (BINARY literal8) are consumed directly; with
//    Options::literal_minus (LITERAL-) a non-synchronising literal above 4096
//    octets is refused. A refused non-synchronising literal is read and
//    thrown away (never buffered), up to Options::max_discard octets; above
//    that, or when its size does not even fit in 63 bits, the reply is a
//    fatal "* BYE".
//  - The check: the total command size, then Hooks::check_literal (the
//    session knows per command, e.g. APPEND up to APPENDLIMIT with "NO
//    [TOOBIG]", anything else Options::max_literal_size; LiteralRequest::args
//    lets APPEND refuse bad flags or dates before the data, see
//    CheckAppendBeforeData) or, without a hook, DefaultLiteralVerdict().
//  - literal8 only where Hooks::allows_literal8 says (default: APPEND).
//
// Errors follow Dovecot 2.3 (texts and reply forms):
//   "* BAD Error in IMAP tag: Invalid tag"
//   "a BAD Error in IMAP command: Invalid command name"
//   "a BAD Error in IMAP command FOO: Unknown command"   (Hooks::is_known)
//   "a BAD Error in IMAP command SELECT: Missing ')'"    (and every tokeniser
//      text: Unexpected ')', Missing '"', NULs not allowed in strings, Invalid
//      characters in atom, 8bit data in atom, CR sent without LF, Invalid
//      literal size, Expecting '}' after '+', Missing LF after literal size,
//      literal8 not allowed here, Literal size too large)
//   "a BAD Error in IMAP command SELECT: Too long argument"  (a line without
//      LF beyond Options::max_line_length; the rest of the line is skipped
//      without being buffered, and a non-synchronising literal announced at
//      its end is skipped too)
// After a non-fatal kReply the rest of the offending line is skipped and the
// reader continues with the next command. Beyond Dovecot: a bound on list
// nesting ("Too deeply nested lists") and on the argument count ("Too many
// arguments").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "imap/arg_tree_builder.h"
#include "imap/args.h"

namespace loft::imap {

struct Command {
  std::string tag;
  std::string name;  // upper case, without "UID "
  bool uid = false;  // "UID FETCH ..." etc.
  Args args;
  uint64_t literal_octets = 0;  // sum of the literals' sizes

  // "FETCH" or "UID FETCH", as Dovecot names the command in errors.
  std::string display_name() const { return uid ? "UID " + name : name; }
};

class CommandReader {
 public:
  struct Options {
    // Command text, literal data excluded, summed over all of a command's
    // lines (Dovecot's imap_max_line_length).
    size_t max_line_length = 64 * 1024;
    // Largest literal accepted by DefaultLiteralVerdict().
    uint64_t max_literal_size = 64 * 1024;
    // Text plus literal data of one command (MULTIAPPEND included).
    uint64_t max_command_size = uint64_t{64} << 20;
    size_t max_depth = 100;   // nested parenthesised lists
    size_t max_args = 10000;  // arguments of one command, list elements included
    // A refused non-synchronising literal or an over-long line is skipped
    // up to this many octets; beyond it the connection is closed (* BYE).
    uint64_t max_discard = uint64_t{64} << 20;
    // LITERAL- (RFC 7888) instead of LITERAL+: {n+} only up to 4096 octets.
    bool literal_minus = false;
    std::string continuation = "+ OK\r\n";
  };

  struct CommandHead {
    std::string_view tag;
    std::string_view name;  // upper case, without "UID "
    bool uid = false;
  };
  struct LiteralRequest {
    std::string_view tag;
    std::string_view name;  // upper case, without "UID "
    bool uid = false;
    uint64_t size = 0;
    bool nonsync = false;   // {n+}: the data comes whatever the answer
    bool literal8 = false;  // ~{n}
    size_t index = 0;       // 0 for the command's first literal
    // The command's arguments so far; the announced literal is the last
    // (still empty) one. Lets APPEND check flags and date before the data
    // comes (see CheckAppendBeforeData in append_args.h).
    const Args* args = nullptr;
  };
  struct LiteralVerdict {
    bool accept = true;
    // When refused: the reply after the tag, e.g. "NO [TOOBIG] Mail too
    // large" or "BAD Error in IMAP command APPEND: Literal size too large".
    std::string reply;
  };
  struct Hooks {
    // Whether a command name exists; unknown commands get "Unknown command"
    // before any argument (or literal) is read. Null: everything is known.
    std::function<bool(const CommandHead&)> is_known = nullptr;
    // The literal policy. Null: DefaultLiteralVerdict(request, options).
    std::function<LiteralVerdict(const LiteralRequest&)> check_literal = nullptr;
    // Whether the command takes literal8 (~{n}). Null: only APPEND (BINARY,
    // RFC 3516). Elsewhere "~{" is "literal8 not allowed here".
    std::function<bool(const CommandHead&)> allows_literal8 = nullptr;
  };

  enum class Status {
    kNeedMore,  // everything usable was consumed: call again with more input
    kCommand,   // a command is complete: take_command()
    kContinue,  // send reply() (the continuation request), then call read() again
    kReply,     // send reply(); close after it when fatal(), else call read() again
  };

  CommandReader() : CommandReader(Options{}) {}
  explicit CommandReader(Options options);
  CommandReader(Options options, Hooks hooks);

  Status read(std::string& input);
  // The command after kCommand (moved out).
  Command take_command() { return std::move(command_); }
  // The line to send after kContinue / kReply, CRLF included.
  const std::string& reply() const { return reply_; }
  // The last kReply was "* BYE ...": the session must close the connection.
  bool fatal() const { return state_ == State::kClosed; }
  // Forgets everything (e.g. after STARTTLS, when buffered input is dropped).
  void reset();
  // Octets held in the reader's own buffers (partial line, literal so far).
  size_t buffered() const;

  const Options& options() const { return options_; }
  void set_literal_minus(bool on) { options_.literal_minus = on; }

  // The policy used without Hooks::check_literal: sizes up to
  // options.max_literal_size, else "Literal size too large".
  static LiteralVerdict DefaultLiteralVerdict(const LiteralRequest& request, const Options& options);
  // "<tag> BAD Error in IMAP command <NAME>: <text>\r\n", with Dovecot's
  // forms for a missing tag ("* BAD Error in IMAP tag: ...") or name.
  static std::string BadReply(std::string_view tag, std::string_view display_name, std::string_view text);

 private:
  enum class State { kLine, kLiteralData, kSkipLine, kSkipLiteral, kClosed };

  Status on_line(std::string_view line);
  Status parse_head(std::string_view line, std::string_view* rest);
  Status continue_args(std::string_view text);
  Status on_literal(const ArgTreeBuilder::LiteralHeader& header);
  Status fail_line(std::string reply, std::string_view line);
  Status refuse_nonsync(std::string reply, uint64_t size, std::string_view bye_text);
  Status close_with(std::string_view bye_line);
  Status too_long();
  void start_command();
  std::string display_name() const;
  size_t line_budget() const;

  Options options_;
  Hooks hooks_;
  State state_ = State::kLine;
  std::string reply_;
  Command command_;

  // The command in progress.
  bool have_head_ = false;
  std::string tag_;
  std::string name_;
  bool uid_ = false;
  uint64_t text_octets_ = 0;     // command text so far, line ends included
  uint64_t literal_octets_ = 0;  // literal data so far
  size_t literal_count_ = 0;
  ArgTreeBuilder builder_;

  std::string line_;             // the current line, without its LF
  std::string* literal_ = nullptr;  // kLiteralData target
  uint64_t remaining_ = 0;       // kLiteralData / kSkipLiteral octets left
  std::string tail_;             // kSkipLine: the last octets of the skipped line
  uint64_t skipped_ = 0;         // kSkipLine: octets skipped on this line
};

// The literal announced at the very end of a line ("... {12+}"), if any.
std::optional<ArgTreeBuilder::LiteralHeader> TrailingLiteral(std::string_view line);

}  // namespace loft::imap

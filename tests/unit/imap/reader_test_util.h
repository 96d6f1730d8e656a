// Drives a CommandReader the way a session does, recording what it would send.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "imap/command_reader.h"

namespace loft::imap::testing {

struct Transcript {
  std::string sent;               // continuations and error replies, in order
  std::vector<Command> commands;  // complete commands, in order
  bool closed = false;            // a fatal "* BYE" was sent
  size_t max_buffered = 0;        // the most the reader held at once
  std::string left;               // input not consumed (after a close)
};

// Feeds `input` in pieces of `chunk` octets; every complete command is taken
// at once (as if executed immediately).
inline Transcript Feed(CommandReader& reader, const std::string& input, size_t chunk = 0) {
  Transcript t;
  if (chunk == 0) chunk = std::max<size_t>(input.size(), 1);
  std::string buffer;
  for (size_t pos = 0; pos < input.size() && !t.closed; pos += chunk) {
    buffer.append(input, pos, chunk);
    for (;;) {
      CommandReader::Status st = reader.read(buffer);
      t.max_buffered = std::max(t.max_buffered, reader.buffered());
      if (st == CommandReader::Status::kNeedMore) break;
      if (st == CommandReader::Status::kCommand) {
        t.commands.push_back(reader.take_command());
        continue;
      }
      t.sent += reader.reply();
      if (st == CommandReader::Status::kReply && reader.fatal()) {
        t.closed = true;
        break;
      }
    }
  }
  t.left = buffer;
  return t;
}

inline Transcript Feed(const std::string& input, size_t chunk = 0) {
  CommandReader reader;
  return Feed(reader, input, chunk);
}

// The argument tree of "<args_text>" as the reader builds it for a command
// (synchronising literals are answered automatically). Fails the test when
// the text does not form a complete command.
inline Args ArgsOf(const std::string& args_text) {
  CommandReader::Hooks accept_all;
  accept_all.check_literal = [](const CommandReader::LiteralRequest&) { return CommandReader::LiteralVerdict{}; };
  accept_all.allows_literal8 = [](const CommandReader::CommandHead&) { return true; };
  CommandReader reader(CommandReader::Options{}, accept_all);
  Transcript t = Feed(reader, "t X " + args_text + "\r\n");
  if (t.commands.size() != 1) {
    ADD_FAILURE() << "not one command: " << args_text << " -> " << t.sent;
    return {};
  }
  return std::move(t.commands[0].args);
}

}  // namespace loft::imap::testing

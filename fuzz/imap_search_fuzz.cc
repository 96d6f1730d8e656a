// The SEARCH grammar: "a SEARCH <input>" through the CommandReader, the
// program parsed (ParseSearchArgs / ParseSearchKeys) and evaluated over three
// fixed messages (flags, sizes, dates, headers, bodies), plus the date
// parsers SEARCH uses (IMAP dates, the Date: header).
//
// Input: byte 0 = option bits, then one line for the date parsers, then the
// search arguments (literals "{n+}" allowed).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "imap/command_reader.h"
#include "imap/dates.h"
#include "imap/search_date.h"
#include "imap/search_eval.h"
#include "imap/search_keys.h"
#include "mime/message.h"

namespace {

using namespace loft::imap;

const char* const kMessages[] = {
    "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Hello =?UTF-8?Q?w=C3=B6rld?=\r\n"
    "Date: Tue, 1 Feb 2022 10:00:00 +0100\r\n\r\nHi Bob,\r\nthe report is attached.\r\n",
    "From: \"Carol\" <carol@example.net>\r\nSubject: Re: report\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n--b\r\nContent-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nPGI+Ym9sZDwvYj4=\r\n--b--\r\n",
    "Subject: no date\r\nX-Custom: value\r\n\r\nbody\r\n",
};

class FixedSource : public MessageSource {
 public:
  std::vector<LoadedMessage> Load(std::span<const uint32_t> uids, bool whole) override {
    std::vector<LoadedMessage> out;
    for (uint32_t uid : uids) {
      size_t i = uid / 10 - 1;  // UIDs 10, 20, 30
      if (uid % 10 != 0 || i >= std::size(kMessages)) continue;
      LoadedMessage m;
      m.uid = uid;
      m.data = kMessages[i];
      m.tree = loft::mime::ParseMessage(m.data);
      out.push_back(std::move(m));
    }
    return out;
  }
};

void Evaluate(const SearchKey& root) {
  std::vector<SearchMessage> messages(3);
  for (uint32_t i = 0; i < 3; ++i) {
    messages[i].seq = i + 1;
    messages[i].uid = (i + 1) * 10;
    messages[i].flags = i;  // none, \Seen-ish, ...
    messages[i].keywords = {i == 1 ? "$label1" : "work"};
    messages[i].modseq = 5 + i;
    messages[i].size = std::string_view(kMessages[i]).size();
    messages[i].internal_date = 1643706000 + 86400 * i;
  }
  SearchEnvironment env;
  env.message_count = 3;
  env.highest_uid = 30;
  env.saved = RangeList::FromNumbers({10, 30});
  env.now = 1700000000;
  FixedSource source;
  std::vector<size_t> hits = EvaluateSearch(root, messages, env, source);
  size_t last = 0;
  for (size_t i = 0; i < hits.size(); ++i) {
    FUZZ_CHECK(hits[i] < messages.size());
    FUZZ_CHECK(i == 0 || hits[i] > last);  // in message order, no duplicates
    last = hits[i];
  }
  (void)HasModSeqKey(root);
  (void)HasSequenceSetKey(root);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loft::fuzz::Input in(data, size);
  uint8_t bits = in.byte();

  std::string_view date_line = in.line();
  if (auto d = ParseImapDate(date_line)) {
    std::string text = FormatImapDate(*d);
    // Formatting gives a date that parses back (when normalisation left the
    // year at four digits: "99-Dec-9999" is in year 10000).
    auto again = ParseImapDate(text);
    if (text.size() == 11) FUZZ_CHECK(again && *again == *d);
  }
  if (auto dt = ParseImapDateTime(date_line)) {
    std::string text = FormatImapDateTime(dt->utc, dt->zone);
    auto again = ParseImapDateTime(text);
    if (text.size() == 26) FUZZ_CHECK(again && again->utc == dt->utc);
  }
  (void)ParseMessageDate(date_line);

  CommandReader::Options options;
  options.max_line_length = 4096;
  options.max_depth = 64;
  options.max_args = 1000;
  CommandReader reader(options);
  std::string buffer = "a SEARCH ";
  buffer.append(in.rest());
  buffer.append("\r\n");
  for (int round = 0; round < 64; ++round) {
    CommandReader::Status s = reader.read(buffer);
    if (s == CommandReader::Status::kNeedMore) break;
    if (s != CommandReader::Status::kCommand) {
      if (reader.fatal()) break;
      continue;
    }
    Command cmd = reader.take_command();
    if (cmd.name != "SEARCH") continue;  // a pipelined command from the input
    SearchOptions search_options;
    search_options.max_depth = bits & 1 ? 200 : 10;
    auto program = ParseSearchArgs(cmd.args, search_options);
    if (program) {
      (void)program->root.DebugString();
      Evaluate(program->root);
    }
    (void)ParseSearchKeys(cmd.args, search_options);
    break;
  }
  return 0;
}

// Every typed parser on random argument trees: no crash, no hang; errors are
// BAD or NO with a text. Run under ASan/UBSan (LOFT_SANITIZE) for full value.
#include <gtest/gtest.h>

#include <random>

#include "imap/append_args.h"
#include "imap/enable_args.h"
#include "imap/fetch_items.h"
#include "imap/id_params.h"
#include "imap/list_args.h"
#include "imap/search_keys.h"
#include "imap/select_params.h"
#include "imap/status_items.h"
#include "imap/store_args.h"
#include "imap/uid_expunge_args.h"
#include "reader_test_util.h"

namespace loft::imap {
namespace {

const char* const kWords[] = {
    "ALL", "OR", "NOT", "UID", "1:*", "*", "$", "5", "0", "1,", "BODY[", "BODY[]", "BODY.PEEK[HEADER]<0.5>", "]<1>",
    "BINARY.SIZE[1]", "FLAGS", "+FLAGS.SILENT", "\\Seen", "\\Recent", "CHARSET", "UTF-8", "RETURN", "MIN", "SAVE",
    "HEADER", "SUBJECT", "BEFORE", "1-Jan-2020", "MODSEQ", "/flags/\\seen", "all", "CHANGEDSINCE", "VANISHED",
    "QRESYNC", "CONDSTORE", "UNCHANGEDSINCE", "STATUS", "MESSAGES", "SUBSCRIBED", "RECURSIVEMATCH", "INBOX", "&Jjo",
    "NIL", "LARGER", "99999999999999999999", "KEYWORD", "FULL", "RFC822.SIZE", "ENVELOPE", "%", "a/%"};

Arg RandomArg(std::mt19937& rng, int depth) {
  switch (rng() % 7) {
    case 0:
      if (depth < 4) {
        Args items;
        size_t n = rng() % 5;
        for (size_t i = 0; i < n; ++i) items.push_back(RandomArg(rng, depth + 1));
        return Arg::List(std::move(items));
      }
      [[fallthrough]];
    case 1:
      return Arg::String(kWords[rng() % std::size(kWords)]);
    case 2:
      return Arg::Literal(std::string(rng() % 3, 'x'), rng() % 2 == 0);
    case 3:
      return Arg::Nil();
    case 4:
      return Arg::String(std::string(1, static_cast<char>(rng() % 256)));
    default:
      return Arg::Atom(kWords[rng() % std::size(kWords)]);
  }
}

TEST(HostileArgs, RandomTreesNeverCrashTheParsers) {
  std::mt19937 rng(4242);
  size_t ok = 0;
  for (int round = 0; round < 20000; ++round) {
    Args args;
    size_t n = rng() % 7;
    for (size_t i = 0; i < n; ++i) args.push_back(RandomArg(rng, 0));
    bool flag = rng() % 2;
    ok += ParseFetchArgs(args, flag, !flag).ok();
    ok += ParseSearchArgs(args).ok();
    ok += ParseStoreArgs(args, flag).ok();
    ok += ParseListArgs(args, flag).ok();
    ok += ParseLsubArgs(args, flag).ok();
    ok += ParseSelectArgs(args, flag, true).ok();
    ok += ParseStatusArgs(args, flag).ok();
    ok += ParseEnableArgs(args).ok();
    ok += ParseUidExpungeArgs(args).ok();
    ParseIdParams(args);
    if (!args.empty() && args.back().is_literal()) (void)CheckAppendBeforeData(args, rng() % 3);
    Args copy = args;
    Parsed<AppendArgs> a = ParseAppendArgs(copy, flag);
    if (!a.ok()) {
      EXPECT_FALSE(a.error().text.empty());
    }
  }
  EXPECT_GT(ok, 0u);  // some random trees are valid commands
}

TEST(HostileArgs, ReaderOutputFeedsTheParsers) {
  std::mt19937 rng(777);
  static const char kAlphabet[] = "a1 ()\"\\{}+~*[]%$:,.<>\r\nBODY.PEEK[HEADER.FIELDS0123456789ALLORNOTUID";
  for (int round = 0; round < 3000; ++round) {
    std::string line = "t X ";
    size_t len = rng() % 80;
    for (size_t i = 0; i < len; ++i) line += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    line += "\r\n";
    CommandReader reader;
    testing::Transcript t = testing::Feed(reader, line);
    for (Command& c : t.commands) {
      (void)ParseFetchArgs(c.args, true, true);
      (void)ParseSearchArgs(c.args);
      (void)ParseStoreArgs(c.args, false);
      (void)ParseListArgs(c.args, false);
      (void)ParseSelectArgs(c.args, false, true);
      (void)ParseAppendArgs(c.args, false);
    }
  }
}

}  // namespace
}  // namespace loft::imap

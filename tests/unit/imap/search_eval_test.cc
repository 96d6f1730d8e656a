// The pieces behind SEARCH: the casemap, Date: parsing, Dovecot's address
// rewriting, the message text rules, the answer formats, and the evaluator's
// cheap-first / batched loading with a fake message source and content index.
#include "imap/search_eval.h"

#include <gtest/gtest.h>

#include <map>

#include "imap/args.h"
#include "imap/search_content.h"
#include "imap/search_date.h"
#include "imap/search_response.h"
#include "mime/casemap.h"
#include "mime/search_text.h"
#include "store/store.h"

namespace loft::imap {
namespace {

using mime::CompressBlanks;
using mime::SearchCasemap;
using mime::SearchHeaderValue;
using mime::WriteAddressesForSearch;

TEST(SearchCasemapTest, TitlecaseAndDecomposition) {
  EXPECT_EQ(SearchCasemap("abcXYZ 09!"), "ABCXYZ 09!");
  // é -> E + U+0301; the same for É.
  EXPECT_EQ(SearchCasemap("\xc3\xa9"), "E\xcc\x81");
  EXPECT_EQ(SearchCasemap("\xc3\x89"), "E\xcc\x81");
  // ß has no simple titlecase: it stays; "ss" is not "ß".
  EXPECT_EQ(SearchCasemap("\xc3\x9f"), "\xc3\x9f");
  // ǆ (U+01C6) and Ǆ (U+01C4) both titlecase to ǅ, which decomposes to D + ž.
  EXPECT_EQ(SearchCasemap("\xc7\x86"), SearchCasemap("\xc7\x84"));
  // Greek and Cyrillic fold.
  EXPECT_EQ(SearchCasemap("\xce\xb1\xce\xb2"), SearchCasemap("\xce\x91\xce\x92"));
  EXPECT_EQ(SearchCasemap("\xd0\xb4\xd0\xb0"), SearchCasemap("\xd0\x94\xd0\x90"));
  // Hangul syllables decompose to jamo.
  EXPECT_EQ(SearchCasemap("\xea\xb0\x80"), "\xe1\x84\x80\xe1\x85\xa1");
  // Invalid bytes become U+FFFD each.
  EXPECT_EQ(SearchCasemap("a\xff"
                          "b\xc3"),
            "A\xef\xbf\xbd"
            "B\xef\xbf\xbd");
  EXPECT_EQ(SearchCasemap("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
}

TEST(SearchDateTest, ParsesLikeDovecot) {
  std::optional<MessageDate> d = ParseMessageDate("Thu, 05 Mar 2020 23:30:00 -0500");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->zone, -300);
  EXPECT_EQ(d->utc, 1583469000);  // 2020-03-06 04:30:00 UTC
  d = ParseMessageDate(" 6 march 20 1:02 (comment) GMT");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->utc, 1583456520);  // 2020-03-06 01:02:00 UTC
  EXPECT_EQ(d->zone, 0);
  d = ParseMessageDate("Fri, 6 Mar 2020 01:00:00 EDT");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->zone, -240);
  d = ParseMessageDate("1 Jan 69 00:00");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->utc, 3124224000);  // 2069-01-01
  EXPECT_FALSE(ParseMessageDate("garbage"));
  EXPECT_FALSE(ParseMessageDate(""));
  EXPECT_FALSE(ParseMessageDate("Thu 05 Mar 2020 10:00"));  // weekday without comma
  EXPECT_FALSE(ParseMessageDate("05 Foo 2020 10:00"));
  EXPECT_FALSE(ParseMessageDate("05 Mar 202 10:00"));
  EXPECT_FALSE(ParseMessageDate("05 Mar 2020 10"));
}

TEST(SearchContentTest, AddressRewriting) {
  EXPECT_EQ(WriteAddressesForSearch("Alice Smith <alice@example.com>"),
            "\"Alice Smith\" <alice@example.com>");
  EXPECT_EQ(WriteAddressesForSearch("\"Bob, Jr\" <bob@y.com>, carol@z.com"),
            "\"Bob, Jr\" <bob@y.com>, <carol@z.com>");
  EXPECT_EQ(WriteAddressesForSearch("Grp: a@b.c, d@e.f;"), "Grp: <a@b.c>, <d@e.f>;");
  EXPECT_EQ(WriteAddressesForSearch("undisclosed-recipients:;"), "undisclosed-recipients:;");
  EXPECT_EQ(WriteAddressesForSearch("\"O'Brien Jr\" <o.b@x.y>"), "\"O\\'Brien Jr\" <o.b@x.y>");
  EXPECT_EQ(WriteAddressesForSearch("Plain <x@y>"), "Plain <x@y>");
  EXPECT_EQ(WriteAddressesForSearch("=?UTF-8?Q?J=C3=B6rg?= <j@x>"), "=?UTF-8?Q?J=C3=B6rg?= <j@x>");
  EXPECT_EQ(WriteAddressesForSearch(""), "");
}

TEST(SearchContentTest, HeaderValueUnfoldingAndBlanks) {
  std::string data = "Subject: a\r\n\tb  c\r\n d\r\n\r\n";
  mime::HeaderBlock h = mime::SplitHeader(data);
  ASSERT_EQ(h.fields.size(), 1u);
  EXPECT_EQ(SearchHeaderValue(data, h.fields[0]), "a b  c d");
  EXPECT_EQ(CompressBlanks("  a \t b  "), "a b ");
}

TEST(SearchContentTest, TextOfANestedMultipart) {
  std::string data =
      "Subject: =?ISO-8859-1?Q?caf=E9?=\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
      "pre\r\n--B\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n"
      "bmHvdmU=\r\n--B\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n--B--\r\n";
  mime::Message tree = mime::ParseMessage(data);
  MessageText text(tree, data);
  ASSERT_EQ(text.FoldedBodies().size(), 1u);
  EXPECT_EQ(text.FoldedBodies()[0], SearchCasemap("na\xc3\xafve"));
  EXPECT_TRUE(text.MatchBody(SearchCasemap("NA\xc3\x8fVE")));
  EXPECT_FALSE(text.MatchBody(SearchCasemap("pngdata")));
  EXPECT_FALSE(text.MatchBody(SearchCasemap("pre")));
  EXPECT_TRUE(text.MatchText(SearchCasemap("Subject: caf\xc3\xa9")));
  EXPECT_TRUE(text.MatchText(SearchCasemap("content-type: image/png")));
  EXPECT_FALSE(text.MatchText(SearchCasemap("pngdata")));
  // A match never spans two parts.
  EXPECT_FALSE(text.MatchText(SearchCasemap("na\xc3\xafve\r\nContent-Type")));
}

TEST(SearchResponseTest, Forms) {
  std::vector<SearchHit> hits = {{1, 10, 5}, {2, 11, 9}, {3, 12, 7}, {7, 20, 6}};
  SearchAnswerOptions o;
  o.tag = "a";
  EXPECT_EQ(BuildSearchAnswer(hits, o).untagged, "* SEARCH 1 2 3 7\r\n");
  o.modseq = true;
  EXPECT_EQ(BuildSearchAnswer(hits, o).untagged, "* SEARCH 1 2 3 7 (MODSEQ 9)\r\n");
  o.uid = true;
  o.result = SearchReturn{.min = true, .max = true, .all = true, .count = true};
  EXPECT_EQ(BuildSearchAnswer(hits, o).untagged,
            "* ESEARCH (TAG \"a\") UID MIN 10 MAX 20 ALL 10:12,20 COUNT 4 MODSEQ 9\r\n");
  // MIN/MAX only: MODSEQ of those two.
  o.result = SearchReturn{.min = true, .max = true, .save = true};
  SearchAnswer a = BuildSearchAnswer(hits, o);
  EXPECT_EQ(a.untagged, "* ESEARCH (TAG \"a\") UID MIN 10 MAX 20 MODSEQ 6\r\n");
  ASSERT_TRUE(a.save);
  EXPECT_EQ(a.save->ToString(), "10,20");
  // SAVE alone: nothing (unless MODSEQ is to be reported).
  o.modseq = false;
  o.result = SearchReturn{.save = true};
  a = BuildSearchAnswer(hits, o);
  EXPECT_EQ(a.untagged, "");
  EXPECT_EQ(a.save->ToString(), "10:12,20");
  o.modseq = true;
  EXPECT_EQ(BuildSearchAnswer(hits, o).untagged, "* ESEARCH (TAG \"a\") UID MODSEQ 9\r\n");
  // No hits.
  o.result = SearchReturn{.min = true, .count = true};
  EXPECT_EQ(BuildSearchAnswer({}, o).untagged, "* ESEARCH (TAG \"a\") UID COUNT 0\r\n");
  // IMAP4rev2 without RETURN: ALL.
  SearchAnswerOptions rev2;
  rev2.tag = "x\"y";
  rev2.esearch = true;
  EXPECT_EQ(BuildSearchAnswer(hits, rev2).untagged, "* ESEARCH (TAG \"x\\\"y\") ALL 1:3,7\r\n");
}

TEST(SearchEvalTest, StarInSequenceSets) {
  auto set = [](std::string_view s) { return SequenceSet::Parse(s).value(); };
  EXPECT_EQ(ResolveSearchSequenceSet(set("*"), 4).ToString(), "4");
  EXPECT_EQ(ResolveSearchSequenceSet(set("*:3"), 4).ToString(), "3:4");
  EXPECT_EQ(ResolveSearchSequenceSet(set("10:*"), 4).ToString(), "");
  EXPECT_EQ(ResolveSearchSequenceSet(set("2,10:*,3:9"), 4).ToString(), "2:4");
  EXPECT_EQ(ResolveSearchSequenceSet(set("*"), 0).ToString(), "");
}

// Messages kept in memory; counts what was loaded.
class FakeSource : public MessageSource {
 public:
  std::map<uint32_t, std::string> messages;
  std::vector<size_t> batch_sizes;
  bool last_whole = false;
  std::vector<LoadedMessage> Load(std::span<const uint32_t> uids, bool whole) override {
    batch_sizes.push_back(uids.size());
    last_whole = whole;
    std::vector<LoadedMessage> out;
    for (uint32_t uid : uids) {
      auto it = messages.find(uid);
      if (it == messages.end()) continue;
      LoadedMessage lm;
      lm.uid = uid;
      lm.tree = mime::ParseMessage(it->second);
      lm.data = whole ? it->second : it->second.substr(0, lm.tree.root().body_offset);
      out.push_back(std::move(lm));
    }
    return out;
  }
};

class FakeIndex : public ContentIndex {
 public:
  RangeList result;
  std::optional<RangeList> Candidates(const SearchKey& key) override { return result; }
};

SearchKey Keys(std::initializer_list<std::string_view> words) {
  Args args;
  for (std::string_view w : words) args.push_back(Arg::Atom(std::string(w)));
  Parsed<SearchKey> k = ParseSearchKeys(args);
  EXPECT_TRUE(k) << (k ? "" : k.error().text);
  return k ? k.value() : SearchKey();
}

class SearchEvalFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t uid = 1; uid <= 10; ++uid) {
      SearchMessage m;
      m.seq = uid;
      m.uid = uid;
      m.flags = uid % 2 == 0 ? store::kSeen : 0;
      m.size = 100 * uid;
      messages.push_back(m);
      source.messages[uid] =
          "Subject: s" + std::to_string(uid) + "\r\n\r\n" + (uid % 3 == 0 ? "needle" : "hay") + "\r\n";
    }
    env.message_count = 10;
    env.highest_uid = 10;
  }
  std::vector<uint32_t> Run(const SearchKey& k, ContentIndex* index = nullptr, SearchLimits limits = {}) {
    std::vector<uint32_t> seqs;
    for (size_t i : EvaluateSearch(k, messages, env, source, index, limits, &stats))
      seqs.push_back(messages[i].seq);
    return seqs;
  }
  std::vector<SearchMessage> messages;
  SearchEnvironment env;
  FakeSource source;
  SearchStats stats;
};

TEST_F(SearchEvalFixture, CheapKeysDecideWithoutLoading) {
  EXPECT_EQ(Run(Keys({"SEEN", "LARGER", "500"})), (std::vector<uint32_t>{6, 8, 10}));
  EXPECT_EQ(stats.loaded, 0u);
  // Content keys behind a decided AND / OR are never loaded.
  EXPECT_EQ(Run(Keys({"UID", "1:2", "BODY", "needle"})), (std::vector<uint32_t>{}));
  EXPECT_EQ(stats.loaded, 2u);  // only UIDs 1 and 2 needed their body
  stats = {};
  EXPECT_EQ(Run(Keys({"OR", "ALL", "BODY", "needle"})).size(), 10u);
  EXPECT_EQ(stats.loaded, 0u);
}

TEST_F(SearchEvalFixture, HeaderKeysReadOnlyTheHeader) {
  EXPECT_EQ(Run(Keys({"SUBJECT", "s1"})), (std::vector<uint32_t>{1, 10}));
  EXPECT_FALSE(source.last_whole);
  EXPECT_EQ(Run(Keys({"BODY", "needle"})), (std::vector<uint32_t>{3, 6, 9}));
  EXPECT_TRUE(source.last_whole);
}

TEST_F(SearchEvalFixture, BatchesAreBounded) {
  SearchLimits limits;
  limits.batch_messages = 4;
  EXPECT_EQ(Run(Keys({"BODY", "needle"}), nullptr, limits), (std::vector<uint32_t>{3, 6, 9}));
  EXPECT_EQ(source.batch_sizes, (std::vector<size_t>{4, 4, 2}));
  source.batch_sizes.clear();
  limits.batch_messages = 100;
  limits.batch_bytes = 1000;  // sizes are 100*uid
  EXPECT_EQ(Run(Keys({"BODY", "needle"}), nullptr, limits), (std::vector<uint32_t>{3, 6, 9}));
  EXPECT_EQ(source.batch_sizes, (std::vector<size_t>{4, 1, 1, 1, 1, 1, 1}));
}

TEST_F(SearchEvalFixture, ContentIndexNarrowsCandidates) {
  FakeIndex index;
  index.result = RangeList::FromNumbers({3, 4, 9});
  EXPECT_EQ(Run(Keys({"BODY", "needle"}), &index), (std::vector<uint32_t>{3, 9}));
  EXPECT_EQ(stats.loaded, 3u);  // only the candidates were read
  stats = {};
  EXPECT_EQ(Run(Keys({"NOT", "BODY", "needle"}), &index), (std::vector<uint32_t>{1, 2, 4, 5, 6, 7, 8, 10}));
  EXPECT_EQ(stats.loaded, 3u);
}

class FakeExactIndex : public ContentIndex {
 public:
  ContentCandidates answer;
  std::optional<ContentCandidates> Lookup(const SearchKey&) override { return answer; }
};

TEST_F(SearchEvalFixture, ExactIndexAnswersDecideWithoutReading) {
  FakeExactIndex index;
  index.answer.uids = RangeList::FromNumbers({3, 6, 9});
  index.answer.exact = true;
  EXPECT_EQ(Run(Keys({"BODY", "needle"}), &index), (std::vector<uint32_t>{3, 6, 9}));
  EXPECT_EQ(stats.loaded, 0u);
  EXPECT_EQ(Run(Keys({"NOT", "BODY", "needle", "SEEN"}), &index), (std::vector<uint32_t>{2, 4, 8, 10}));
  EXPECT_EQ(stats.loaded, 0u);
  // An exact answer is believed: a UID the index says matches does, without
  // a look at the text (here deliberately wrong, to show nothing was read).
  index.answer.uids = RangeList::FromNumbers({1});
  EXPECT_EQ(Run(Keys({"BODY", "needle"}), &index), (std::vector<uint32_t>{1}));
  EXPECT_EQ(stats.loaded, 0u);
}

TEST_F(SearchEvalFixture, UidsTheIndexDoesNotKnowAreRead) {
  FakeExactIndex index;
  index.answer.uids = RangeList::FromNumbers({3, 6});  // indexed through UID 7
  index.answer.exact = true;
  index.answer.unknown.add(8, 0xFFFFFFFFu);
  EXPECT_EQ(Run(Keys({"BODY", "needle"}), &index), (std::vector<uint32_t>{3, 6, 9}));
  EXPECT_EQ(stats.loaded, 3u);  // UIDs 8, 9, 10
}

TEST_F(SearchEvalFixture, VanishedMessagesNeverMatch) {
  source.messages.erase(3);
  EXPECT_EQ(Run(Keys({"NOT", "BODY", "nothing-like-this"})),
            (std::vector<uint32_t>{1, 2, 4, 5, 6, 7, 8, 9, 10}));
}

}  // namespace
}  // namespace loft::imap

namespace loft::imap {
namespace {

TEST(SearchContentTest, DovecotQuirks) {
  // Raw 8-bit Latin-1 in a header is not guessed: it never matches "ö".
  std::string data = "Subject: Fr\xf6sche =?UTF-8?Q?Fr=C3=B6sche?=\r\n\r\nbody\r\n";
  mime::Message tree = mime::ParseMessage(data);
  MessageText text(tree, data);
  SearchKey subject;
  subject.type = SearchKey::Type::kHeader;
  subject.header = "SUBJECT";
  subject.named_header = true;
  subject.text = "x";
  std::vector<std::string> values = text.HeaderValuesForSearch(subject);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0], "Fr\xef\xbf\xbdsche Fr\xc3\xb6sche");

  // An unknown transfer encoding hides the body.
  std::string odd = "Content-Transfer-Encoding: 7-bit\r\n\r\nhidden words\r\n";
  mime::Message odd_tree = mime::ParseMessage(odd);
  MessageText odd_text(odd_tree, odd);
  EXPECT_FALSE(odd_text.MatchBody(SearchCasemap("hidden")));
  EXPECT_TRUE(odd_text.MatchText(SearchCasemap("7-bit")));

  // Dates outside 1970..2106 wrap at 32 bits; missing ones are the epoch.
  std::string old = "Date: Thu, 13 Feb 1969 23:32:54 -0330\r\n\r\n";
  mime::Message old_tree = mime::ParseMessage(old);
  EXPECT_EQ(MessageText(old_tree, old).SentDate().utc, 4267243870);
  std::string none = "Subject: x\r\n\r\n";
  mime::Message none_tree = mime::ParseMessage(none);
  EXPECT_EQ(MessageText(none_tree, none).SentDate().utc, 0);
}

}  // namespace
}  // namespace loft::imap

namespace loft::imap {
namespace {

TEST(SearchContentTest, RawBytesInsideAnEncodedWordKeepTheirCharset) {
  std::string data = "Subject: =?iso-8859-1?Q?Die_Fr\xf6sche?= und Fr\xf6sche\r\n\r\n";
  mime::Message tree = mime::ParseMessage(data);
  MessageText text(tree, data);
  SearchKey subject;
  subject.type = SearchKey::Type::kHeader;
  subject.header = "SUBJECT";
  subject.text = "x";
  std::vector<std::string> values = text.HeaderValuesForSearch(subject);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0], "Die Fr\xc3\xb6sche und Fr\xef\xbf\xbdsche");
}

}  // namespace
}  // namespace loft::imap

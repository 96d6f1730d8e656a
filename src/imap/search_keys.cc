#include "imap/search_keys.h"

#include <cstdio>
#include <utility>

#include "imap/flags.h"
#include "imap/modified_utf7.h"
#include "imap/numbers.h"
#include "store/store.h"

namespace loft::imap {
namespace {

using Type = SearchKey::Type;

SearchKey Make(Type type) {
  SearchKey k;
  k.type = type;
  return k;
}

SearchKey FlagKey(uint32_t flag, bool present) {
  SearchKey k = Make(Type::kFlag);
  k.flag = flag;
  k.present = present;
  return k;
}

// The flag keys: name -> (flag, present).
struct FlagWord {
  std::string_view word;
  uint32_t flag;
  bool present;
};
constexpr FlagWord kFlagWords[] = {
    {"ANSWERED", store::kAnswered, true}, {"UNANSWERED", store::kAnswered, false},
    {"DELETED", store::kDeleted, true},   {"UNDELETED", store::kDeleted, false},
    {"DRAFT", store::kDraft, true},       {"UNDRAFT", store::kDraft, false},
    {"FLAGGED", store::kFlagged, true},   {"UNFLAGGED", store::kFlagged, false},
    {"SEEN", store::kSeen, true},         {"UNSEEN", store::kSeen, false},
    {"RECENT", kRecentFlag, true},        {"OLD", kRecentFlag, false},
};

struct DateWord {
  std::string_view word;
  Type type;
  SearchKey::DateOp op;
};
constexpr DateWord kDateWords[] = {
    {"BEFORE", Type::kInternalDate, SearchKey::DateOp::kBefore},
    {"ON", Type::kInternalDate, SearchKey::DateOp::kOn},
    {"SINCE", Type::kInternalDate, SearchKey::DateOp::kSince},
    {"SENTBEFORE", Type::kSentDate, SearchKey::DateOp::kBefore},
    {"SENTON", Type::kSentDate, SearchKey::DateOp::kOn},
    {"SENTSINCE", Type::kSentDate, SearchKey::DateOp::kSince},
};

class KeyParser {
 public:
  KeyParser(ArgSpan args, const SearchOptions& options) : args_(args), options_(options) {}

  bool done() const { return pos_ >= args_.size(); }
  const std::optional<ArgError>& error() const { return error_; }

  // One key; on failure error() is set.
  SearchKey key(size_t depth) {
    if (depth > options_.max_depth) return fail("Too deep search key nesting");
    if (done()) return fail("Missing argument");
    const Arg& arg = args_[pos_++];
    if (arg.is_list()) return list(arg.list(), depth);
    if (!arg.atom() || arg.is_section_atom()) {
      return fail("Unexpected string as search key: " + std::string(arg.text()));
    }
    const std::string word = AsciiUpper(*arg.atom());

    for (const FlagWord& f : kFlagWords) {
      if (word == f.word) return FlagKey(f.flag, f.present);
    }
    for (const DateWord& d : kDateWords) {
      if (word != d.word) continue;
      std::optional<std::string> value = param(word);
      if (!value) return {};
      std::optional<CivilDate> date = ParseImapDate(*value);
      if (!date) return fail("Invalid search date parameter");
      SearchKey k = Make(d.type);
      k.date_op = d.op;
      k.date = *date;
      return k;
    }
    if (word == "ALL") return Make(Type::kAll);
    if (word == "NEW") {
      SearchKey k = Make(Type::kAnd);
      k.children.push_back(FlagKey(kRecentFlag, true));
      k.children.push_back(FlagKey(store::kSeen, false));
      return k;
    }
    if (word == "NOT") {
      SearchKey k = Make(Type::kNot);
      k.children.push_back(key(depth + 1));
      return k;
    }
    if (word == "OR") {
      SearchKey k = Make(Type::kOr);
      k.children.push_back(key(depth + 1));
      if (error_) return {};
      k.children.push_back(key(depth + 1));
      return k;
    }
    if (word == "UID") {
      std::optional<std::string> value = param(word);
      if (!value) return {};
      Parsed<SequenceSet> set = SequenceSet::Parse(*value, "Invalid UID messageset");
      if (!set) return fail(set.error().text);
      SearchKey k = Make(Type::kUidSet);
      k.set = std::move(set.value());
      return k;
    }
    if (word == "$") {
      SearchKey k = Make(Type::kUidSet);
      k.set = std::move(SequenceSet::Parse("$").value());
      return k;
    }
    if (word == "KEYWORD" || word == "UNKEYWORD") {
      std::optional<std::string> value = param(word);
      if (!value) return {};
      SearchKey k = Make(Type::kKeyword);
      k.text = std::move(*value);
      k.present = word == "KEYWORD";
      return k;
    }
    if (word == "LARGER" || word == "SMALLER") {
      std::optional<std::string> value = param(word);
      if (!value) return {};
      std::optional<uint64_t> n = ParseUint64(*value);
      if (!n) return fail("Invalid search size parameter");
      SearchKey k = Make(word == "LARGER" ? Type::kLarger : Type::kSmaller);
      k.number = *n;
      return k;
    }
    if (word == "BCC" || word == "CC" || word == "FROM" || word == "TO" || word == "SUBJECT") {
      std::optional<std::string> value = text_param(word);
      if (!value) return {};
      SearchKey k = Make(Type::kHeader);
      k.header = word;
      k.text = std::move(*value);
      k.named_header = true;
      return k;
    }
    if (word == "HEADER") {
      std::optional<std::string> name = param(word);
      if (!name) return {};
      std::optional<std::string> value = text_param(word);
      if (!value) return {};
      SearchKey k = Make(Type::kHeader);
      k.header = AsciiUpper(*name);
      k.text = std::move(*value);
      return k;
    }
    if (word == "BODY" || word == "TEXT") {
      std::optional<std::string> value = text_param(word);
      if (!value) return {};
      SearchKey k = Make(word == "BODY" ? Type::kBody : Type::kText);
      k.text = std::move(*value);
      return k;
    }
    if (word == "OLDER" || word == "YOUNGER") {
      std::optional<std::string> value = param(word);
      if (!value) return {};
      std::optional<uint32_t> n = ParseUint32(*value);
      if (!n || *n == 0) return fail("Invalid search interval parameter");
      SearchKey k = Make(word == "OLDER" ? Type::kOlder : Type::kYounger);
      k.number = *n;
      return k;
    }
    if (word == "MODSEQ") return modseq(word);
    if (!word.empty() && (word[0] == '*' || (word[0] >= '0' && word[0] <= '9'))) {
      Parsed<SequenceSet> set = SequenceSet::Parse(word, "Invalid messageset", false);
      if (!set) return fail(set.error().text);
      SearchKey k = Make(Type::kSequenceSet);
      k.set = std::move(set.value());
      return k;
    }
    return fail("Unknown argument " + word);
  }

  // Keys until the end of `args_`, as an AND (or the single key).
  SearchKey sequence(size_t depth) {
    SearchKey k = Make(Type::kAnd);
    while (!done() && !error_) k.children.push_back(key(depth));
    if (error_) return {};
    if (k.children.size() == 1) return std::move(k.children.front());
    return k;
  }

 private:
  SearchKey fail(std::string text) {
    if (!error_) error_ = ArgError::Bad(std::move(text));
    return {};
  }

  SearchKey list(const Args& items, size_t depth) {
    if (items.empty()) return fail("No search parameters inside list");
    KeyParser inner(items, options_);
    SearchKey k = inner.sequence(depth + 1);
    if (inner.error_) error_ = inner.error_;
    return k;
  }

  // The string parameter of `word`.
  std::optional<std::string> param(std::string_view word) {
    if (done()) {
      fail("Missing parameter for search key (for search key: " + std::string(word) + ")");
      return std::nullopt;
    }
    const Arg& arg = args_[pos_++];
    if (arg.is_list()) {
      fail("Unexpected ( (for search key: " + std::string(word) + ")");
      return std::nullopt;
    }
    return arg.text();  // any atom, NIL as "NIL", quoted string or literal
  }

  // A parameter matched against message text: it must be UTF-8 (any
  // CHARSET accepted here is a subset of it).
  std::optional<std::string> text_param(std::string_view word) {
    std::optional<std::string> value = param(word);
    if (value && !IsValidUtf8(*value)) {
      fail("Invalid search key");
      return std::nullopt;
    }
    return value;
  }

  SearchKey modseq(std::string_view word) {
    std::optional<std::string> value = param(word);
    if (!value) return {};
    SearchKey k = Make(Type::kModSeq);
    std::string lower = *value;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower.rfind("/flags/", 0) == 0) {
      std::string_view name = std::string_view(lower).substr(7);
      if (!name.empty() && name[0] == '\\') {
        std::optional<uint32_t> bit = SystemFlagBit(name);
        if (!bit || *bit == kRecentFlag) return fail("Invalid MODSEQ system flag");
      }
      k.modseq_entry = lower;
      std::optional<std::string> type = param(word);
      if (!type) return {};
      if (EqualsIgnoreCase(*type, "all")) {
        k.modseq_entry_type = SearchKey::EntryType::kAll;
      } else if (EqualsIgnoreCase(*type, "priv")) {
        k.modseq_entry_type = SearchKey::EntryType::kPrivate;
      } else if (EqualsIgnoreCase(*type, "shared")) {
        k.modseq_entry_type = SearchKey::EntryType::kShared;
      } else {
        return fail("Invalid MODSEQ type");
      }
      value = param(word);
      if (!value) return {};
    }
    std::optional<uint64_t> n = ParseUint64(*value);
    if (!n) return fail("Invalid MODSEQ value");
    k.number = *n;
    return k;
  }

  ArgSpan args_;
  const SearchOptions& options_;
  size_t pos_ = 0;
  std::optional<ArgError> error_;
};

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string DateString(const CivilDate& d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

}  // namespace

std::string SearchKey::DebugString() const {
  std::string out;
  switch (type) {
    case Type::kAll:
      return "ALL";
    case Type::kAnd:
    case Type::kOr:
    case Type::kNot:
      out = type == Type::kAnd ? "(AND" : type == Type::kOr ? "(OR" : "(NOT";
      for (const SearchKey& c : children) out += " " + c.DebugString();
      return out + ")";
    case Type::kSequenceSet:
      return "(SEQ " + set.ToString() + ")";
    case Type::kUidSet:
      return "(UID " + set.ToString() + ")";
    case Type::kFlag: {
      std::vector<std::string_view> names = SystemFlagNames(flag);
      out = present ? "" : "!";
      out += names.empty() ? std::string_view("?") : names.front();
      return out;
    }
    case Type::kKeyword:
      out = present ? "(KEYWORD " : "(UNKEYWORD ";
      AppendQuoted(out, text);
      return out + ")";
    case Type::kInternalDate:
    case Type::kSentDate:
      out = type == Type::kSentDate ? "(SENT" : "(";
      out += date_op == DateOp::kBefore ? "BEFORE " : date_op == DateOp::kOn ? "ON " : "SINCE ";
      return out + DateString(date) + ")";
    case Type::kLarger:
      return "(LARGER " + std::to_string(number) + ")";
    case Type::kSmaller:
      return "(SMALLER " + std::to_string(number) + ")";
    case Type::kHeader:
      out = named_header ? "(" + header + " " : "(HEADER " + header + " ";
      AppendQuoted(out, text);
      return out + ")";
    case Type::kBody:
    case Type::kText:
      out = type == Type::kBody ? "(BODY " : "(TEXT ";
      AppendQuoted(out, text);
      return out + ")";
    case Type::kModSeq:
      out = "(MODSEQ ";
      if (!modseq_entry.empty()) {
        AppendQuoted(out, modseq_entry);
        out += modseq_entry_type == EntryType::kAll       ? " all "
               : modseq_entry_type == EntryType::kPrivate ? " priv "
                                                          : " shared ";
      }
      return out + std::to_string(number) + ")";
    case Type::kOlder:
      return "(OLDER " + std::to_string(number) + ")";
    case Type::kYounger:
      return "(YOUNGER " + std::to_string(number) + ")";
  }
  return "?";
}

Parsed<SearchKey> ParseSearchKeys(ArgSpan args, const SearchOptions& options) {
  if (args.empty()) return ArgError::Bad("Missing search parameters");
  KeyParser parser(args, options);
  SearchKey root = parser.sequence(0);
  if (parser.error()) return *parser.error();
  return root;
}

Parsed<SearchProgram> ParseSearchArgs(ArgSpan args, const SearchOptions& options) {
  SearchProgram program;
  size_t i = 0;
  if (i + 1 < args.size() && args[i].is_atom("RETURN") && args[i + 1].is_list()) {
    SearchReturn r;
    for (const Arg& opt : args[i + 1].list()) {
      std::optional<std::string_view> atom = opt.atom();
      if (!atom || opt.is_section_atom()) return ArgError::Bad("SEARCH return options contain non-atoms");
      std::string word = AsciiUpper(*atom);
      if (word == "MIN") {
        r.min = true;
      } else if (word == "MAX") {
        r.max = true;
      } else if (word == "ALL") {
        r.all = true;
      } else if (word == "COUNT") {
        r.count = true;
      } else if (word == "SAVE") {
        r.save = true;
      } else {
        return ArgError::Bad("Unknown SEARCH return option");
      }
    }
    if (args[i + 1].list().empty()) r.all = true;
    program.result = r;
    i += 2;
  }
  if (i < args.size() && args[i].is_atom("CHARSET")) {
    std::optional<std::string_view> charset = i + 1 < args.size() ? args[i + 1].astring() : std::nullopt;
    if (!charset) return ArgError::Bad("Invalid charset argument");
    program.charset = AsciiUpper(*charset);
    i += 2;
  }
  Parsed<SearchKey> root = ParseSearchKeys(args.subspan(i), options);
  if (!root) return root.error();
  // Like Dovecot, a bad key is reported before an unknown charset.
  if (program.charset != "UTF-8" && program.charset != "US-ASCII") {
    return ArgError::No("[BADCHARSET (UTF-8 US-ASCII)] Unknown charset");
  }
  program.root = std::move(root.value());
  return program;
}

}  // namespace loft::imap

#include "imap/fetch_items.h"

#include <algorithm>
#include <utility>

#include "imap/numbers.h"

namespace loft::imap {
namespace {

constexpr uint64_t kMaxOffset = (uint64_t{1} << 63) - 1;  // Dovecot's OFF_T_MAX

// A header field name of HEADER.FIELDS (...): its text and whether it came
// quoted (Dovecot echoes atoms as atoms and anything else quoted).
struct FieldName {
  std::string text;
  bool quoted = false;
};

void AppendQuotedUpper(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// The position of the ']' closing the '[' at s[open], skipping quoted strings.
size_t FindClose(std::string_view s, size_t open) {
  for (size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == ']') return i;
    if (s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      if (i >= s.size()) return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

// "(A "B")" of a merged section atom into names; false on anything that is
// not a list of atoms and quoted strings (`nonstring` tells a nested list).
bool ParseFieldList(std::string_view s, std::vector<FieldName>* out, bool* nonstring) {
  *nonstring = false;
  if (s.empty() || s.front() != '(') return false;
  size_t i = 1;
  for (;;) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) return false;
    if (s[i] == ')') {
      ++i;
      break;
    }
    if (s[i] == '(') {
      *nonstring = true;
      return false;
    }
    FieldName f;
    if (s[i] == '"') {
      f.quoted = true;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        f.text += s[i];
      }
      if (i >= s.size()) return false;
      ++i;
    } else {
      size_t start = i;
      while (i < s.size() && s[i] != ' ' && s[i] != ')' && s[i] != '(' && s[i] != '"') ++i;
      f.text.assign(s.substr(start, i - start));
    }
    out->push_back(std::move(f));
  }
  return i == s.size();
}

struct SectionSpec {
  FetchSection section;
  std::string echo;  // the section text as answered (upper case)
};

// imap_msgpart_parse(): "<part>[.<text>]" plus the header list for
// HEADER.FIELDS[.NOT]. `spec` is upper case.
bool ParseSectionSpec(std::string_view spec, const std::vector<FieldName>* fields, SectionSpec* out) {
  size_t i = 0;
  bool next_digit = true;
  for (; i < spec.size(); ++i) {
    if (spec[i] >= '0' && spec[i] <= '9') {
      next_digit = false;
    } else if (!next_digit && spec[i] == '.') {
      next_digit = true;
    } else {
      break;
    }
  }
  std::string_view text;
  if (i == 0) {
    text = spec;
  } else if (i == spec.size()) {
    if (spec.back() == '.') return false;
    out->section.part.assign(spec);
  } else {
    if (spec[i - 1] != '.') return false;
    out->section.part.assign(spec.substr(0, i - 1));
    text = spec.substr(i);
  }
  using Text = FetchSection::Text;
  if (text.empty()) {
    out->section.text = Text::kAll;
  } else if (text == "MIME") {
    if (out->section.part.empty()) return false;
    out->section.text = Text::kMime;
  } else if (text == "TEXT") {
    out->section.text = Text::kText;
  } else if (text == "HEADER") {
    out->section.text = Text::kHeader;
  } else if (text == "HEADER.FIELDS") {
    out->section.text = Text::kHeaderFields;
  } else if (text == "HEADER.FIELDS.NOT") {
    out->section.text = Text::kHeaderFieldsNot;
  } else {
    return false;
  }
  const bool wants_fields = out->section.text == Text::kHeaderFields || out->section.text == Text::kHeaderFieldsNot;
  if (wants_fields != (fields != nullptr)) return false;
  out->echo.assign(spec);
  if (fields) {
    if (fields->empty()) return false;
    out->echo += " (";
    for (size_t k = 0; k < fields->size(); ++k) {
      const FieldName& f = (*fields)[k];
      if (k > 0) out->echo += ' ';
      std::string upper = AsciiUpper(f.text);
      if (f.quoted) {
        AppendQuotedUpper(out->echo, upper);
      } else {
        out->echo += upper;
      }
      out->section.fields.push_back(std::move(upper));
    }
    out->echo += ')';
  }
  return true;
}

bool ParseOffset(std::string_view s, size_t& pos, uint64_t* value) {
  size_t start = pos;
  uint64_t v = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    unsigned digit = static_cast<unsigned>(s[pos] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
    ++pos;
  }
  if (pos == start || v > kMaxOffset) return false;
  *value = v;
  return true;
}

// body_parse_partial(): "" or "<offset[.length]>". Returns the error or "".
std::string ParsePartial(std::string_view s, std::optional<FetchPartial>* out) {
  if (s.empty()) return {};
  if (s[0] != '<') return "Unexpected data after ']'";
  size_t pos = 1;
  FetchPartial p;
  if (!ParseOffset(s, pos, &p.offset)) return "Too big partial start";
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    uint64_t len;
    if (!ParseOffset(s, pos, &len)) return "Too big partial end";
    p.length = len;
  }
  if (pos >= s.size() || s[pos] != '>') return "Missing '>' in partial";
  if (pos + 1 != s.size()) return "Unexpected data after '>'";
  *out = p;
  return {};
}

Parsed<FetchItem> ParseSectionItem(ArgSpan args, std::string_view upper, bool binary, size_t* consumed) {
  const std::string kind = binary ? "BINARY" : "BODY";
  const std::string param_error = "Invalid " + kind + "[..] parameter: ";
  FetchItem item;
  item.attr = binary ? FetchAttr::kBinarySection : FetchAttr::kBodySection;
  std::string_view rest = upper.substr(kind.size());
  if (binary && rest.substr(0, 5) == ".SIZE") {
    item.attr = FetchAttr::kBinarySize;
    rest.remove_prefix(5);
  } else if (rest.substr(0, 5) == ".PEEK") {
    item.peek = true;
    rest.remove_prefix(5);
  }
  if (rest.empty() || rest[0] != '[') return ArgError::Bad(param_error + "Missing '['");

  std::string_view spec;
  std::string_view after;
  std::vector<FieldName> fields;
  bool have_fields = false;
  std::string split_after;
  size_t close = FindClose(rest, 0);
  if (close != std::string_view::npos) {
    *consumed = 1;
    std::string_view inside = rest.substr(1, close - 1);
    after = rest.substr(close + 1);
    size_t sp = inside.find_first_of(" (");
    spec = inside.substr(0, sp);
    if (sp != std::string_view::npos) {
      std::string_view list = inside.substr(sp);
      while (!list.empty() && list.front() == ' ') list.remove_prefix(1);
      bool nonstring = false;
      if (!ParseFieldList(list, &fields, &nonstring)) {
        if (nonstring) return ArgError::Bad("Invalid BODY[..] parameter: Header list contains non-strings");
        return ArgError::Bad("Invalid " + kind + "[..] section");
      }
      have_fields = true;
    }
  } else if (args.size() >= 3 && args[1].is_list() && args[2].atom() && !args[2].atom()->empty() &&
             (*args[2].atom())[0] == ']') {
    // Dovecot's split form: BODY[HEADER.FIELDS (list) ]<partial>.
    *consumed = 3;
    spec = rest.substr(1);
    for (const Arg& a : args[1].list()) {
      std::optional<std::string_view> s = a.astring();
      if (!s) return ArgError::Bad("Invalid BODY[..] parameter: Header list contains non-strings");
      fields.push_back(FieldName{std::string(*s), !a.is_atom() && !a.is_nil()});
    }
    have_fields = true;
    split_after = AsciiUpper(args[2].atom()->substr(1));
    after = split_after;
  } else {
    return ArgError::Bad(param_error + "Missing ']'");
  }

  SectionSpec parsed;
  if (!ParseSectionSpec(spec, have_fields ? &fields : nullptr, &parsed)) {
    return ArgError::Bad("Invalid " + kind + "[..] section");
  }
  item.section = std::move(parsed.section);
  if (item.attr != FetchAttr::kBinarySize) {
    // BINARY.SIZE ignores whatever follows its ']', as Dovecot does.
    std::string err = ParsePartial(after, &item.partial);
    if (!err.empty()) return ArgError::Bad(param_error + err);
  }
  item.name = item.attr == FetchAttr::kBinarySize ? "BINARY.SIZE" : kind;
  item.name += '[';
  item.name += parsed.echo;
  item.name += ']';
  if (item.partial) item.name += "<" + std::to_string(item.partial->offset) + ">";
  return item;
}

FetchItem Simple(FetchAttr attr, std::string_view name) {
  FetchItem item;
  item.attr = attr;
  item.name.assign(name);
  return item;
}

void AddUnique(std::vector<FetchItem>& items, FetchItem item) {
  for (const FetchItem& existing : items) {
    if (existing.name == item.name) return;
  }
  items.push_back(std::move(item));
}

}  // namespace

bool FetchItem::sets_seen() const {
  switch (attr) {
    case FetchAttr::kRfc822:
    case FetchAttr::kRfc822Text:
      return true;
    case FetchAttr::kBodySection:
    case FetchAttr::kBinarySection:
      return !peek;
    default:
      return false;
  }
}

bool FetchArgs::sets_seen() const {
  return std::any_of(items.begin(), items.end(), [](const FetchItem& i) { return i.sets_seen(); });
}

Parsed<FetchItem> ParseFetchAttribute(ArgSpan args, size_t* consumed) {
  *consumed = 1;
  std::optional<std::string_view> atom = args.empty() ? std::nullopt : args[0].atom();
  if (!atom) return ArgError::Bad("FETCH list contains non-atoms");
  const std::string upper = AsciiUpper(*atom);
  const std::string_view key = std::string_view(upper).substr(0, upper.find_first_of(".["));
  if (key == "BODY") {
    if (upper == "BODY") return Simple(FetchAttr::kBody, "BODY");
    return ParseSectionItem(args, upper, false, consumed);
  }
  if (key == "BINARY") return ParseSectionItem(args, upper, true, consumed);
  if (key == "RFC822") {
    if (upper == "RFC822") return Simple(FetchAttr::kRfc822, "RFC822");
    if (upper == "RFC822.SIZE") return Simple(FetchAttr::kRfc822Size, "RFC822.SIZE");
    if (upper == "RFC822.HEADER") return Simple(FetchAttr::kRfc822Header, "RFC822.HEADER");
    if (upper == "RFC822.TEXT") return Simple(FetchAttr::kRfc822Text, "RFC822.TEXT");
    return ArgError::Bad("Unknown parameter " + upper);
  }
  static constexpr std::pair<std::string_view, FetchAttr> kSimple[] = {
      {"BODYSTRUCTURE", FetchAttr::kBodyStructure}, {"ENVELOPE", FetchAttr::kEnvelope},
      {"FLAGS", FetchAttr::kFlags},                 {"INTERNALDATE", FetchAttr::kInternalDate},
      {"MODSEQ", FetchAttr::kModSeq},               {"UID", FetchAttr::kUid},
  };
  for (const auto& [name, attr] : kSimple) {
    if (upper == name) return Simple(attr, name);
  }
  return ArgError::Bad("Unknown parameter: " + upper);
}

Parsed<FetchArgs> ParseFetchArgs(ArgSpan args, bool uid, bool qresync_enabled) {
  // Dovecot's checks, made on its tokens: a section atom with spaces would be
  // "BODY[HEADER.FIELDS" followed by a list there, so args[2] is not checked.
  if (args.size() < 2 || !args[0].atom() || args[0].is_section_atom() ||
      !(args[1].is_list() || args[1].is_atom()) ||
      (args.size() > 2 && !args[2].is_list() && !args[1].is_section_atom())) {
    return ArgError::Bad("Invalid arguments");
  }
  Parsed<SequenceSet> set = ParseSetArg(args[0], uid);
  if (!set) return set.error();
  FetchArgs out;
  out.set = std::move(set.value());
  if (uid) out.items.push_back(Simple(FetchAttr::kUid, "UID"));

  size_t next = 2;
  if (args[1].is_atom()) {
    const std::string upper = AsciiUpper(*args[1].atom());
    static constexpr std::string_view kAll[] = {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"};
    static constexpr std::string_view kFull[] = {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"};
    std::span<const std::string_view> macro;
    if (upper == "ALL") {
      macro = kAll;
    } else if (upper == "FAST") {
      macro = std::span<const std::string_view>(kAll).first(3);
    } else if (upper == "FULL") {
      macro = kFull;
    }
    if (!macro.empty()) {
      for (std::string_view name : macro) {
        Arg a = Arg::Atom(std::string(name));
        size_t used;
        AddUnique(out.items, std::move(ParseFetchAttribute(ArgSpan(&a, 1), &used).value()));
      }
    } else {
      size_t used = 1;
      Parsed<FetchItem> item = ParseFetchAttribute(args.subspan(1), &used);
      if (!item) return item.error();
      AddUnique(out.items, std::move(item.value()));
      next = 1 + used;
    }
  } else {
    const Args& list = args[1].list();
    if (list.empty()) return ArgError::Bad("FETCH list is empty");
    for (size_t i = 0; i < list.size();) {
      if (!list[i].atom()) return ArgError::Bad("FETCH list contains non-atoms");
      size_t used = 1;
      Parsed<FetchItem> item = ParseFetchAttribute(ArgSpan(list).subspan(i), &used);
      if (!item) return item.error();
      AddUnique(out.items, std::move(item.value()));
      i += used;
    }
  }

  if (next < args.size() && args[next].is_list()) {
    const Args& mods = args[next].list();
    for (size_t i = 0; i < mods.size();) {
      if (!mods[i].atom()) return ArgError::Bad("FETCH modifiers contain non-atoms");
      const std::string name = AsciiUpper(*mods[i].atom());
      ++i;
      if (name == "CHANGEDSINCE") {
        std::optional<std::string_view> v = i < mods.size() ? mods[i].atom() : std::nullopt;
        std::optional<uint64_t> modseq = v ? ParseUint64(*v) : std::nullopt;
        bool ok = modseq.has_value();
        if (!ok) return ArgError::Bad("Invalid CHANGEDSINCE modseq");
        ++i;
        out.changed_since = *modseq;
        AddUnique(out.items, Simple(FetchAttr::kModSeq, "MODSEQ"));
      } else if (name == "VANISHED" && uid) {
        if (!qresync_enabled) return ArgError::Bad("QRESYNC not enabled");
        out.vanished = true;
      } else {
        return ArgError::Bad("Unknown FETCH modifier");
      }
    }
    if (out.vanished && !out.changed_since) return ArgError::Bad("VANISHED used without CHANGEDSINCE");
  }
  return out;
}

}  // namespace loft::imap

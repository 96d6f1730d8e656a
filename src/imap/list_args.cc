#include "imap/list_args.h"

#include "imap/modified_utf7.h"
#include "imap/status_items.h"

namespace loft::imap {
namespace {

// A pattern or reference from the wire; nullopt when it cannot be decoded.
std::optional<std::string> Decode(std::string_view wire, bool utf8_mode) {
  if (utf8_mode) {
    if (!IsValidUtf8(wire)) return std::nullopt;
    return std::string(wire);
  }
  return DecodeModifiedUtf7(wire);
}

std::optional<ArgError> ParseSelection(const Arg& list, ListArgs* out) {
  for (const Arg& a : list.list()) {
    std::optional<std::string_view> atom = a.atom();
    if (!atom || a.is_section_atom()) return ArgError::Bad("List options contains non-atoms");
    if (EqualsIgnoreCase(*atom, "SUBSCRIBED")) {
      out->select_subscribed = true;
    } else if (EqualsIgnoreCase(*atom, "REMOTE")) {
      out->select_remote = true;
    } else if (EqualsIgnoreCase(*atom, "RECURSIVEMATCH")) {
      out->select_recursive_match = true;
    } else if (EqualsIgnoreCase(*atom, "SPECIAL-USE")) {
      out->select_special_use = true;
    } else {
      return ArgError::Bad("Unknown select options");
    }
  }
  // RFC 5258: RECURSIVEMATCH needs a selection it can apply to.
  if (out->select_recursive_match && !out->select_subscribed && !out->select_special_use) {
    return ArgError::Bad("RECURSIVEMATCH must not be the only selection");
  }
  return std::nullopt;
}

std::optional<ArgError> ParseReturn(const Arg& list, ListArgs* out) {
  const Args& items = list.list();
  for (size_t i = 0; i < items.size(); ++i) {
    std::optional<std::string_view> atom = items[i].atom();
    if (!atom || items[i].is_section_atom()) return ArgError::Bad("List options contains non-atoms");
    if (EqualsIgnoreCase(*atom, "SUBSCRIBED")) {
      out->return_subscribed = true;
    } else if (EqualsIgnoreCase(*atom, "CHILDREN")) {
      out->return_children = true;
    } else if (EqualsIgnoreCase(*atom, "SPECIAL-USE")) {
      out->return_special_use = true;
    } else if (EqualsIgnoreCase(*atom, "STATUS") && i + 1 < items.size() && items[i + 1].is_list()) {
      Parsed<uint32_t> status = ParseStatusItems(items[++i]);
      if (!status) return status.error();
      out->return_status = *status;
    } else {
      return ArgError::Bad("Unknown return options");
    }
  }
  return std::nullopt;
}

Parsed<ListArgs> Parse(ArgSpan args, bool utf8_mode, bool extended_allowed) {
  ListArgs out;
  size_t i = 0;
  if (extended_allowed && i < args.size() && args[i].is_list()) {
    if (std::optional<ArgError> e = ParseSelection(args[i], &out)) return *e;
    out.extended = true;
    ++i;
  }
  std::optional<std::string_view> reference = i < args.size() ? args[i].astring() : std::nullopt;
  if (!reference) return ArgError::Bad("Invalid reference");
  ++i;
  std::optional<std::string> ref = Decode(*reference, utf8_mode);
  out.reference = ref ? *ref : std::string(*reference);

  if (i >= args.size()) return ArgError::Bad("Invalid pattern");
  std::vector<std::string_view> patterns;
  if (extended_allowed && args[i].is_list()) {
    out.extended = true;
    for (const Arg& p : args[i].list()) {
      std::optional<std::string_view> s = p.astring();
      if (!s) return ArgError::Bad("Invalid pattern list");
      patterns.push_back(*s);
    }
  } else {
    std::optional<std::string_view> s = args[i].astring();
    if (!s) return ArgError::Bad("Invalid pattern");
    patterns.push_back(*s);
    out.delimiter_query = s->empty() && !out.extended;  // not with selection options
  }
  ++i;
  for (std::string_view p : patterns) {
    if (std::optional<std::string> decoded = Decode(p, utf8_mode)) out.patterns.push_back(std::move(*decoded));
  }

  if (extended_allowed && i + 1 < args.size() && args[i].is_atom("RETURN") && args[i + 1].is_list()) {
    if (std::optional<ArgError> e = ParseReturn(args[i + 1], &out)) return *e;
    out.extended = true;
    i += 2;
  }
  if (i < args.size()) return ArgError::Bad("Extra arguments");
  return out;
}

}  // namespace

Parsed<ListArgs> ParseListArgs(ArgSpan args, bool utf8_mode) { return Parse(args, utf8_mode, true); }
Parsed<ListArgs> ParseLsubArgs(ArgSpan args, bool utf8_mode) { return Parse(args, utf8_mode, false); }

}  // namespace loft::imap

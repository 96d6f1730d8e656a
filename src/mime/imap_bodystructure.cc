// BODY / BODYSTRUCTURE rendering (RFC 3501 7.4.2), byte-compatible with
// Dovecot 2.3's imap-bodystructure.c.

#include "util/ascii.h"
#include <strings.h>

#include "mime/imap_strings.h"

namespace loft::mime {
namespace {

constexpr std::string_view kEmptyBody = R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))";
constexpr std::string_view kEmptyBodyStructure =
    R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))";


void AppendParams(std::string& out, const Message& msg, Range params, bool default_charset) {
  if (!default_charset && params.count == 0) {
    out += "NIL";
    return;
  }
  out += '(';
  bool seen_charset = false;
  for (uint32_t i = 0; i < params.count; ++i) {
    const Param& p = msg.param(params.first + i);
    if (i > 0) out += ' ';
    if (default_charset && util::equals_ignore_case(msg.text(p.name), "charset")) seen_charset = true;
    AppendImapString(out, msg.text(p.name));
    out += ' ';
    AppendImapString(out, msg.text(p.value));
  }
  if (default_charset && !seen_charset) {
    if (params.count > 0) out += ' ';
    out += R"("charset" "us-ascii")";
  }
  out += ')';
}

// Disposition, language and location: the tail shared by all parts.
void AppendExtensionTail(std::string& out, const Message& msg, const Part& part) {
  out += ' ';
  if (!part.disposition.present()) {
    out += "NIL";
  } else {
    out += '(';
    AppendImapString(out, msg.text(part.disposition));
    out += ' ';
    AppendParams(out, msg, part.disposition_params, false);
    out += ')';
  }
  out += ' ';
  if (part.languages.count == 0) {
    out += "NIL";
  } else {
    out += '(';
    for (uint32_t i = 0; i < part.languages.count; ++i) {
      if (i > 0) out += ' ';
      AppendImapString(out, msg.text(msg.string_at(part.languages.first + i)));
    }
    out += ')';
  }
  out += ' ';
  AppendImapNStringNoLf(out, msg.nstring(part.location));
}

void AppendChildren(std::string& out, const Message& msg, const Part& part, bool extended) {
  for (uint32_t c = part.first_child; c != kNoPart; c = msg.part(c).next_sibling) {
    out += '(';
    AppendPartStructure(out, msg, c, extended);
    out += ')';
  }
}

// A multipart or message/rfc822 whose content was not parsed (nesting or
// part limits) is announced as opaque data, as Dovecot does.
bool IsTruncated(const Message& msg, const Part& part) {
  if (part.type.present()) {
    std::string_view type = msg.text(part.type);
    if (util::equals_ignore_case(type, "message") && util::equals_ignore_case(msg.text(part.subtype), "rfc822")) return true;
    return util::equals_ignore_case(type, "multipart");
  }
  return part.parent != kNoPart && msg.part(part.parent).is(kPartDigest);
}

void AppendMultipart(std::string& out, const Message& msg, const Part& part, bool extended) {
  if (part.first_child != kNoPart) {
    AppendChildren(out, msg, part, extended);
  } else {
    out += extended ? kEmptyBodyStructure : kEmptyBody;  // a multipart needs one part
  }
  out += ' ';
  AppendImapString(out, msg.text(part.subtype));
  if (!extended) return;
  out += ' ';
  AppendParams(out, msg, part.type_params, false);
  AppendExtensionTail(out, msg, part);
}

void AppendSinglePart(std::string& out, const Message& msg, const Part& part, bool extended) {
  bool text;
  if (part.is(kPartMessageRfc822)) {
    if (part.type.present() && util::equals_ignore_case(msg.text(part.type), "message") &&
        util::equals_ignore_case(msg.text(part.subtype), "global")) {
      out += R"("message" "global")";  // only with ParseLimits::nest_message_global
    } else {
      out += R"("message" "rfc822")";
    }
    text = false;
  } else if (IsTruncated(msg, part)) {
    out += R"("application" "octet-stream")";
    text = false;
  } else if (!part.type.present()) {
    out += R"("text" "plain")";
    text = true;
  } else {
    text = util::equals_ignore_case(msg.text(part.type), "text");
    AppendImapString(out, msg.text(part.type));
    out += ' ';
    AppendImapString(out, msg.text(part.subtype));
  }
  out += ' ';
  AppendParams(out, msg, part.type_params, text);
  out += ' ';
  AppendImapNStringNoLf(out, msg.nstring(part.id));
  out += ' ';
  AppendImapNStringNoLf(out, msg.nstring(part.description));
  out += ' ';
  if (part.transfer_encoding.present()) {
    AppendImapString(out, msg.text(part.transfer_encoding));
  } else {
    out += R"("7bit")";
  }
  out += ' ';
  out += std::to_string(part.body_vsize);
  if (text) {
    out += ' ';
    out += std::to_string(part.body_lines);
  } else if (part.is(kPartMessageRfc822) && part.first_child != kNoPart) {
    const Part& child = msg.part(part.first_child);
    out += ' ';
    if (child.envelope != kNoPart) {
      AppendEnvelope(out, msg, child.envelope);
    } else {
      out += "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    }
    out += ' ';
    AppendChildren(out, msg, part, extended);
    out += ' ';
    out += std::to_string(part.body_lines);
  }
  if (!extended) return;
  out += ' ';
  AppendImapNStringNoLf(out, msg.nstring(part.md5));
  AppendExtensionTail(out, msg, part);
}

// Dovecot answers a message that is a single plain US-ASCII 7bit text part
// with a canonical, lower-case BODYSTRUCTURE whatever case the header used
// (message_part_data_is_plain_7bit()).
bool IsPlain7bit(const Message& msg) {
  const Part& root = msg.root();
  if (!root.is(kPartText) || root.first_child != kNoPart) return false;
  if (root.subtype.present() && !util::equals_ignore_case(msg.text(root.subtype), "plain")) return false;
  if (root.type_params.count > 1) return false;
  if (root.type_params.count == 1) {
    const Param& p = msg.param(root.type_params.first);
    if (!util::equals_ignore_case(msg.text(p.name), "charset") || !util::equals_ignore_case(msg.text(p.value), "us-ascii")) return false;
  }
  if (root.id.present() || root.description.present()) return false;
  if (root.transfer_encoding.present() && !util::equals_ignore_case(msg.text(root.transfer_encoding), "7bit")) return false;
  return !root.md5.present() && !root.disposition.present() && root.languages.count == 0 &&
         !root.location.present();
}

}  // namespace

void AppendPartStructure(std::string& out, const Message& msg, uint32_t index, bool extended) {
  const Part& part = msg.part(index);
  if (part.is(kPartMultipart)) {
    AppendMultipart(out, msg, part, extended);
  } else {
    AppendSinglePart(out, msg, part, extended);
  }
}

std::string RenderBodyStructure(const Message& msg, bool extended) {
  std::string out = "(";
  if (IsPlain7bit(msg)) {
    const Part& root = msg.root();
    out += R"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" )";
    out += std::to_string(root.body_vsize) + " " + std::to_string(root.body_lines);
    if (extended) out += " NIL NIL NIL NIL";
    out += ')';
    return out;
  }
  AppendPartStructure(out, msg, 0, extended);
  out += ')';
  return out;
}

}  // namespace loft::mime

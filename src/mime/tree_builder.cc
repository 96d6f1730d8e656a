#include "mime/tree_builder.h"

#include "mime/header.h"

namespace loft::mime {
namespace {

void AppendAddresses(std::vector<ParsedAddress>& list, std::string_view full_value) {
  std::vector<ParsedAddress> parsed = ParseAddressList(full_value);
  list.insert(list.end(), std::make_move_iterator(parsed.begin()), std::make_move_iterator(parsed.end()));
}

}  // namespace

void AddEnvelopeField(EnvelopeFields& env, std::string_view name, std::string_view full_value) {
  if (name.empty()) return;
  switch (name[0] | 0x20) {
    case 'b':
      if (HeaderNameEquals(name, "Bcc")) AppendAddresses(env.bcc, full_value);
      break;
    case 'c':
      if (HeaderNameEquals(name, "Cc")) AppendAddresses(env.cc, full_value);
      break;
    case 'd':
      if (HeaderNameEquals(name, "Date")) env.date = HeaderStrdup(full_value);
      break;
    case 'f':
      if (HeaderNameEquals(name, "From")) AppendAddresses(env.from, full_value);
      break;
    case 'i':
      if (HeaderNameEquals(name, "In-Reply-To")) env.in_reply_to = HeaderStrdup(full_value);
      break;
    case 'm':
      if (HeaderNameEquals(name, "Message-ID")) env.message_id = HeaderStrdup(full_value);
      break;
    case 'r':
      if (HeaderNameEquals(name, "Reply-To")) AppendAddresses(env.reply_to, full_value);
      break;
    case 's':
      if (HeaderNameEquals(name, "Subject")) {
        env.subject = HeaderStrdup(full_value);
      } else if (HeaderNameEquals(name, "Sender")) {
        AppendAddresses(env.sender, full_value);
      }
      break;
    case 't':
      if (HeaderNameEquals(name, "To")) AppendAddresses(env.to, full_value);
      break;
  }
}

TextRef TreeBuilder::Intern(std::string_view s) {
  // The pool is indexed with 32 bits; past 4 GiB of parsed strings (far
  // beyond any message the store accepts) further strings are kept empty.
  if (s.size() >= TextRef::kAbsent - msg_.text_.size()) s = std::string_view();
  TextRef ref;
  ref.offset = static_cast<uint32_t>(msg_.text_.size());
  ref.size = static_cast<uint32_t>(s.size());
  msg_.text_.append(s);
  return ref;
}

Range TreeBuilder::InternAddresses(const std::vector<ParsedAddress>& list) {
  Range r;
  r.first = static_cast<uint32_t>(msg_.addresses_.size());
  r.count = static_cast<uint32_t>(list.size());
  for (const ParsedAddress& a : list) {
    Address out;
    out.name = InternOptional(a.name);
    out.route = InternOptional(a.route);
    out.mailbox = InternOptional(a.mailbox);
    out.domain = InternOptional(a.domain);
    msg_.addresses_.push_back(out);
  }
  return r;
}

Range TreeBuilder::InternParams(const std::vector<MimeParam>& params) {
  Range r;
  r.first = static_cast<uint32_t>(msg_.params_.size());
  r.count = static_cast<uint32_t>(params.size());
  for (const MimeParam& p : params) {
    Param out;
    out.name = Intern(p.name);
    out.value = Intern(p.value);
    msg_.params_.push_back(out);
  }
  return r;
}

uint32_t TreeBuilder::AddEnvelope(const EnvelopeFields& env) {
  Envelope out;
  out.date = InternOptional(env.date);
  out.subject = InternOptional(env.subject);
  out.in_reply_to = InternOptional(env.in_reply_to);
  out.message_id = InternOptional(env.message_id);
  out.from = InternAddresses(env.from);
  out.sender = InternAddresses(env.sender);
  out.reply_to = InternAddresses(env.reply_to);
  out.to = InternAddresses(env.to);
  out.cc = InternAddresses(env.cc);
  out.bcc = InternAddresses(env.bcc);
  msg_.envelopes_.push_back(out);
  return static_cast<uint32_t>(msg_.envelopes_.size() - 1);
}

void TreeBuilder::SetContent(Part& part, const ContentFields& f) {
  if (f.has_type) {
    part.type = Intern(f.type);
    part.subtype = Intern(f.subtype);
    part.type_params = InternParams(f.type_params);
  }
  if (f.has_transfer_encoding) part.transfer_encoding = Intern(f.transfer_encoding);
  if (f.has_id) part.id = Intern(f.id);
  if (f.has_description) part.description = Intern(f.description);
  if (f.has_md5) part.md5 = Intern(f.md5);
  if (f.has_location) part.location = Intern(f.location);
  if (f.has_disposition) {
    part.disposition = Intern(f.disposition);
    part.disposition_params = InternParams(f.disposition_params);
  }
  if (!f.languages.empty()) {
    part.languages.first = static_cast<uint32_t>(msg_.strings_.size());
    part.languages.count = static_cast<uint32_t>(f.languages.size());
    for (const std::string& lang : f.languages) msg_.strings_.push_back(Intern(lang));
  }
}

}  // namespace loft::mime

// ENVELOPE rendering (RFC 3501 7.4.2), byte-compatible with Dovecot 2.3.

#include "mime/imap_strings.h"

namespace loft::mime {
namespace {

void AppendAddressList(std::string& out, const Message& msg, Range list) {
  if (list.count == 0) {
    out += "NIL";
    return;
  }
  out += '(';
  for (uint32_t i = 0; i < list.count; ++i) {
    const Address& a = msg.address(list.first + i);
    out += '(';
    if (a.name.present()) {
      AppendImapStringForHumans(out, msg.text(a.name));
    } else {
      out += "NIL";
    }
    out += ' ';
    AppendImapNString(out, msg.nstring(a.route));
    out += ' ';
    AppendImapNString(out, msg.nstring(a.mailbox));
    out += ' ';
    AppendImapNString(out, msg.nstring(a.domain));
    out += ')';
  }
  out += ')';
}

}  // namespace

void AppendEnvelope(std::string& out, const Message& msg, uint32_t index) {
  const Envelope& e = msg.envelope(index);
  out += '(';
  // Date, In-Reply-To and Message-ID lose folding line ends (Dovecot 2.3.19).
  AppendImapNStringNoLf(out, msg.nstring(e.date));
  out += ' ';
  if (e.subject.present()) {
    AppendImapStringForHumans(out, msg.text(e.subject));
  } else {
    out += "NIL";
  }
  out += ' ';
  AppendAddressList(out, msg, e.from);
  out += ' ';
  // Sender and Reply-To default to From (RFC 3501 7.4.2).
  AppendAddressList(out, msg, e.sender.count != 0 ? e.sender : e.from);
  out += ' ';
  AppendAddressList(out, msg, e.reply_to.count != 0 ? e.reply_to : e.from);
  out += ' ';
  AppendAddressList(out, msg, e.to);
  out += ' ';
  AppendAddressList(out, msg, e.cc);
  out += ' ';
  AppendAddressList(out, msg, e.bcc);
  out += ' ';
  AppendImapNStringNoLf(out, msg.nstring(e.in_reply_to));
  out += ' ';
  AppendImapNStringNoLf(out, msg.nstring(e.message_id));
  out += ')';
}

std::string RenderEnvelope(const Message& msg, uint32_t index) {
  std::string out;
  AppendEnvelope(out, msg, index);
  return out;
}

}  // namespace loft::mime

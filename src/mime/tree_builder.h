// TreeBuilder: the only writer of a Message's tables (a friend of Message).
// The parser hands it finished pieces (parts, content fields, envelopes) and
// it interns their strings into the message's text pool. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/address_parser.h"
#include "mime/content_fields.h"
#include "mime/message.h"

namespace loft::mime {

// Envelope fields as collected from a header, before interning.
struct EnvelopeFields {
  std::optional<std::string> date, subject, in_reply_to, message_id;
  std::vector<ParsedAddress> from, sender, reply_to, to, cc, bcc;
};

// Feeds one header field to an envelope (non-envelope fields are ignored):
// for the string fields the last occurrence wins, address fields add up.
void AddEnvelopeField(EnvelopeFields& env, std::string_view name, std::string_view full_value);

class TreeBuilder {
 public:
  explicit TreeBuilder(Message& msg) : msg_(msg) {}

  std::vector<Part>& parts() { return msg_.parts_; }
  uint32_t AddEnvelope(const EnvelopeFields& env);
  void SetContent(Part& part, const ContentFields& fields);
  TextRef Intern(std::string_view s);

 private:
  Range InternAddresses(const std::vector<ParsedAddress>& list);
  Range InternParams(const std::vector<MimeParam>& params);
  TextRef InternOptional(const std::optional<std::string>& s) { return s ? Intern(*s) : TextRef(); }

  Message& msg_;
};

}  // namespace loft::mime

// The MIME parser (src/mime): ParseMessage on any bytes, then everything a
// FETCH builds from the tree (ENVELOPE, BODY, BODYSTRUCTURE, sections, header
// field filters, decoded part text), and the cache form: Serialize then
// Deserialize must give a tree that serialises and renders identically.
// Deserialize also gets the raw input, as a corrupt cache entry.
//
// Input: the message.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "mime/decode.h"
#include "mime/imap_strings.h"
#include "mime/message.h"

namespace {

using namespace loft::mime;

void RenderAll(const Message& msg, std::string* envelope, std::string* body, std::string* bodystructure) {
  *envelope = RenderEnvelope(msg);
  *body = RenderBodyStructure(msg, false);
  *bodystructure = RenderBodyStructure(msg, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  ParseLimits limits;
  limits.max_depth = 20;
  limits.max_parts = 200;
  Message msg = ParseMessage(text, limits);
  FUZZ_CHECK(msg.part_count() >= 1);
  FUZZ_CHECK(msg.part_count() <= limits.max_parts + 1);
  for (const Part& p : msg.parts()) {
    FUZZ_CHECK(p.header_offset <= p.body_offset && p.body_offset <= p.end_offset && p.end_offset <= size);
    FUZZ_CHECK(p.depth < limits.max_depth + 1);
  }
  FUZZ_CHECK(msg.root().end_offset == size);

  std::string envelope, body, bodystructure;
  RenderAll(msg, &envelope, &body, &bodystructure);

  // The cache round trip.
  std::string blob = msg.Serialize();
  std::optional<Message> back = Message::Deserialize(blob);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->Serialize() == blob);
  std::string envelope2, body2, bodystructure2;
  RenderAll(*back, &envelope2, &body2, &bodystructure2);
  FUZZ_CHECK(envelope == envelope2 && body == body2 && bodystructure == bodystructure2);

  // Sections as FETCH BODY[...] asks for them.
  for (const char* part : {"", "1", "2", "1.1", "1.2", "2.1.1", "3"}) {
    if (auto index = FindSectionPart(msg, part)) FUZZ_CHECK(*index < msg.part_count());
    for (SectionText what : {SectionText::kAll, SectionText::kMime, SectionText::kHeader, SectionText::kText}) {
      if (auto r = SectionRange(msg, part, what)) {
        FUZZ_CHECK(r->offset <= size && r->size <= size - r->offset);
        if (what == SectionText::kHeader || what == SectionText::kMime) {
          std::string_view header = text.substr(r->offset, r->size);
          (void)FilterHeaderFields(header, {"FROM", "SUBJECT", "CONTENT-TYPE"}, false);
          (void)FilterHeaderFields(header, {"RECEIVED"}, true);
        }
      }
    }
  }
  // Decoded text of the first few parts (transfer encoding and charset).
  for (uint32_t i = 0; i < msg.part_count() && i < 8; ++i) {
    std::string decoded = DecodePartText(msg, i, text);
    FUZZ_CHECK(IsValidUtf8(decoded));
  }

  // Arbitrary bytes as a cache entry: refused, or a tree that renders.
  if (std::optional<Message> odd = Message::Deserialize(text)) {
    std::string e, b, bs;
    RenderAll(*odd, &e, &b, &bs);
    (void)odd->Serialize();
  }
  return 0;
}

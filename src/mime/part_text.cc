// DecodePartText(): a leaf part's body as UTF-8 text, for SEARCH.

#include "util/ascii.h"
#include "mime/decode.h"

namespace loft::mime {
std::string DecodePartText(const Message& msg, uint32_t index, std::string_view data) {
  const Part& part = msg.part(index);
  if (part.end_offset > data.size() || part.body_offset > part.end_offset) return std::string();
  std::string_view body = data.substr(part.body_offset, part.body_size());
  std::string decoded = part.transfer_encoding.present()
                            ? DecodeTransferEncoding(body, msg.text(part.transfer_encoding))
                            : std::string(body);
  std::string_view charset = "us-ascii";
  for (uint32_t i = 0; i < part.type_params.count; ++i) {
    const Param& p = msg.param(part.type_params.first + i);
    if (util::equals_ignore_case(msg.text(p.name), "charset")) {
      charset = msg.text(p.value);
      break;
    }
  }
  std::string out;
  ConvertToUtf8(charset, decoded, out);
  return out;
}

}  // namespace loft::mime

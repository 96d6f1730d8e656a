// Parsing of a part's Content-* header fields into raw values, with Dovecot
// 2.3's rules: which occurrence wins, what a broken field yields, and that all
// of it is forgotten when the part turns out not to be MIME. Internal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_params.h"

namespace loft::mime {

struct ContentFields {
  bool has_type = false;  // type/subtype set (subtype may be "")
  std::string type, subtype;
  std::vector<MimeParam> type_params;
  bool has_transfer_encoding = false;
  std::string transfer_encoding;
  bool has_id = false, has_description = false, has_md5 = false, has_location = false;
  std::string id, description, md5, location;
  bool has_disposition = false;
  std::string disposition;
  std::vector<MimeParam> disposition_params;
  std::vector<std::string> languages;  // empty = none
};

// Feeds one header field (name, Dovecot full value). Fields that are not
// Content-* are ignored.
void AddContentField(ContentFields& fields, std::string_view name, std::string_view full_value);

// What the message parser itself derives from Content-Type: the lower-level
// "type/subtype" text and the boundary (first "boundary" parameter, cut at
// 80 bytes like Dovecot). ok = the type was syntactically valid.
struct ContentTypeInfo {
  std::string type_subtype;
  bool ok = false;
  bool has_boundary = false;
  std::string boundary;
};
ContentTypeInfo ParseContentTypeForParser(std::string_view full_value, bool want_boundary);

// Dovecot's message_header_strdup(): string fields keep everything, a NUL
// becomes U+FFFD.
std::string HeaderStrdup(std::string_view value);

}  // namespace loft::mime

// Modified UTF-7 mailbox names (imap/modified_utf7.h, imap/mailbox_name.h):
// decoding and encoding must be exact inverses wherever they succeed, and
// agree with the UTF-8 validator.
//
// Input: the bytes, used both as a wire name (mUTF-7) and as a store name (UTF-8).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "imap/mailbox_name.h"
#include "imap/modified_utf7.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace loft::imap;

  // mUTF-7 -> UTF-8 -> mUTF-7 -> UTF-8. The re-encoding equals the input
  // except where the input's last base64 character carried non-zero unused
  // bits ("&VnLIqe-" for "&VnLIqQ-"): Dovecot accepts those too.
  std::optional<std::string> decoded = DecodeModifiedUtf7(text);
  FUZZ_CHECK(decoded.has_value() == IsValidModifiedUtf7(text));
  if (decoded) {
    FUZZ_CHECK(IsValidUtf8(*decoded));
    std::optional<std::string> again = EncodeModifiedUtf7(*decoded);
    FUZZ_CHECK(again && again->size() == text.size());
    std::optional<std::string> back = DecodeModifiedUtf7(*again);
    FUZZ_CHECK(back && *back == *decoded);
  }

  // UTF-8 -> mUTF-7 -> UTF-8.
  std::optional<std::string> encoded = EncodeModifiedUtf7(text);
  FUZZ_CHECK(encoded.has_value() == (IsValidUtf8(text) && text.find('\0') == std::string_view::npos));
  if (encoded) {
    for (unsigned char c : *encoded) FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
    std::optional<std::string> back = DecodeModifiedUtf7(*encoded);
    FUZZ_CHECK(back && *back == text);
  }

  // The session's view: wire name -> store name -> wire name.
  for (bool utf8_mode : {false, true}) {
    auto name = DecodeMailboxName(text, utf8_mode);
    if (!name) continue;
    std::string wire = EncodeMailboxName(*name, utf8_mode);
    auto again = DecodeMailboxName(wire, utf8_mode);
    FUZZ_CHECK(again && *again == *name);
    (void)NormalizeInbox(*name);
  }
  return 0;
}

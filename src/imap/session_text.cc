#include "imap/session_text.h"

#include <openssl/evp.h>

namespace loft::imap {
namespace {

// RFC 5802 saslname: "=2C" is ',' and "=3D" is '='.
std::string DecodeSaslName(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "=2C") {
      out.push_back(',');
      i += 2;
    } else if (s.substr(i, 3) == "=3D") {
      out.push_back('=');
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string Sanitize(std::string_view s, size_t max) {
  std::string out(s.substr(0, max));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // padding only in the last two places
      ++pad;
    } else if (!alpha || pad > 0) {
      return std::nullopt;
    }
  }
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string SaslClaimedUser(std::string_view mechanism, size_t message_index, std::string_view message) {
  std::string name;
  if (mechanism == "PLAIN") {
    // authzid NUL authcid NUL password (RFC 4616)
    size_t a = message.find('\0');
    if (a != std::string_view::npos) {
      size_t b = message.find('\0', a + 1);
      if (b != std::string_view::npos) name = std::string(message.substr(a + 1, b - a - 1));
    }
  } else if (mechanism == "LOGIN") {
    if (message_index == 0) name = std::string(message);  // then the password
  } else if (mechanism.substr(0, 6) == "SCRAM-" && message_index == 0) {
    // gs2-header ("n,," ...) then "n=user,r=nonce"
    size_t c1 = message.find(',');
    size_t c2 = c1 == std::string_view::npos ? c1 : message.find(',', c1 + 1);
    if (c2 != std::string_view::npos) {
      std::string_view bare = message.substr(c2 + 1);
      if (bare.substr(0, 2) == "n=") {
        bare.remove_prefix(2);
        name = DecodeSaslName(bare.substr(0, bare.find(',')));
      }
    }
  }
  if (name.size() > 64) return {};
  return AsciiLower(name);
}

}  // namespace loft::imap

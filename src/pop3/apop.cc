#include "pop3/apop.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <random>

#include "pop3/text.h"

namespace loft::pop3 {

std::string make_apop_timestamp(std::string_view hostname) {
  uint64_t random = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&random), sizeof random) != 1) {
    // Uniqueness matters more than secrecy here; fall back to the OS source.
    std::random_device rd;
    random = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "<%ld.%016llx@", static_cast<long>(getpid()),
                static_cast<unsigned long long>(random));
  return std::string(buf) + sanitize(hostname, 200) + ">";
}

std::string apop_digest(std::string_view timestamp, std::string_view secret) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, timestamp.data(), timestamp.size()) == 1 &&
            EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, md, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};
  return hex_lower(std::string_view(reinterpret_cast<const char*>(md), len));
}

bool apop_digest_matches(std::string_view timestamp, std::string_view secret, std::string_view hex_digest) {
  std::string expected = apop_digest(timestamp, secret);
  std::string given = ascii_lower(hex_digest);
  if (expected.size() != 32 || given.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace loft::pop3

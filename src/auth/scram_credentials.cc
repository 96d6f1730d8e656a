// SCRAM-SHA-256 server credentials (RFC 5802 section 3, RFC 7677).
#include <openssl/evp.h>

#include <stdexcept>

#include "auth/auth.h"
#include "auth/crypto_util.h"
#include "auth/scram_internal.h"

namespace loft::auth {
namespace internal {

ScramCredentials derive_scram_credentials(std::string_view password, std::string_view salt,
                                          uint32_t iterations) {
  if (iterations == 0) throw std::invalid_argument("SCRAM iteration count must be positive");
  // SASLprep is not applied: the password bytes are used as given (identical
  // for ASCII passwords; clients that normalise non-ASCII ones may differ).
  std::string salted(32, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), static_cast<int>(salted.size()),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  ScramCredentials creds;
  creds.salt = std::string(salt);
  creds.iterations = iterations;
  creds.stored_key = sha256(hmac_sha256(salted, "Client Key"));
  creds.server_key = hmac_sha256(salted, "Server Key");
  return creds;
}

}  // namespace internal

ScramCredentials make_scram_credentials(std::string_view password, uint32_t iterations) {
  return internal::derive_scram_credentials(password, internal::random_bytes(internal::kScramSaltLen),
                                            iterations);
}

}  // namespace loft::auth

// Mechanism registry: make_sasl_server() and sasl_mechanisms().
#include <spdlog/spdlog.h>

#include "auth/auth.h"
#include "auth/crypto_util.h"
#include "auth/sasl_internal.h"

namespace loft::auth {

namespace internal {

bool check_password_safely(UserDb& db, std::string_view user, std::string_view password) {
  try {
    return db.check(user, password);
  } catch (const std::exception& e) {
    spdlog::error("auth: password check failed: {}", e.what());
    return false;
  }
}

}  // namespace internal

std::unique_ptr<SaslServer> make_sasl_server(std::string_view mechanism, UserDb& db) {
  std::string name = internal::ascii_lower(mechanism);
  if (name == "scram-sha-256") return internal::make_scram_sha256_server(db);
  if (name == "plain") return internal::make_plain_server(db);
  if (name == "login") return internal::make_login_server(db);
  return nullptr;
}

std::vector<std::string> sasl_mechanisms() { return {"SCRAM-SHA-256", "PLAIN", "LOGIN"}; }

}  // namespace loft::auth

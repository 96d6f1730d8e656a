// Shared pieces of the SASL server mechanisms.
#pragma once

#include <memory>
#include <string>

#include "auth/auth.h"

namespace loft::auth::internal {

inline constexpr const char* kErrorMalformed = "malformed";
inline constexpr const char* kErrorCredentials = "credentials";

inline SaslServer::Step sasl_continue(std::string challenge) {
  return {SaslServer::State::kContinue, std::move(challenge), {}};
}
inline SaslServer::Step sasl_success(std::string final_data = {}) {
  return {SaslServer::State::kSuccess, std::move(final_data), {}};
}
inline SaslServer::Step sasl_failure(const char* error) { return {SaslServer::State::kFailure, {}, error}; }

// db.check() that never throws: a database failure is logged and counts as a
// failed login (the SASL API has no "try again later" answer).
bool check_password_safely(UserDb& db, std::string_view user, std::string_view password);

std::unique_ptr<SaslServer> make_plain_server(UserDb& db);
std::unique_ptr<SaslServer> make_login_server(UserDb& db);
std::unique_ptr<SaslServer> make_scram_sha256_server(UserDb& db);

}  // namespace loft::auth::internal

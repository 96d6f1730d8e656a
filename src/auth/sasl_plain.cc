// SASL PLAIN (RFC 4616): message = [authzid] NUL authcid NUL passwd.
#include "auth/crypto_util.h"
#include "auth/sasl_internal.h"

namespace loft::auth::internal {
namespace {

class PlainServer final : public SaslServer {
 public:
  explicit PlainServer(UserDb& db) : db_(db) {}

  Step step(std::string_view message) override {
    if (done_) return sasl_failure(kErrorMalformed);
    // No initial response: send an empty challenge and wait for the message.
    if (message.empty() && first_) {
      first_ = false;
      return sasl_continue({});
    }
    done_ = true;
    if (message.size() > kMaxSaslMessage) return sasl_failure(kErrorMalformed);
    size_t nul1 = message.find('\0');
    if (nul1 == std::string_view::npos) return sasl_failure(kErrorMalformed);
    size_t nul2 = message.find('\0', nul1 + 1);
    if (nul2 == std::string_view::npos || message.find('\0', nul2 + 1) != std::string_view::npos) {
      return sasl_failure(kErrorMalformed);
    }
    std::string_view authzid = message.substr(0, nul1);
    std::string_view authcid = message.substr(nul1 + 1, nul2 - nul1 - 1);
    std::string_view password = message.substr(nul2 + 1);
    if (authcid.empty() || password.empty()) return sasl_failure(kErrorMalformed);
    // We do not support logging in as somebody else (no master users).
    if (!authzid.empty() && !ascii_iequals(authzid, authcid)) return sasl_failure(kErrorCredentials);
    if (!check_password_safely(db_, authcid, password)) return sasl_failure(kErrorCredentials);
    user_ = ascii_lower(authcid);
    return sasl_success();
  }

  const std::string& user() const override { return user_; }

 private:
  UserDb& db_;
  bool first_ = true;
  bool done_ = false;
  std::string user_;
};

}  // namespace

std::unique_ptr<SaslServer> make_plain_server(UserDb& db) { return std::make_unique<PlainServer>(db); }

}  // namespace loft::auth::internal

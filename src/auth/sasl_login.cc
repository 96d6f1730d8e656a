// SASL LOGIN (draft-murchison-sasl-login): "Username:" then "Password:".
#include "auth/crypto_util.h"
#include "auth/sasl_internal.h"

namespace loft::auth::internal {
namespace {

class LoginServer final : public SaslServer {
 public:
  explicit LoginServer(UserDb& db) : db_(db) {}

  Step step(std::string_view message) override {
    if (message.size() > kMaxSaslMessage) {
      stage_ = Stage::kDone;
      return sasl_failure(kErrorMalformed);
    }
    switch (stage_) {
      case Stage::kStart:
        if (message.empty()) {
          stage_ = Stage::kUser;
          return sasl_continue("Username:");
        }
        [[fallthrough]];  // an initial response is the user name
      case Stage::kUser:
        if (message.empty() || message.find('\0') != std::string_view::npos) break;
        name_ = message;
        stage_ = Stage::kPassword;
        return sasl_continue("Password:");
      case Stage::kPassword: {
        stage_ = Stage::kDone;
        if (message.empty()) return sasl_failure(kErrorMalformed);
        if (!check_password_safely(db_, name_, message)) return sasl_failure(kErrorCredentials);
        user_ = ascii_lower(name_);
        return sasl_success();
      }
      case Stage::kDone:
        break;
    }
    stage_ = Stage::kDone;
    return sasl_failure(kErrorMalformed);
  }

  const std::string& user() const override { return user_; }

 private:
  enum class Stage { kStart, kUser, kPassword, kDone };
  UserDb& db_;
  Stage stage_ = Stage::kStart;
  std::string name_;
  std::string user_;
};

}  // namespace

std::unique_ptr<SaslServer> make_login_server(UserDb& db) { return std::make_unique<LoginServer>(db); }

}  // namespace loft::auth::internal

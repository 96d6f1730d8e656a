// TLS server configuration: certificate and key, protocol floor, ciphers.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace loft::net {

// An immutable server context. Reloading builds a new one; connections keep
// the one they started with.
class TlsContext {
 public:
  // Loads a PEM certificate chain and key; throws std::runtime_error with a
  // one-line reason. TLS 1.2 and above, modern AEAD ciphers only.
  static std::shared_ptr<TlsContext> load(const std::filesystem::path& cert, const std::filesystem::path& key);
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// Writes a self-signed certificate (EC P-256, 10 years, SAN: hostname,
// localhost, 127.0.0.1, ::1) and its key (mode 0600) unless both exist.
void ensure_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                        const std::string& hostname);

}  // namespace loft::net

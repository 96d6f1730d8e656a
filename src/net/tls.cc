#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <stdexcept>

namespace loft::net {
namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::load(const std::filesystem::path& cert, const std::filesystem::path& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) throw std::runtime_error("cannot create TLS context: " + openssl_error());
  std::shared_ptr<TlsContext> holder(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // Mozilla "intermediate": forward secrecy and AEAD only for TLS 1.2;
  // TLS 1.3 suites are all modern.
  SSL_CTX_set_cipher_list(ctx,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                          "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384");
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    throw std::runtime_error("cannot load TLS certificate " + cert.string() + ": " + openssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("cannot load TLS key " + key.string() + ": " + openssl_error());
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error("TLS key " + key.string() + " does not match certificate " + cert.string());
  return holder;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

void ensure_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key,
                        const std::string& hostname) {
  namespace fs = std::filesystem;
  if (fs::exists(cert) && fs::exists(key)) return;
  fs::create_directories(cert.parent_path());
  fs::create_directories(key.parent_path());

  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) throw std::runtime_error("cannot generate TLS key: " + openssl_error());
  X509* x = X509_new();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey_guard(pkey, EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x_guard(x, X509_free);

  X509_set_version(x, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(hostname.c_str()),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Loft self-signed"),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  std::string san = "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1,IP:::1";
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_ext_key_usage, "serverAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (!ext) throw std::runtime_error("cannot build certificate extension: " + openssl_error());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(x, pkey, EVP_sha256())) throw std::runtime_error("cannot sign certificate: " + openssl_error());

  // Key first, created 0600 from the start.
  auto key_tmp = key.string() + ".tmp";
  mode_t old = umask(077);
  FILE* kf = fopen(key_tmp.c_str(), "w");
  umask(old);
  if (!kf || !PEM_write_PrivateKey(kf, pkey, nullptr, nullptr, 0, nullptr, nullptr))
    throw std::runtime_error("cannot write " + key_tmp);
  fclose(kf);
  auto cert_tmp = cert.string() + ".tmp";
  FILE* cf = fopen(cert_tmp.c_str(), "w");
  if (!cf || !PEM_write_X509(cf, x)) throw std::runtime_error("cannot write " + cert_tmp);
  fclose(cf);
  fs::rename(key_tmp, key);
  fs::rename(cert_tmp, cert);
}

}  // namespace loft::net

// Stored password forms, shared by verification and passwd-file import.
#pragma once

#include <string>
#include <string_view>

namespace loft::auth::internal {

enum class HashKind { kUnknown, kArgon2, kCrypt, kPlain };

struct StoredHash {
  HashKind kind = HashKind::kUnknown;
  // Bare form: the PHC/crypt string without any {SCHEME} prefix, or the
  // plaintext for {PLAIN}/{CLEAR}.
  std::string value;
};

// Classifies "{SCHEME}value" (scheme names case-insensitive) or a bare
// "$argon2..$"/crypt(3) string. Argon2 parameters beyond sane bounds and
// crypt prefixes we do not support come back as kUnknown.
StoredHash parse_stored_hash(std::string_view stored);

// True when `hash` (a bare crypt string) is something libxcrypt can compute,
// checked by hashing an empty phrase with it and comparing the shape.
bool crypt_hash_well_formed(const std::string& hash);

// True when libargon2 can decode `hash` (a bare $argon2..$ string); costs one
// verification.
bool argon2_hash_well_formed(const std::string& hash);

}  // namespace loft::auth::internal

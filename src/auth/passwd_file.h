// Reading Dovecot passwd-files for UserDb::import_passwd_file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"

namespace loft::auth::internal {

struct PasswdEntry {
  std::string name;           // lower-cased, valid
  std::string password_hash;  // argon2id we made, or the bare imported hash
  std::optional<ScramCredentials> scram;
};

// Parses the whole file before anything is stored, so a bad line imports
// nothing. Throws std::runtime_error naming the line on a malformed line or an
// unsupported scheme. {PLAIN}/{CLEAR} passwords are re-hashed (slow).
std::vector<PasswdEntry> read_passwd_file(const std::filesystem::path& file);

}  // namespace loft::auth::internal

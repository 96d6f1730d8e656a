// Dovecot passwd-file: "user:password:uid:gid:gecos:home:shell:extra". Only the
// first two fields matter to us; a password without {SCHEME} is {CRYPT}.
#include "auth/passwd_file.h"

#include <fstream>
#include <stdexcept>
#include <string_view>

#include "auth/crypto_util.h"
#include "auth/password_internal.h"

namespace loft::auth::internal {
namespace {

constexpr size_t kMaxLine = 16 * 1024;

[[noreturn]] void fail(const std::filesystem::path& file, size_t line_no, std::string_view why) {
  throw std::runtime_error(file.string() + " line " + std::to_string(line_no) + ": " + std::string(why));
}

}  // namespace

std::vector<PasswdEntry> read_passwd_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open passwd-file " + file.string());
  std::vector<PasswdEntry> entries;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxLine) fail(file, line_no, "line too long");
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;

    size_t colon = line.find(':');
    if (colon == std::string::npos) fail(file, line_no, "expected user:password");
    std::string_view name = std::string_view(line).substr(0, colon);
    std::string_view rest = std::string_view(line).substr(colon + 1);
    std::string_view password = rest.substr(0, rest.find(':'));
    if (!UserDb::valid_name(name)) fail(file, line_no, "invalid user name");
    if (password.empty()) fail(file, line_no, "empty password field");

    std::string stored = password.front() == '{' ? std::string(password) : "{CRYPT}" + std::string(password);
    StoredHash parsed = parse_stored_hash(stored);
    PasswdEntry entry{ascii_lower(name), {}, std::nullopt};
    switch (parsed.kind) {
      case HashKind::kPlain:
        if (parsed.value.empty()) fail(file, line_no, "empty password");
        entry.password_hash = hash_password(parsed.value);
        entry.scram = make_scram_credentials(parsed.value);
        break;
      case HashKind::kCrypt:
        if (!crypt_hash_well_formed(parsed.value)) fail(file, line_no, "malformed crypt hash");
        entry.password_hash = parsed.value;
        break;
      case HashKind::kArgon2:
        if (!argon2_hash_well_formed(parsed.value)) fail(file, line_no, "malformed argon2 hash");
        entry.password_hash = parsed.value;
        break;
      case HashKind::kUnknown:
        fail(file, line_no, "unsupported password scheme or malformed hash");
    }
    entries.push_back(std::move(entry));
  }
  if (in.bad()) throw std::runtime_error("error reading passwd-file " + file.string());
  return entries;
}

}  // namespace loft::auth::internal

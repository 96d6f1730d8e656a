// hash_password / verify_password: argon2id for new hashes; argon2, crypt(3)
// and Dovecot {SCHEME} forms for verification.
#include <argon2.h>
#include <crypt.h>
#include <sys/mman.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "auth/auth.h"
#include "auth/crypto_util.h"
#include "auth/password_internal.h"

namespace loft::auth {
namespace {

// OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane); ~tens of ms per check.
constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19456;
constexpr uint32_t kParallelism = 1;
constexpr size_t kSaltLen = 16;
constexpr size_t kHashLen = 32;

// Bounds for argon2 parameters in stored hashes (an imported hash must not
// make every login allocate gigabytes or spin for minutes).
constexpr uint64_t kMaxMemoryKiB = 1u << 20;  // 1 GiB
constexpr uint64_t kMaxTimeCost = 64;
constexpr uint64_t kMaxParallelism = 16;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_crypt_form(std::string_view s) {
  for (std::string_view p : {"$6$", "$5$", "$2a$", "$2b$", "$2y$", "$y$", "$gy$"}) {
    if (starts_with(s, p)) return true;
  }
  return false;
}

// Reads "<key>=<digits>" at the front of s, advancing it.
bool take_param(std::string_view& s, std::string_view key, uint64_t& value) {
  if (!starts_with(s, key) || s.size() <= key.size() || s[key.size()] != '=') return false;
  s.remove_prefix(key.size() + 1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  return true;
}

// "$argon2X$[v=N$]m=M,t=T,p=P$salt$hash" with bounded M, T, P.
bool argon2_params_sane(std::string_view s) {
  s.remove_prefix(s.find('$', 1) + 1);  // past "$argon2X$"
  uint64_t v = 0, m = 0, t = 0, p = 0;
  if (starts_with(s, "v=")) {
    if (!take_param(s, "v", v) || !starts_with(s, "$")) return false;
    s.remove_prefix(1);
  }
  if (!take_param(s, "m", m) || !starts_with(s, ",")) return false;
  s.remove_prefix(1);
  if (!take_param(s, "t", t) || !starts_with(s, ",")) return false;
  s.remove_prefix(1);
  if (!take_param(s, "p", p) || !starts_with(s, "$")) return false;
  return m <= kMaxMemoryKiB && t >= 1 && t <= kMaxTimeCost && p >= 1 && p <= kMaxParallelism;
}

// Cost bounds for crypt(3) hashes, for the same reason: bcrypt cost 16 is a
// few seconds, SHA-crypt at 2 million rounds about one. (yescrypt parameters
// are left to libxcrypt.)
constexpr uint64_t kMaxBcryptCost = 16;
constexpr uint64_t kMaxShaCryptRounds = 2'000'000;

bool crypt_cost_sane(std::string_view s) {
  if (starts_with(s, "$2")) {  // $2x$NN$
    uint64_t cost = 0;
    auto [ptr, ec] = std::from_chars(s.data() + std::min<size_t>(4, s.size()), s.data() + s.size(), cost);
    return ec == std::errc() && cost <= kMaxBcryptCost;
  }
  if (starts_with(s, "$5$") || starts_with(s, "$6$")) {
    std::string_view rest = s.substr(3);
    uint64_t rounds = 0;
    if (!starts_with(rest, "rounds=")) return true;
    return take_param(rest, "rounds", rounds) && rounds <= kMaxShaCryptRounds;
  }
  return true;
}

std::optional<argon2_type> argon2_kind(std::string_view s) {
  if (starts_with(s, "$argon2id$")) return Argon2_id;
  if (starts_with(s, "$argon2i$")) return Argon2_i;
  if (starts_with(s, "$argon2d$")) return Argon2_d;
  return std::nullopt;
}

internal::StoredHash classify_bare(std::string_view s) {
  if (argon2_kind(s)) {
    if (!argon2_params_sane(s)) return {};
    return {internal::HashKind::kArgon2, std::string(s)};
  }
  if (is_crypt_form(s)) {
    if (!crypt_cost_sane(s)) return {};
    return {internal::HashKind::kCrypt, std::string(s)};
  }
  return {};
}

// argon2's work areas (19 MiB each for Loft's own hashes), reused. Without
// a pool every check maps, faults in and unmaps its area, which made a login
// cost twice Dovecot's CPU for the same hash; and at most one check per core
// runs at once, since more only thrash the caches (the others wait here, on
// their worker). Kept: one area per core while logins keep coming.
class Argon2Areas {
 public:
  static Argon2Areas& get() {
    static Argon2Areas* areas = new Argon2Areas();  // never destroyed: workers may outlive statics
    return *areas;
  }

  uint8_t* take(size_t bytes) {
    std::unique_lock lock(mu_);
    ++wanted_;
    cv_.wait(lock, [&] { return in_use_ < limit_; });
    ++in_use_;
    for (size_t i = 0; i < free_.size(); ++i) {
      if (free_[i].size >= bytes) {
        uint8_t* p = free_[i].data;
        taken_.push_back(free_[i]);
        free_.erase(free_.begin() + static_cast<long>(i));
        return p;
      }
    }
    lock.unlock();
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    lock.lock();
    if (p == MAP_FAILED) {
      --in_use_;
      --wanted_;
      cv_.notify_one();
      return nullptr;
    }
    taken_.push_back({static_cast<uint8_t*>(p), bytes});
    return static_cast<uint8_t*>(p);
  }

  void give_back(uint8_t* p) {
    std::lock_guard lock(mu_);
    auto it = std::find_if(taken_.begin(), taken_.end(), [&](const Area& a) { return a.data == p; });
    if (it == taken_.end()) return;
    Area area = *it;
    taken_.erase(it);
    --in_use_;
    --wanted_;
    // Areas bigger than Loft's own hashes need (imported hashes) are not
    // kept, and none once no check is running or waiting: the pool serves
    // bursts of logins, an idle server holds nothing.
    if (wanted_ > 0 && free_.size() < limit_ && area.size <= (kMemoryKiB + 1024) * 1024ull) {
      free_.push_back(area);
    } else {
      munmap(area.data, area.size);
    }
    if (wanted_ == 0) {
      for (const Area& a : free_) munmap(a.data, a.size);
      free_.clear();
    }
    cv_.notify_one();
  }

 private:
  struct Area {
    uint8_t* data;
    size_t size;
  };
  Argon2Areas() : limit_(std::max(2u, std::thread::hardware_concurrency())) {}

  std::mutex mu_;
  std::condition_variable cv_;
  const size_t limit_;
  size_t in_use_ = 0;
  size_t wanted_ = 0;  // checks running or waiting
  std::vector<Area> free_;
  std::vector<Area> taken_;
};

int take_area(uint8_t** memory, size_t bytes) {
  *memory = Argon2Areas::get().take(bytes);
  return *memory ? ARGON2_OK : ARGON2_MEMORY_ALLOCATION_ERROR;
}

void give_back_area(uint8_t* memory, size_t) { Argon2Areas::get().give_back(memory); }

// Unpadded standard base64, as argon2 encodes salt and hash.
std::optional<std::string> unpadded_base64(std::string_view s) {
  std::string padded(s);
  while (padded.size() % 4) padded += '=';
  return base64_decode(padded);
}

// "$argon2X$[v=N$]m=M,t=T,p=P$salt$hash" (already checked by
// argon2_params_sane) into a context that uses the pooled areas.
bool verify_argon2(const std::string& encoded, std::string_view password) {
  auto type = argon2_kind(encoded);
  if (!type || !argon2_params_sane(encoded)) return false;
  std::string_view s = encoded;
  s.remove_prefix(s.find('$', 1) + 1);
  uint64_t v = ARGON2_VERSION_10, m = 0, t = 0, p = 0;
  if (starts_with(s, "v=")) {
    take_param(s, "v", v);
    s.remove_prefix(1);
  }
  take_param(s, "m", m);
  s.remove_prefix(1);
  take_param(s, "t", t);
  s.remove_prefix(1);
  take_param(s, "p", p);
  s.remove_prefix(1);
  size_t dollar = s.find('$');
  if (dollar == std::string_view::npos) return false;
  std::optional<std::string> salt = unpadded_base64(s.substr(0, dollar));
  std::optional<std::string> hash = unpadded_base64(s.substr(dollar + 1));
  if (!salt || !hash || hash->empty() || salt->size() < ARGON2_MIN_SALT_LENGTH) return false;

  std::string out(hash->size(), '\0');
  std::string pwd(password);
  argon2_context ctx{};
  ctx.out = reinterpret_cast<uint8_t*>(out.data());
  ctx.outlen = static_cast<uint32_t>(out.size());
  ctx.pwd = reinterpret_cast<uint8_t*>(pwd.data());
  ctx.pwdlen = static_cast<uint32_t>(pwd.size());
  ctx.salt = reinterpret_cast<uint8_t*>(salt->data());
  ctx.saltlen = static_cast<uint32_t>(salt->size());
  ctx.t_cost = static_cast<uint32_t>(t);
  ctx.m_cost = static_cast<uint32_t>(m);
  ctx.lanes = static_cast<uint32_t>(p);
  ctx.threads = static_cast<uint32_t>(p);
  ctx.version = static_cast<uint32_t>(v);
  ctx.allocate_cbk = take_area;
  ctx.free_cbk = give_back_area;
  ctx.flags = ARGON2_DEFAULT_FLAGS;
  const bool ok = argon2_verify_ctx(&ctx, hash->data(), *type) == ARGON2_OK;
  std::fill(pwd.begin(), pwd.end(), '\0');
  return ok;
}

// Runs crypt(3) with `setting`; nullopt when libxcrypt rejects it.
std::optional<std::string> run_crypt(const std::string& phrase, const std::string& setting) {
  // crypt_data is ~32 KiB: keep it off the (worker) thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  std::optional<std::string> result;
  if (out != nullptr && out[0] != '*') result = out;
  explicit_bzero(data.get(), sizeof(crypt_data));  // it held the phrase
  return result;
}

bool verify_crypt(const std::string& hash, std::string_view password) {
  // crypt(3) stops at NUL, so a password with NUL would match its prefix.
  if (password.find('\0') != std::string_view::npos) return false;
  auto computed = run_crypt(std::string(password), hash);
  return computed && internal::constant_time_equal(*computed, hash);
}

bool verify_plain(std::string_view stored, std::string_view password) {
  // Hash both first so the comparison time does not depend on the length.
  return internal::constant_time_equal(internal::sha256(stored), internal::sha256(password));
}

}  // namespace

namespace internal {

StoredHash parse_stored_hash(std::string_view stored) {
  if (!starts_with(stored, "{")) return classify_bare(stored);
  size_t close = stored.find('}');
  if (close == std::string_view::npos || close > 32) return {};
  std::string scheme = ascii_lower(stored.substr(1, close - 1));
  std::string_view rest = stored.substr(close + 1);
  if (scheme == "plain" || scheme == "clear") return {HashKind::kPlain, std::string(rest)};

  StoredHash bare = classify_bare(rest);
  bool fits = false;
  if (scheme == "argon2id")
    fits = starts_with(rest, "$argon2id$");
  else if (scheme == "argon2i")
    fits = starts_with(rest, "$argon2i$");
  else if (scheme == "sha512-crypt")
    fits = starts_with(rest, "$6$");
  else if (scheme == "sha256-crypt")
    fits = starts_with(rest, "$5$");
  else if (scheme == "blf-crypt")
    fits = starts_with(rest, "$2a$") || starts_with(rest, "$2b$") || starts_with(rest, "$2y$");
  else if (scheme == "crypt")
    fits = bare.kind == HashKind::kCrypt;
  return fits ? bare : StoredHash{};
}

bool crypt_hash_well_formed(const std::string& hash) {
  auto computed = run_crypt("", hash);
  if (!computed || computed->size() != hash.size()) return false;
  size_t setting_end = hash.rfind('$');
  return computed->compare(0, setting_end, hash, 0, setting_end) == 0;
}

bool argon2_hash_well_formed(const std::string& hash) {
  auto type = argon2_kind(hash);
  if (!type || !argon2_params_sane(hash)) return false;
  int rc = argon2_verify(hash.c_str(), "", 0, *type);
  return rc == ARGON2_OK || rc == ARGON2_VERIFY_MISMATCH;
}

}  // namespace internal

std::string hash_password(std::string_view password) {
  std::string salt = internal::random_bytes(kSaltLen);
  size_t len = argon2_encodedlen(kTimeCost, kMemoryKiB, kParallelism, kSaltLen, kHashLen, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(kTimeCost, kMemoryKiB, kParallelism, password.data(), password.size(),
                                 salt.data(), salt.size(), kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool verify_password(std::string_view stored, std::string_view password) {
  internal::StoredHash parsed = internal::parse_stored_hash(stored);
  switch (parsed.kind) {
    case internal::HashKind::kArgon2:
      return verify_argon2(parsed.value, password);
    case internal::HashKind::kCrypt:
      return verify_crypt(parsed.value, password);
    case internal::HashKind::kPlain:
      return verify_plain(parsed.value, password);
    case internal::HashKind::kUnknown:
      return false;
  }
  return false;
}

}  // namespace loft::auth

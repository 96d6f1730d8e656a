// SCRAM-SHA-256 key derivation with a given salt (tests use fixed vectors).
#pragma once

#include <cstdint>
#include <string_view>

#include "auth/auth.h"

namespace loft::auth::internal {

inline constexpr size_t kScramSaltLen = 16;
inline constexpr uint32_t kScramDefaultIterations = 4096;

ScramCredentials derive_scram_credentials(std::string_view password, std::string_view salt,
                                          uint32_t iterations);

}  // namespace loft::auth::internal

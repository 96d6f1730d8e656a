// Exit codes from sysexits(3): Postfix and other MTAs act on them.
#pragma once

namespace loft::cli {
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;        // EX_USAGE
inline constexpr int kExitDataErr = 65;      // EX_DATAERR
inline constexpr int kExitNoUser = 67;       // EX_NOUSER
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: permanent failure
inline constexpr int kExitSoftware = 70;     // EX_SOFTWARE
inline constexpr int kExitCantCreate = 73;   // EX_CANTCREAT
inline constexpr int kExitTempFail = 75;     // EX_TEMPFAIL: try again later
inline constexpr int kExitNoPerm = 77;       // EX_NOPERM
inline constexpr int kExitConfig = 78;       // EX_CONFIG
}  // namespace loft::cli

// Running as root only as long as needed.
#pragma once

#include <filesystem>
#include <string>

namespace loft::cli {

// The serving process, started as root: makes the data directory owned by
// the unprivileged user (when it is not already), then switches to it for
// good. `run_as` empty means "loft" if that user exists, else "nobody".
// Throws std::runtime_error when the user is unknown or a step fails.
// Throws ConfigError when run_as names no user (only checked as root).
void check_run_as(const std::string& run_as);

void drop_privileges(const std::string& run_as, const std::filesystem::path& data_dir);

// A tool run as root (loft user, loft deliver) acting on a data directory
// that the server owns: becomes that owner so every file it creates stays
// usable by the server. No-op when not root or the directory is root's.
void become_data_owner(const std::filesystem::path& data_dir);

}  // namespace loft::cli

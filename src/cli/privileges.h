// Running as root only as long as needed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace loft::cli {

// Throws ConfigError when run_as names no user or root (checked as root
// only, before anything is bound).
void check_run_as(const std::string& run_as);

// The serving process, started as root: makes the data directory owned by
// the unprivileged user (when it is not already), then switches to it for
// good. `run_as` empty means "loft" if that user exists, else "nobody".
// Files that root made inside the data directory this run (the self-signed
// certificate, the notify socket) are given to the user too.
// Throws std::runtime_error when the user is unknown or a step fails.
void drop_privileges(const std::string& run_as, const std::filesystem::path& data_dir,
                     const std::vector<std::filesystem::path>& made_as_root = {});

// A tool run as root (loft user, loft deliver) acting on a data directory
// that the server owns: becomes that owner so every file it creates stays
// usable by the server. No-op when not root or the directory is root's.
void become_data_owner(const std::filesystem::path& data_dir);

}  // namespace loft::cli

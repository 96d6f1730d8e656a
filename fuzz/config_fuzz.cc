// The TOML configuration (src/cli/config.cc): load_config() on any file
// content must either give a Config or throw ConfigError, never anything else.
// The file lives in a private temporary directory, rewritten for each input.
//
// Input: the file's content.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cli/config.h"
#include "fuzz/fuzz_check.h"

namespace {

const std::filesystem::path& ConfigFile() {
  static const std::filesystem::path* file = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "loft-config-fuzz-XXXXXX").string();
    FUZZ_CHECK(mkdtemp(dir.data()) != nullptr);
    static std::filesystem::path path = std::filesystem::path(dir) / "loft.toml";
    // Remove the directory when the process exits normally.
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(path.parent_path(), ec);
    });
    return &path;
  }();
  return *file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& file = ConfigFile();
  FILE* f = std::fopen(file.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, f) == size);  // data may be null when empty
  FUZZ_CHECK(std::fclose(f) == 0);
  try {
    loft::cli::Config config = loft::cli::load_config(file);
    FUZZ_CHECK(!config.hostname.empty());
    FUZZ_CHECK(!config.data_dir.empty());
    for (const auto& l : config.listeners) FUZZ_CHECK(!l.protocol.empty());
    (void)config.store_options(1024);
  } catch (const loft::cli::ConfigError& e) {
    // The documented failure: one line naming the file.
    std::string what = e.what();
    FUZZ_CHECK(what.rfind(file.string(), 0) == 0);
    FUZZ_CHECK(what.find('\n') == std::string::npos);
  }
  return 0;
}

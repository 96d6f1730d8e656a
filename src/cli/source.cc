#include "cli/commands.h"

namespace loft::cli {

Config Source::load() const {
  Config c = load_config(config_file);
  if (data_dir) c.data_dir = *data_dir;
  return c;
}

}  // namespace loft::cli

// Resource use of the server under test: PID and all its descendants,
// read from /proc (CPU from stat, memory from smaps_rollup).
#pragma once

#include <cstdint>

#include "json.h"

namespace loft::bench {

struct ServerSample {
  bool valid = false;
  double cpu_s = 0;   // utime+stime of the living tree + cutime+cstime of the root
  uint64_t rss_kb = 0;
  uint64_t pss_kb = 0;
  int processes = 0;
};

ServerSample SampleServer(int pid);

}  // namespace loft::bench

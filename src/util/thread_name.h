// Names the calling thread, so that top -H, perf and gdb tell the loop,
// the workers and the background indexers apart.
#pragma once

namespace loft::util {

// Linux keeps at most 15 characters; longer names are cut.
void name_this_thread(const char* name);

}  // namespace loft::util

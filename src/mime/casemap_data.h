// The generated table behind SearchCasemap() (casemap_data.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace loft::mime::casemap_data {

struct CasemapEntry {
  uint32_t code_point;
  uint32_t offset;  // into kCasemapPool
  uint32_t size;    // bytes
};

// Sorted by code point.
extern const CasemapEntry kCasemapEntries[];
extern const size_t kCasemapEntryCount;
extern const unsigned char kCasemapPool[];

}  // namespace loft::mime::casemap_data

#include "store/message_tree.h"

#include <sys/mman.h>

#include <cerrno>

#include "mime/message.h"
#include "store/maildir_files.h"
#include "store/store.h"

namespace loft::store::internal {

std::string tree_of(std::string_view stored) { return mime::ParseMessage(stored).Serialize(); }

std::string tree_of_file(const std::filesystem::path& path) {
  MessageFile file = open_message_file(path);
  if (file.size() == 0) return tree_of({});
  // Message files are written once and never changed, so the mapping cannot
  // shrink under the parser.
  const size_t size = static_cast<size_t>(file.size());
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd(), 0);
  int err = errno;
  if (map == MAP_FAILED) throw_io("mmap " + path.string(), err);
  ::madvise(map, size, MADV_SEQUENTIAL);
  std::string tree;
  try {
    tree = tree_of(std::string_view(static_cast<const char*>(map), size));
  } catch (...) {
    ::munmap(map, size);
    throw;
  }
  ::munmap(map, size);
  return tree;
}

bool tree_is_usable(std::string_view tree, uint64_t message_size) {
  std::optional<mime::Message> m = mime::Message::Deserialize(tree);
  return m && m->root().header_offset == 0 && m->root().end_offset == message_size;
}

std::string cached_tree_or_parse(std::optional<std::string> cached, std::string_view stored) {
  if (cached && tree_is_usable(*cached, stored.size())) return std::move(*cached);
  return tree_of(stored);
}

}  // namespace loft::store::internal

#include "store/message_tree.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mime/message.h"
#include "store/maildir_files.h"
#include "store/store.h"

namespace loft::store::internal {

std::string tree_of(std::string_view stored) { return mime::ParseMessage(stored).Serialize(); }

std::string tree_of_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) throw StoreError(ErrorCode::kNotFound, "message file is gone");
    throw_io("open " + path.string(), errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw_io("fstat " + path.string(), err);
  }
  if (st.st_size == 0) {
    ::close(fd);
    return tree_of({});
  }
  // Message files are written once and never changed, so the mapping cannot
  // shrink under the parser.
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
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

}  // namespace loft::store::internal

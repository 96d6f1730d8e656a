#include "store/dir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "util/thread_name.h"

namespace loft::store::internal {

namespace {
// Files arriving: renamed in (the Maildir way) or written in place.
constexpr uint32_t kArrivals = IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR;
}  // namespace

DirWatcher::~DirWatcher() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

bool DirWatcher::start_locked() {
  if (thread_.joinable()) return true;
  if (inotify_fd_ < 0) inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (stop_fd_ < 0) stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (inotify_fd_ < 0 || stop_fd_ < 0) return false;
  thread_ = std::thread([this] {
    util::name_this_thread("loft-watch");
    run();
  });
  return true;
}

std::unique_ptr<DirWatcher::Watch> DirWatcher::watch(const std::filesystem::path& dir,
                                                     std::function<void()> arrived) {
  std::lock_guard lock(mu_);
  if (!start_locked()) return nullptr;
  const int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kArrivals);
  if (wd < 0) return nullptr;
  const uint64_t id = next_id_++;
  watches_[wd].push_back(Entry{id, std::move(arrived)});
  return std::make_unique<Watch>(*this, wd, id);
}

void DirWatcher::unwatch(int wd, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = watches_.find(wd);
  if (it == watches_.end()) return;  // the directory went (IN_IGNORED)
  std::erase_if(it->second, [id](const Entry& e) { return e.id == id; });
  if (it->second.empty()) {
    ::inotify_rm_watch(inotify_fd_, wd);
    watches_.erase(it);
  }
}

void DirWatcher::run() {
  alignas(struct inotify_event) char buf[16 * 1024];
  for (;;) {
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) continue;  // EAGAIN, EINTR
    // One call per directory per read, however many files arrived.
    std::vector<int> arrived;
    bool overflow = false;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) overflow = true;
      if (ev->mask & IN_IGNORED) {
        std::lock_guard lock(mu_);
        watches_.erase(ev->wd);  // removed, or the directory was deleted
        continue;
      }
      if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) {
        if (std::find(arrived.begin(), arrived.end(), ev->wd) == arrived.end()) arrived.push_back(ev->wd);
      }
    }
    std::lock_guard lock(mu_);
    if (overflow) {
      // Events were lost: every directory may have had arrivals.
      arrived.clear();
      for (const auto& [wd, entries] : watches_) arrived.push_back(wd);
    }
    for (int wd : arrived) {
      auto it = watches_.find(wd);
      if (it == watches_.end()) continue;
      for (const Entry& e : it->second) e.arrived();
    }
  }
}

}  // namespace loft::store::internal

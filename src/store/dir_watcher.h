// DirWatcher: tells when files arrive in watched directories (inotify), so
// that mail another program drops into a Maildir's new/ (procmail, maildrop,
// Postfix's Maildir delivery: tmp/ then rename) reaches IDLE at once, as
// mail through LMTP or `loft deliver` does, instead of at the next poll.
//
// One inotify instance and one thread per process, started with the first
// watch: a process that never serves a session (the CLI) costs nothing.
// Callbacks run on that thread; once a Watch is destroyed its callback is
// not running and never runs again. A callback must not create or destroy
// watches.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace loft::store::internal {

class DirWatcher {
 public:
  class Watch;

  DirWatcher() = default;
  ~DirWatcher();
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

  // Calls `arrived` after files are moved into `dir` or closed after
  // writing there (several arrivals may give one call). nullptr when the
  // directory cannot be watched (gone, or the system's inotify limits
  // reached): the caller then learns of arrivals at its next poll, as
  // without a watch.
  std::unique_ptr<Watch> watch(const std::filesystem::path& dir, std::function<void()> arrived);

 private:
  friend class Watch;
  struct Entry {
    uint64_t id;
    std::function<void()> arrived;
  };

  bool start_locked();  // the inotify instance and the thread, once
  void unwatch(int wd, uint64_t id);
  void run();

  std::mutex mu_;  // held while callbacks run: ~Watch waits for them
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes the thread to stop
  std::thread thread_;
  uint64_t next_id_ = 1;
  // inotify gives one descriptor per directory however often it is
  // watched: each carries every watcher's callback.
  std::unordered_map<int, std::vector<Entry>> watches_;
};

class DirWatcher::Watch {
 public:
  Watch(DirWatcher& owner, int wd, uint64_t id) : owner_(owner), wd_(wd), id_(id) {}
  ~Watch() { owner_.unwatch(wd_, id_); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

 private:
  DirWatcher& owner_;
  int wd_;
  uint64_t id_;
};

}  // namespace loft::store::internal

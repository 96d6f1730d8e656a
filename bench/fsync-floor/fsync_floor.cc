// loft-fsync-floor: what the disk allows for durable one-file-per-message
// delivery, with no server at all. Each "message" is what Loft's Maildir
// store does to make a delivery durable before answering 250:
//   create tmp/<name>, write it, fsync it, rename it into cur/, fsync cur/,
//   then append a small record to a per-user log and fdatasync it (the
//   SQLite WAL commit of the index row).
// Spread over --users directories by --threads threads, as concurrent LMTP
// connections to different users are. The result is a ceiling for LMTP
// throughput on this machine with fsync on: bench/RESULTS.md compares it
// with lmtp-ingest.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

bool fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Durable one-file-per-message delivery, without a server: the disk's ceiling"};
  std::string dir;
  int threads = 8, users = 100, count = 4000;
  size_t size = 12 * 1024;
  bool log = true;
  app.add_option("--dir", dir, "an empty directory on the file system to measure")->required();
  app.add_option("--threads", threads, "concurrent deliveries (LMTP connections)");
  app.add_option("--users", users, "user directories the messages are spread over");
  app.add_option("--count", count, "messages");
  app.add_option("--size", size, "bytes per message");
  app.add_flag("!--no-log", log, "leave out the per-user log append + fdatasync");
  CLI11_PARSE(app, argc, argv);

  for (int u = 0; u < users; ++u) {
    std::string d = dir + "/u" + std::to_string(u);
    std::filesystem::create_directories(d + "/tmp");
    std::filesystem::create_directories(d + "/cur");
  }
  const std::string body(size, 'x');
  std::atomic<int> next{0}, failures{0};
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i; (i = next++) < count;) {
        const std::string d = dir + "/u" + std::to_string(i % users);
        const std::string name = "m" + std::to_string(i);
        const std::string tmp = d + "/tmp/" + name, cur = d + "/cur/" + name;
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        bool ok = fd >= 0 && ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
                  ::fsync(fd) == 0;
        if (fd >= 0) ::close(fd);
        ok = ok && ::rename(tmp.c_str(), cur.c_str()) == 0 && fsync_path(d + "/cur", O_RDONLY | O_DIRECTORY);
        if (ok && log) {
          int lfd = ::open((d + "/log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
          ok = lfd >= 0 && ::write(lfd, body.data(), 300) == 300 && ::fdatasync(lfd) == 0;
          if (lfd >= 0) ::close(lfd);
        }
        if (!ok) ++failures;
      }
    });
  }
  for (std::thread& t : pool) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  std::printf("%d messages of %zu bytes, %d threads, %d users%s: %.0f msgs/s, %.3f ms CPU per message%s\n", count,
              size, threads, users, log ? ", with log" : "", count / secs, cpu * 1000 / count,
              failures ? " (FAILURES)" : "");
  return failures ? 1 : 0;
}

// Runs `count` forked processes that start `fn(i)` at the same moment (they
// wait on a pipe that the parent closes once all exist) and returns how many
// failed: threw, or did not exit 0. For races between processes, such as
// several `loft` commands opening a database file that does not exist yet.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <vector>

namespace loft::testing {

inline int run_forked_together(int count, const std::function<void(int)>& fn) {
  int go[2];
  if (::pipe(go) != 0) return count;
  std::vector<pid_t> children;
  for (int i = 0; i < count; ++i) {
    pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)!::read(go[0], &c, 1);  // all start together, when the pipe closes
      try {
        fn(i);
        ::_exit(0);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "process %d: %s\n", i, e.what());
        ::_exit(1);
      } catch (...) {
        ::_exit(1);
      }
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  int failed = count - static_cast<int>(children.size());
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  return failed;
}

}  // namespace loft::testing

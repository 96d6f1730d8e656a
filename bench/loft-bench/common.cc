#include <fmt/format.h>

#include "loop.h"
#include "workloads.h"

namespace loft::bench {

std::string FormatUser(const std::string& f, int n) {
  auto p = f.find("%d");
  if (p == std::string::npos) return f;
  return f.substr(0, p) + std::to_string(n) + f.substr(p + 2);
}

std::string FormatRcpt(const std::string& f, const std::string& user) {
  auto p = f.find("%s");
  if (p == std::string::npos) return f;
  return f.substr(0, p) + user + f.substr(p + 2);
}

int UserCount(const Options& o, int fallback) { return o.users > 0 ? o.users : fallback; }

std::string UserName(const Options& o, int index) {
  if (o.shared) return FormatUser(o.user_format, 1);
  return FormatUser(o.user_format, index % UserCount(o, 1) + 1);
}

void RunAll(std::vector<Task<void>>& tasks) {
  for (auto& t : tasks) t.start();
  Loop::Get().RunUntil([&] {
    for (auto& t : tasks)
      if (!t.done()) return false;
    return true;
  });
}

void ServerDelta(Report& report, const ServerSample& before, const ServerSample& after) {
  if (!after.valid) return;
  if (before.valid) report.server.Set("cpu_s", after.cpu_s - before.cpu_s);
  report.server.Set("rss_kb", after.rss_kb);
  report.server.Set("pss_kb", after.pss_kb);
  report.server.Set("processes", after.processes);
  if (before.valid) {
    report.server.Set("rss_kb_before", before.rss_kb);
    report.server.Set("pss_kb_before", before.pss_kb);
  }
}

}  // namespace loft::bench

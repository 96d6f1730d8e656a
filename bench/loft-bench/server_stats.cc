#include "server_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace loft::bench {
namespace {

struct Stat {
  int ppid = 0;
  uint64_t utime = 0, stime = 0, cutime = 0, cstime = 0;
};

bool ReadStat(int pid, Stat& out) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(f, s)) return false;
  auto rp = s.rfind(')');  // the command name may hold spaces and parentheses
  if (rp == std::string::npos) return false;
  std::istringstream in(s.substr(rp + 2));
  std::vector<std::string> fields;
  std::string tok;
  while (in >> tok) fields.push_back(tok);
  // fields[0] = state (field 3); utime is field 14 -> index 11.
  if (fields.size() < 15) return false;
  out.ppid = std::atoi(fields[1].c_str());
  out.utime = std::strtoull(fields[11].c_str(), nullptr, 10);
  out.stime = std::strtoull(fields[12].c_str(), nullptr, 10);
  out.cutime = std::strtoull(fields[13].c_str(), nullptr, 10);
  out.cstime = std::strtoull(fields[14].c_str(), nullptr, 10);
  return true;
}

void ReadRollup(int pid, uint64_t& rss, uint64_t& pss) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key;
  uint64_t v;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    if (!(in >> key >> v)) continue;
    if (key == "Rss:") rss += v;
    else if (key == "Pss:") pss += v;
  }
}

}  // namespace

ServerSample SampleServer(int root) {
  ServerSample out;
  if (root <= 0) return out;
  std::map<int, Stat> all;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end || pid <= 0) continue;
      Stat st;
      if (ReadStat(static_cast<int>(pid), st)) all[static_cast<int>(pid)] = st;
    }
    closedir(d);
  }
  if (!all.count(root)) return out;
  std::multimap<int, int> children;
  for (auto& [pid, st] : all) children.emplace(st.ppid, pid);
  std::vector<int> tree{root};
  for (size_t i = 0; i < tree.size(); ++i) {
    auto [a, b] = children.equal_range(tree[i]);
    for (auto it = a; it != b; ++it) tree.push_back(it->second);
  }
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  uint64_t ticks = all[root].cutime + all[root].cstime;
  for (int pid : tree) {
    ticks += all[pid].utime + all[pid].stime;
    ReadRollup(pid, out.rss_kb, out.pss_kb);
  }
  out.cpu_s = ticks / tick;
  out.processes = static_cast<int>(tree.size());
  out.valid = true;
  return out;
}

}  // namespace loft::bench

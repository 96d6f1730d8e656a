// pop3-download: USER/PASS, STAT, LIST, UIDL, RETR every message (sizes
// checked against LIST), QUIT without DELE.
#include <fmt/format.h>

#include "conn.h"
#include "workloads.h"

namespace loft::bench {
namespace {

struct PopCtx {
  PopCtx(const Options& o, Report& r) : opt(o), report(r) {}
  const Options& opt;
  Report& report;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  Histogram retr;
};

Task<std::string> StatusLine(Conn& c, const Options& o, const std::string& who, const std::string& what) {
  std::string line = co_await c.ReadLine(After(o.timeout), 1 << 16);
  if (line.rfind("+OK", 0) != 0) throw IoError(fmt::format("{}: {}", what, line));
  co_return line;
}

// Multi-line data after +OK: the unstuffed lines; octets = their size with CRLF line ends.
Task<void> MultiLine(Conn& c, const Options& o, std::vector<std::string>* lines, uint64_t* octets) {
  while (true) {
    std::string line = co_await c.ReadLine(After(o.timeout));
    if (line == ".") co_return;
    if (!line.empty() && line[0] == '.') line.erase(0, 1);
    if (octets) *octets += line.size() + 2;
    if (lines) lines->push_back(std::move(line));
  }
}

Task<void> Download(PopCtx& ctx, int id) {
  const Options& o = ctx.opt;
  std::string user = o.user.empty() ? UserName(o, id) : o.user;
  if (!o.user.empty() && o.users > 0) user = UserName(o, id);
  std::string who = fmt::format("pop3-{}[{}]", id, user);
  Conn c;
  try {
    co_await c.Connect(o.host, o.port ? o.port : (o.tls ? 995 : 110), After(o.timeout));
    if (o.tls) co_await c.StartTls(After(o.timeout));
    co_await StatusLine(c, o, who, "greeting");
    if (o.starttls) {
      co_await c.WriteAll("STLS\r\n", After(o.timeout));
      co_await StatusLine(c, o, who, "STLS");
      co_await c.StartTls(After(o.timeout));
    }
    std::string cmd = "USER " + user + "\r\n";
    co_await c.WriteAll(cmd, After(o.timeout));
    co_await StatusLine(c, o, who, "USER");
    cmd = "PASS " + o.password + "\r\n";
    co_await c.WriteAll(cmd, After(o.timeout));
    co_await StatusLine(c, o, who, "PASS");
    co_await c.WriteAll("STAT\r\n", After(o.timeout));
    std::string stat = co_await StatusLine(c, o, who, "STAT");
    unsigned long count = 0, total = 0;
    if (std::sscanf(stat.c_str(), "+OK %lu %lu", &count, &total) != 2) {
      ctx.report.Violation(who, "unparsable STAT answer: " + stat);
    }
    co_await c.WriteAll("LIST\r\n", After(o.timeout));
    co_await StatusLine(c, o, who, "LIST");
    std::vector<std::string> list;
    co_await MultiLine(c, o, &list, nullptr);
    std::vector<std::pair<unsigned long, unsigned long>> sizes;
    for (auto& l : list) {
      unsigned long n, s;
      if (std::sscanf(l.c_str(), "%lu %lu", &n, &s) == 2) sizes.emplace_back(n, s);
      else ctx.report.Violation(who, "unparsable LIST line: " + l);
    }
    if (sizes.size() != count)
      ctx.report.Violation(who, fmt::format("LIST has {} lines, STAT says {}", sizes.size(), count));
    co_await c.WriteAll("UIDL\r\n", After(o.timeout));
    co_await StatusLine(c, o, who, "UIDL");
    std::vector<std::string> uidl;
    co_await MultiLine(c, o, &uidl, nullptr);
    if (uidl.size() != count)
      ctx.report.Violation(who, fmt::format("UIDL has {} lines, STAT says {}", uidl.size(), count));
    uint64_t sum = 0;
    for (auto& [n, size] : sizes) {
      TimePoint t0 = Clock::now();
      cmd = fmt::format("RETR {}\r\n", n);
      co_await c.WriteAll(cmd, After(o.timeout));
      co_await StatusLine(c, o, who, "RETR");
      uint64_t octets = 0;
      co_await MultiLine(c, o, nullptr, &octets);
      ctx.retr.Add(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
      if (octets != size)
        ctx.report.Violation(who, fmt::format("RETR {} gave {} octets, LIST said {}", n, octets, size));
      ++ctx.messages;
      ctx.bytes += octets;
      sum += size;
    }
    if (sum != total) ctx.report.Violation(who, fmt::format("LIST sizes add up to {}, STAT says {}", sum, total));
    co_await c.WriteAll("QUIT\r\n", After(o.timeout));
    co_await StatusLine(c, o, who, "QUIT");
  } catch (const std::exception& e) {
    ctx.report.ConnectionError(who, e.what());
  }
}

}  // namespace

int RunPop3Download(const Options& o, Report& report) {
  if (o.user.empty() && o.users <= 0) {
    fmt::print(stderr, "pop3-download needs --user (or --users K with --user-format)\n");
    return 2;
  }
  PopCtx ctx(o, report);
  report.params.Set("user", o.user);
  report.params.Set("connections", o.connections);
  ServerSample before = SampleServer(o.server_pid);
  TimePoint t0 = Clock::now();
  std::vector<Task<void>> tasks;
  for (int i = 0; i < o.connections; ++i) tasks.push_back(Download(ctx, i));
  RunAll(tasks);
  double secs = SecondsBetween(t0, Clock::now());
  ServerDelta(report, before, SampleServer(o.server_pid));
  report.duration_s = secs;
  report.results.Set("messages", ctx.messages);
  report.results.Set("bytes", ctx.bytes);
  report.results.Set("total_s", secs);
  report.results.Set("msgs_per_s", secs > 0 ? ctx.messages / secs : 0.0);
  report.results.Set("bytes_per_s", secs > 0 ? ctx.bytes / secs : 0.0);
  report.results.Set("mb_per_s", secs > 0 ? ctx.bytes / secs / 1e6 : 0.0);
  Json cmds = Json::MakeObject();
  cmds.Set("RETR", Report::LatencyJson(ctx.retr, secs));
  report.results.Set("commands", cmds);
  fmt::print("pop3-download: {} messages, {:.2f} MB in {:.3f} s: {:.1f} msgs/s, {:.2f} MB/s; RETR p50 {:.3f} ms p99 {:.3f} ms\n",
             ctx.messages, ctx.bytes / 1e6, secs, secs > 0 ? ctx.messages / secs : 0.0,
             secs > 0 ? ctx.bytes / secs / 1e6 : 0.0, ctx.retr.Quantile(0.5) / 1000.0, ctx.retr.Quantile(0.99) / 1000.0);
  if (report.connection_errors() == static_cast<uint64_t>(o.connections)) {
    report.Finish(o.json_path, false);
    return 2;
  }
  return report.Finish(o.json_path, report.connection_errors() == 0);
}

}  // namespace loft::bench

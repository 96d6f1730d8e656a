// lmtp-ingest: C connections deliver N messages, one recipient each,
// round-robin over K users; every answer but 250 is a violation.
#include <fmt/format.h>

#include "lmtp_client.h"
#include "messages.h"
#include "workloads.h"

namespace loft::bench {
namespace {

struct IngestCtx {
  IngestCtx(const Options& o, Report& r, MessagePool& p) : opt(o), report(r), pool(p) {}
  const Options& opt;
  Report& report;
  MessagePool& pool;
  long next = 0;
  long delivered = 0;
  uint64_t bytes = 0;
  Histogram data_latency;
  Histogram txn_latency;
};

Task<void> Ingest(IngestCtx& ctx, int id) {
  const Options& o = ctx.opt;
  Conn conn;
  std::string who = fmt::format("lmtp{}", id);
  try {
    co_await LmtpOpen(conn, o, o.host, o.port ? o.port : 24);
    while (ctx.next < o.count) {
      long i = ctx.next++;
      std::string user = FormatUser(o.user_format, static_cast<int>(i % UserCount(o, 1)) + 1);
      std::string rcpt = FormatRcpt(o.rcpt_format, user);
      const std::string& body = ctx.pool.stuffed(static_cast<size_t>(i));
      TimePoint t0 = Clock::now();
      TimePoint deadline = After(o.timeout);
      co_await conn.WriteAll("MAIL FROM:<bench@loft-bench.example>\r\n", deadline);
      SmtpReply m = co_await ReadSmtpReply(conn, deadline);
      if (m.code != 250) {
        ctx.report.Violation(who, "MAIL FROM: " + m.text);
        continue;
      }
      std::string rcpt_line = "RCPT TO:<" + rcpt + ">\r\n";
      co_await conn.WriteAll(rcpt_line, deadline);
      SmtpReply r = co_await ReadSmtpReply(conn, deadline);
      if (r.code != 250) {
        ctx.report.Violation(who, fmt::format("RCPT TO:<{}>: {}", rcpt, r.text));
        co_await conn.WriteAll("RSET\r\n", deadline);
        co_await ReadSmtpReply(conn, deadline);
        continue;
      }
      co_await conn.WriteAll("DATA\r\n", deadline);
      SmtpReply d = co_await ReadSmtpReply(conn, deadline);
      if (d.code != 354) {
        ctx.report.Violation(who, "DATA: " + d.text);
        co_await conn.WriteAll("RSET\r\n", deadline);
        co_await ReadSmtpReply(conn, deadline);
        continue;
      }
      co_await conn.WriteAll(body, deadline);
      TimePoint dot = Clock::now();
      SmtpReply f = co_await ReadSmtpReply(conn, deadline);
      TimePoint t1 = Clock::now();
      if (f.code != 250) {
        ctx.report.Violation(who, fmt::format("after the final dot for <{}>: {}", rcpt, f.text));
        continue;
      }
      ++ctx.delivered;
      ctx.bytes += ctx.pool.at(static_cast<size_t>(i)).size();
      ctx.data_latency.Add(std::chrono::duration_cast<std::chrono::microseconds>(t1 - dot).count());
      ctx.txn_latency.Add(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count());
    }
    co_await conn.WriteAll("QUIT\r\n", After(o.timeout));
    co_await ReadSmtpReply(conn, After(o.timeout));
  } catch (const std::exception& e) {
    ctx.report.ConnectionError(who, e.what());
  }
}

}  // namespace

int RunLmtpIngest(const Options& o, Report& report) {
  MessagePool pool;
  if (!o.messages_dir.empty()) {
    std::string err;
    if (!pool.Load(o.messages_dir, err)) {
      fmt::print(stderr, "{}\n", err);
      return 2;
    }
  } else {
    pool.Generate(500, o.seed);
  }
  IngestCtx ctx(o, report, pool);
  report.params.Set("count", o.count);
  report.params.Set("connections", o.connections);
  report.params.Set("users", UserCount(o, 1));
  report.params.Set("messages", static_cast<uint64_t>(pool.size()));
  ServerSample before = SampleServer(o.server_pid);
  TimePoint t0 = Clock::now();
  std::vector<Task<void>> tasks;
  for (int i = 0; i < o.connections; ++i) tasks.push_back(Ingest(ctx, i));
  RunAll(tasks);
  double secs = SecondsBetween(t0, Clock::now());
  ServerSample after = SampleServer(o.server_pid);
  report.duration_s = secs;
  ServerDelta(report, before, after);
  report.results.Set("delivered", ctx.delivered);
  report.results.Set("bytes", ctx.bytes);
  report.results.Set("msgs_per_s", secs > 0 ? ctx.delivered / secs : 0.0);
  report.results.Set("bytes_per_s", secs > 0 ? ctx.bytes / secs : 0.0);
  Json lat = Report::LatencyJson(ctx.data_latency, secs);
  report.results.Set("p50_ms", ctx.data_latency.Quantile(0.5) / 1000.0);
  report.results.Set("p99_ms", ctx.data_latency.Quantile(0.99) / 1000.0);
  report.results.Set("max_ms", ctx.data_latency.max() / 1000.0);
  Json cmds = Json::MakeObject();
  cmds.Set("DATA", lat);
  cmds.Set("TRANSACTION", Report::LatencyJson(ctx.txn_latency, secs));
  report.results.Set("commands", cmds);
  fmt::print("lmtp-ingest: {} of {} messages delivered over {} connections in {:.2f} s: {:.1f} msgs/s, {:.2f} MB/s\n",
             ctx.delivered, o.count, o.connections, secs, secs > 0 ? ctx.delivered / secs : 0.0,
             secs > 0 ? ctx.bytes / secs / 1e6 : 0.0);
  fmt::print("DATA dot -> 250: p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms\n", ctx.data_latency.Quantile(0.5) / 1000.0,
             ctx.data_latency.Quantile(0.99) / 1000.0, ctx.data_latency.max() / 1000.0);
  if (ctx.delivered == 0 && report.connection_errors() > 0) {
    report.Finish(o.json_path, false);
    return 2;
  }
  return report.Finish(o.json_path, report.connection_errors() == 0 && ctx.delivered == o.count);
}

}  // namespace loft::bench

// idle-fanout: N sessions over K users sit in IDLE; one message per user
// arrives over LMTP; measures how soon each session sees its EXISTS, and
// the server's memory per idle session.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "imap_client.h"
#include "lmtp_client.h"
#include "messages.h"
#include "workloads.h"

namespace loft::bench {
namespace {

struct FanoutCtx {
  FanoutCtx(const Options& o, Report& r) : opt(o), report(r), shared(o, r), gate(o.connect_in_flight, o.connect_rate) {}
  const Options& opt;
  Report& report;
  ImapShared shared;
  ConnectGate gate;
  int users = 0;
  int setup_done = 0;
  int idling = 0;
  int woken = 0;
  Event deliver_started;  // sessions start expecting EXISTS
  Event all_done;         // sessions may leave
  std::vector<ImapClient*> clients;
  std::vector<TimePoint> woke_at;         // per session, time of its EXISTS
  std::vector<TimePoint> delivered_at;    // per user, time of its 250
  std::vector<char> delivered_ok;
  TimePoint wake_deadline = kForever;
};

Task<void> Session(FanoutCtx& ctx, int i) {
  int u = i % ctx.users;
  std::string user = FormatUser(ctx.opt.user_format, u + 1);
  ImapClient c(ctx.shared, fmt::format("session{}[{}]", i, user));
  ctx.clients[i] = &c;
  bool in_setup = true;
  try {
    co_await SleepUntil(ctx.gate.NextSlot());
    co_await ctx.gate.Enter();
    try {
      co_await c.Open();
      co_await c.Login(user, ctx.opt.password);
      Reply sel = co_await c.Select("INBOX");
      if (!sel.ok()) throw IoError("SELECT INBOX failed");
      if (!co_await c.IdleStart()) throw IoError("IDLE refused");
    } catch (...) {
      ctx.gate.Leave();
      throw;
    }
    ctx.gate.Leave();
    in_setup = false;
    ++ctx.setup_done;
    ++ctx.idling;
    // Nothing should arrive before the delivery; wait for it while reading.
    bool woke = co_await c.IdleWaitForExists(kForever);
    if (woke) {
      ctx.woke_at[i] = Clock::now();
      ++ctx.woken;
    }
    co_await ctx.all_done.Wait();
    ctx.clients[i] = nullptr;
    if (woke) {
      co_await c.IdleDone();
      co_await c.Logout();
    }
  } catch (const std::exception& e) {
    ctx.clients[i] = nullptr;
    if (in_setup) ++ctx.setup_done;
    ctx.report.ConnectionError(c.name(), e.what());
  }
  ctx.clients[i] = nullptr;
}

// Delivers one message to each user, up to rcpt_per_txn recipients per transaction.
Task<void> Deliver(FanoutCtx& ctx, const MessagePool& pool) {
  const Options& o = ctx.opt;
  Conn conn;
  std::string host = o.lmtp_host.empty() ? o.host : o.lmtp_host;
  Options lo = o;
  lo.tls = lo.starttls = false;  // LMTP runs in clear on loopback
  try {
    co_await LmtpOpen(conn, lo, host, o.lmtp_port);
    int per = std::max(1, o.rcpt_per_txn);
    for (int first = 0; first < ctx.users; first += per) {
      int last = std::min(ctx.users, first + per);
      TimePoint deadline = After(o.timeout);
      co_await conn.WriteAll("MAIL FROM:<bench@loft-bench.example>\r\n", deadline);
      SmtpReply m = co_await ReadSmtpReply(conn, deadline);
      if (m.code != 250) throw IoError("MAIL FROM: " + m.text);
      std::vector<int> accepted;
      for (int u = first; u < last; ++u) {
        std::string line = "RCPT TO:<" + FormatRcpt(o.rcpt_format, FormatUser(o.user_format, u + 1)) + ">\r\n";
        co_await conn.WriteAll(line, deadline);
        SmtpReply r = co_await ReadSmtpReply(conn, deadline);
        if (r.code == 250) accepted.push_back(u);
        else ctx.report.Violation("lmtp", fmt::format("RCPT for user {}: {}", u + 1, r.text));
      }
      if (accepted.empty()) {
        co_await conn.WriteAll("RSET\r\n", deadline);
        co_await ReadSmtpReply(conn, deadline);
        continue;
      }
      co_await conn.WriteAll("DATA\r\n", deadline);
      SmtpReply d = co_await ReadSmtpReply(conn, deadline);
      if (d.code != 354) throw IoError("DATA: " + d.text);
      co_await conn.WriteAll(pool.stuffed(static_cast<size_t>(first)), deadline);
      for (int u : accepted) {
        SmtpReply f = co_await ReadSmtpReply(conn, deadline);
        ctx.delivered_at[u] = Clock::now();
        if (f.code == 250) ctx.delivered_ok[u] = 1;
        else ctx.report.Violation("lmtp", fmt::format("delivery to user {}: {}", u + 1, f.text));
      }
    }
    co_await conn.WriteAll("QUIT\r\n", After(o.timeout));
    co_await ReadSmtpReply(conn, After(o.timeout));
  } catch (const std::exception& e) {
    ctx.report.ConnectionError("lmtp", e.what());
  }
}

Task<void> Coordinator(FanoutCtx& ctx, const MessagePool& pool, int n) {
  const Options& o = ctx.opt;
  ServerSample before = SampleServer(o.server_pid);
  TimePoint start = Clock::now();
  TimePoint next_progress = After(5);
  while (ctx.setup_done < n) {
    co_await SleepUntil(After(0.02));
    if (Clock::now() >= next_progress) {
      fmt::print("  {:.0f} s: {} of {} sessions idle\n", SecondsBetween(start, Clock::now()), ctx.idling, n);
      std::fflush(stdout);
      next_progress = After(5);
    }
  }
  double connect_s = SecondsBetween(start, Clock::now());
  fmt::print("{} of {} sessions idle after {:.2f} s\n", ctx.idling, n, connect_s);
  co_await SleepUntil(After(0.5));  // let the server settle
  ServerSample at_idle = SampleServer(o.server_pid);
  auto& res = ctx.report.results;
  res.Set("sessions", n);
  res.Set("sessions_idle", ctx.idling);
  res.Set("connect_login_s", connect_s);
  if (at_idle.valid && before.valid && ctx.idling > 0) {
    ctx.report.server.Set("rss_kb_before", before.rss_kb);
    ctx.report.server.Set("pss_kb_before", before.pss_kb);
    ctx.report.server.Set("rss_kb_idle", at_idle.rss_kb);
    ctx.report.server.Set("pss_kb_idle", at_idle.pss_kb);
    ctx.report.server.Set("rss_kb", at_idle.rss_kb);
    ctx.report.server.Set("pss_kb", at_idle.pss_kb);
    ctx.report.server.Set("processes_idle", at_idle.processes);
    double rss_per = (static_cast<double>(at_idle.rss_kb) - before.rss_kb) / ctx.idling;
    double pss_per = (static_cast<double>(at_idle.pss_kb) - before.pss_kb) / ctx.idling;
    ctx.report.server.Set("rss_kb_per_session", rss_per);
    ctx.report.server.Set("pss_kb_per_session", pss_per);
    res.Set("rss_kb_per_session", rss_per);
    res.Set("pss_kb_per_session", pss_per);
    fmt::print("server memory at idle: RSS {} kB, PSS {} kB ({} processes); per session RSS {:.1f} kB, PSS {:.1f} kB\n",
               at_idle.rss_kb, at_idle.pss_kb, at_idle.processes, rss_per, pss_per);
  }
  if (ctx.idling == 0) {
    ctx.all_done.Set();
    co_return;
  }
  TimePoint t0 = Clock::now();
  co_await Deliver(ctx, pool);
  ctx.wake_deadline = After(o.wake_timeout);
  // Wait for every idle session whose user got the message.
  int expected = 0;
  for (int i = 0; i < n; ++i)
    if (ctx.delivered_ok[i % ctx.users]) ++expected;
  while (ctx.woken < ctx.idling && Clock::now() < ctx.wake_deadline) {
    int live = 0;
    for (auto* c : ctx.clients) live += c != nullptr;
    if (live == 0) break;
    co_await SleepUntil(After(0.01));
  }
  res.Set("deliver_s", SecondsBetween(t0, Clock::now()));
  ServerSample end = SampleServer(o.server_pid);
  if (end.valid && before.valid) ctx.report.server.Set("cpu_s", end.cpu_s - before.cpu_s);
  (void)expected;
  ctx.all_done.Set();
  // Sessions still waiting never saw their EXISTS.
  for (auto* c : ctx.clients)
    if (c) c->Interrupt();
}

}  // namespace

int RunIdleFanout(const Options& o, Report& report) {
  FanoutCtx ctx(o, report);
  int n = o.sessions;
  ctx.users = UserCount(o, 100);
  if (n <= 0 || ctx.users <= 0) {
    fmt::print(stderr, "--sessions and --users must be positive\n");
    return 2;
  }
  MessagePool pool;
  pool.Generate(std::max(1, (ctx.users + o.rcpt_per_txn - 1) / std::max(1, o.rcpt_per_txn)), o.seed);
  ctx.clients.assign(n, nullptr);
  ctx.woke_at.assign(n, TimePoint{});
  ctx.delivered_at.assign(ctx.users, TimePoint{});
  ctx.delivered_ok.assign(ctx.users, 0);
  report.params.Set("sessions", n);
  report.params.Set("users", ctx.users);
  report.params.Set("lmtp_port", o.lmtp_port);
  report.params.Set("connect_rate", o.connect_rate);
  report.params.Set("tls", o.tls);

  std::vector<Task<void>> tasks;
  TimePoint start = Clock::now();
  tasks.push_back(Coordinator(ctx, pool, n));
  for (int i = 0; i < n; ++i) tasks.push_back(Session(ctx, i));
  RunAll(tasks);
  report.duration_s = SecondsBetween(start, Clock::now());

  Histogram wake;
  int within_1s = 0, never = 0;
  for (int i = 0; i < n; ++i) {
    int u = i % ctx.users;
    if (!ctx.delivered_ok[u]) continue;
    if (ctx.woke_at[i] == TimePoint{}) {
      // Only sessions that were idling when the mail came count.
      continue;
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(ctx.woke_at[i] - ctx.delivered_at[u]).count();
    if (us < 0) us = 0;  // EXISTS before the 250 was read
    wake.Add(static_cast<uint64_t>(us));
    if (us <= 1000000) ++within_1s;
  }
  // Sessions that were idle and whose user got mail but saw no EXISTS.
  int idle_expected = 0;
  for (int i = 0; i < n; ++i) {
    if (!ctx.delivered_ok[i % ctx.users]) continue;
    ++idle_expected;
  }
  never = ctx.idling - static_cast<int>(wake.count());
  if (never > 0 && ctx.idling > 0) {
    report.Violation("idle-fanout", fmt::format("{} idle sessions never saw their EXISTS within {} s", never,
                                                o.wake_timeout));
  }
  auto& res = report.results;
  res.Set("woken", static_cast<uint64_t>(wake.count()));
  res.Set("woken_within_1s", within_1s);
  res.Set("never_woken", never);
  res.Set("wake_p50_ms", wake.Quantile(0.5) / 1000.0);
  res.Set("wake_p99_ms", wake.Quantile(0.99) / 1000.0);
  res.Set("wake_max_ms", wake.max() / 1000.0);
  fmt::print("idle-fanout: {} sessions ({} idle) over {} users; wake-up p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms; "
             "{} within 1 s, {} never\n",
             n, ctx.idling, ctx.users, wake.Quantile(0.5) / 1000.0, wake.Quantile(0.99) / 1000.0, wake.max() / 1000.0,
             within_1s, never);
  (void)idle_expected;
  if (ctx.idling == 0) {
    report.Finish(o.json_path, false);
    return 2;
  }
  return report.Finish(o.json_path, report.connection_errors() == 0);
}

}  // namespace loft::bench

// imap-mix: N IMAP clients, each looping a weighted mix of the commands a
// mail client sends, with the checker watching every response.
#include <deque>
#include <random>

#include <fmt/format.h>

#include "imap_client.h"
#include "messages.h"
#include "workloads.h"

namespace loft::bench {
namespace {

enum class Op { kFetchNew, kFetchBody, kFetchPart, kStore, kSearch, kAppend, kExpunge, kStatus, kList, kNoop };

struct OpWeight {
  const char* name;
  Op op;
  int weight;
};

struct MixCtx {
  MixCtx(const Options& o, Report& r, MessagePool& p)
      : opt(o), report(r), shared(o, r), pool(p), gate(o.connect_in_flight, o.connect_rate) {}
  const Options& opt;
  Report& report;
  ImapShared shared;
  MessagePool& pool;
  ConnectGate gate;
  std::mt19937_64 rng;
  std::vector<OpWeight> weights;
  int total_weight = 0;
  int setup_done = 0;
  int connected = 0;
  bool stop = false;
  uint64_t measured_ops = 0;
  uint64_t store_checks = 0;
};

struct ClientState {
  std::deque<uint32_t> own_uids;  // appended by this client, to expunge later
  std::string keyword;            // flag only this client touches (strict STORE check)
};

Op PickOp(MixCtx& ctx) {
  int r = static_cast<int>(ctx.rng() % ctx.total_weight);
  for (auto& w : ctx.weights) {
    if (r < w.weight) return w.op;
    r -= w.weight;
  }
  return Op::kNoop;
}

const char* kDays[] = {"1-Jan-2020", "1-Jan-2023", "1-Jan-2024", "1-Mar-2024"};

bool HasFlag(const FetchItem& f, const std::string& flag) {
  for (auto& x : f.flags)
    if (IEquals(x, flag)) return true;
  return false;
}

// A random message with a known UID: (seq, uid), or (0, 0) when none.
std::pair<size_t, uint32_t> RandomMessage(MixCtx& ctx, ImapClient& c) {
  if (c.count() == 0) return {0, 0};
  for (int tries = 0; tries < 4; ++tries) {
    size_t seq = 1 + ctx.rng() % c.count();
    if (uint32_t uid = c.UidAt(seq)) return {seq, uid};
  }
  return {0, 0};
}

Task<void> Setup(MixCtx& ctx, ImapClient& c, const std::string& user) {
  TimePoint t0 = Clock::now();
  co_await c.Open();
  co_await c.Login(user, ctx.opt.password);
  ctx.report.Record("LOGIN", t0, Clock::now());
  Reply list = co_await c.Command("LIST \"\" \"*\"");
  c.set_mailboxes(list.list_names);
  TimePoint t1 = Clock::now();
  Reply sel = co_await c.Select("INBOX");
  if (!sel.ok()) throw IoError("SELECT INBOX failed: " + Printable(sel.tagged, 200));
  ctx.report.Record("SELECT", t1, Clock::now());
  co_await c.SyncUnknown();
}

Task<void> RunOp(MixCtx& ctx, ImapClient& c, ClientState& st, Op op) {
  auto& rep = ctx.report;
  TimePoint t0 = Clock::now();
  const char* name = nullptr;
  switch (op) {
    case Op::kFetchNew: {
      if (c.count() == 0) break;
      size_t from = c.count() > 10 ? c.count() - 9 : 1;
      co_await c.Command(fmt::format("FETCH {}:* (UID FLAGS ENVELOPE RFC822.SIZE)", from));
      name = "FETCH";
      break;
    }
    case Op::kFetchBody: {
      auto [seq, uid] = RandomMessage(ctx, c);
      if (!uid) break;
      co_await c.Command(fmt::format("UID FETCH {} (UID RFC822.SIZE BODY.PEEK[])", uid));
      name = "FETCH_BODY";
      break;
    }
    case Op::kFetchPart: {
      auto [seq, uid] = RandomMessage(ctx, c);
      if (!uid) break;
      co_await c.Command(fmt::format("UID FETCH {} (UID BODYSTRUCTURE BODY.PEEK[1])", uid));
      name = "FETCH_PART";
      break;
    }
    case Op::kStore: {
      auto [seq, uid] = RandomMessage(ctx, c);
      if (!uid) break;
      int k = static_cast<int>(ctx.rng() % 10);
      std::string flag = !st.keyword.empty() && k < 4 ? st.keyword : (k < 7 ? "\\Seen" : "\\Flagged");
      bool add = ctx.rng() % 2 == 0;
      Reply r = co_await c.Command(fmt::format("STORE {} {}FLAGS ({})", seq, add ? '+' : '-', flag), true);
      name = "STORE";
      if (r.status == Reply::kNo) {
        rep.Warning("store_no");  // e.g. the message was expunged by another client
        break;
      }
      for (auto& f : r.fetches) {
        if (f.seq != seq || !f.has_flags) continue;
        if (f.uid && f.uid != uid) continue;
        ++ctx.store_checks;
        if (HasFlag(f, flag) != add) {
          if (flag == st.keyword) {
            rep.Violation(c.name(), fmt::format("after STORE {} {}FLAGS ({}) the FETCH answer {} it", seq,
                                                add ? '+' : '-', flag, add ? "lacks" : "still has"));
          } else {
            rep.Warning("store_flag_race");  // another client may have changed a shared flag meanwhile
          }
        }
      }
      break;
    }
    case Op::kSearch: {
      static const char* kCriteria[] = {"UNSEEN", "FLAGGED", "FROM \"Smith\"", "SUBJECT \"report\"", "SINCE"};
      int k = static_cast<int>(ctx.rng() % 5);
      std::string crit = kCriteria[k];
      if (k == 4) crit = fmt::format("SINCE {}", kDays[ctx.rng() % 4]);
      co_await c.Command("UID SEARCH " + crit);
      name = "SEARCH";
      break;
    }
    case Op::kAppend: {
      const std::string& m = ctx.pool.at(ctx.rng() % ctx.pool.size());
      Reply r = co_await c.Append("INBOX", "", m);
      if (r.ok() && r.appenduid) {
        st.own_uids.push_back(r.appenduid);
        if (st.own_uids.size() > 1000) st.own_uids.pop_front();
      }
      name = "APPEND";
      break;
    }
    case Op::kExpunge: {
      if (st.own_uids.empty()) break;
      uint32_t uid = st.own_uids.front();
      st.own_uids.pop_front();
      co_await c.Command(fmt::format("UID STORE {} +FLAGS.SILENT (\\Deleted)", uid), true);
      t0 = Clock::now();
      if (c.HasCap("UIDPLUS")) co_await c.Command(fmt::format("UID EXPUNGE {}", uid));
      else co_await c.Command("EXPUNGE");
      name = "EXPUNGE";
      break;
    }
    case Op::kStatus: {
      std::string mbox = "INBOX";
      std::vector<std::string> others;
      for (auto& m : c.mailboxes())
        if (!IEquals(m, "INBOX")) others.push_back(m);
      if (!others.empty()) mbox = others[ctx.rng() % others.size()];
      co_await c.Command(fmt::format("STATUS {} (MESSAGES UIDNEXT UNSEEN)", ImapQuote(mbox)));
      name = "STATUS";
      break;
    }
    case Op::kList: {
      Reply r = co_await c.Command("LIST \"\" \"*\"");
      if (r.ok()) c.set_mailboxes(r.list_names);
      name = "LIST";
      break;
    }
    case Op::kNoop: {
      if (ctx.opt.idle) {
        if (co_await c.IdleStart()) {
          co_await c.IdleFor(After(1.0));
          co_await c.IdleDone();
        }
        name = "IDLE";
      } else {
        co_await c.Command("NOOP");
        name = "NOOP";
      }
      break;
    }
  }
  if (name) {
    TimePoint t1 = Clock::now();
    rep.Record(name, t0, t1);
    if (rep.measuring) ++ctx.measured_ops;
  }
  if (c.count() && !c.UidAt(c.count())) {
    TimePoint s0 = Clock::now();
    co_await c.SyncUnknown();
    rep.Record("FETCH_SYNC", s0, Clock::now());
  }
}

Task<void> MixClient(MixCtx& ctx, int i) {
  std::string user = UserName(ctx.opt, i);
  ImapClient c(ctx.shared, fmt::format("client{}[{}]", i, user));
  ClientState st;
  // Clients of one mailbox: the slot of this one among them.
  int per_mailbox_slot = ctx.opt.shared ? i : i / UserCount(ctx.opt, 1);
  bool in_setup = true;
  try {
    co_await SleepUntil(ctx.gate.NextSlot());
    co_await ctx.gate.Enter();
    try {
      co_await Setup(ctx, c, user);
    } catch (...) {
      ctx.gate.Leave();
      throw;
    }
    ctx.gate.Leave();
    in_setup = false;
    ++ctx.setup_done;
    ++ctx.connected;
    if (c.keywords_allowed() && per_mailbox_slot < 200) st.keyword = fmt::format("$Bench{}", per_mailbox_slot);
    int since_login = 0;
    while (!ctx.stop) {
      co_await RunOp(ctx, c, st, PickOp(ctx));
      if (ctx.opt.relogin && ++since_login >= ctx.opt.cycle_ops && !ctx.stop) {
        TimePoint t0 = Clock::now();
        co_await c.Logout();
        co_await Setup(ctx, c, user);
        ctx.report.Record("RELOGIN", t0, Clock::now());
        since_login = 0;
      }
    }
    co_await c.Logout();
  } catch (const std::exception& e) {
    if (in_setup) ++ctx.setup_done;
    ctx.report.ConnectionError(c.name(), e.what());
  }
}

Task<void> MixCoordinator(MixCtx& ctx, int clients, TimePoint start) {
  while (ctx.setup_done < clients) co_await SleepUntil(After(0.02));
  double connect_s = SecondsBetween(start, Clock::now());
  ctx.report.results.Set("connect_s", connect_s);
  ctx.report.results.Set("connected", ctx.connected);
  fmt::print("{} of {} clients logged in after {:.2f} s\n", ctx.connected, clients, connect_s);
  if (ctx.connected == 0) {
    ctx.stop = true;
    co_return;
  }
  co_await SleepUntil(After(ctx.opt.warmup));
  ServerSample before = SampleServer(ctx.opt.server_pid);
  TimePoint t0 = Clock::now();
  ctx.report.measuring = true;
  co_await SleepUntil(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(ctx.opt.duration)));
  ctx.report.measuring = false;
  double secs = SecondsBetween(t0, Clock::now());
  ServerSample after = SampleServer(ctx.opt.server_pid);
  ctx.stop = true;
  ctx.report.duration_s = secs;
  ServerDelta(ctx.report, before, after);
}

}  // namespace

int RunImapMix(const Options& o, Report& report) {
  MessagePool pool;
  if (!o.messages_dir.empty()) {
    std::string err;
    if (!pool.Load(o.messages_dir, err)) {
      fmt::print(stderr, "{}\n", err);
      return 2;
    }
  } else {
    pool.Generate(200, o.seed);
  }
  MixCtx ctx(o, report, pool);
  ctx.rng.seed(o.seed);
  ctx.weights = {{"FETCH", Op::kFetchNew, 20}, {"FETCH_BODY", Op::kFetchBody, 15}, {"FETCH_PART", Op::kFetchPart, 10},
                 {"STORE", Op::kStore, 20},    {"SEARCH", Op::kSearch, 10},        {"APPEND", Op::kAppend, 5},
                 {"EXPUNGE", Op::kExpunge, 5}, {"STATUS", Op::kStatus, 5},         {"LIST", Op::kList, 5},
                 {"NOOP", Op::kNoop, 5}};
  // --mix FETCH=10,STORE=0,...
  std::string mix = o.mix;
  size_t pos = 0;
  while (pos < mix.size()) {
    size_t end = mix.find(',', pos);
    if (end == std::string::npos) end = mix.size();
    std::string item = mix.substr(pos, end - pos);
    auto eq = item.find('=');
    bool found = false;
    if (eq != std::string::npos) {
      for (auto& w : ctx.weights)
        if (IEquals(item.substr(0, eq), w.name) || (IEquals(item.substr(0, eq), "IDLE") && w.op == Op::kNoop)) {
          w.weight = std::max(0, std::atoi(item.c_str() + eq + 1));
          found = true;
        }
    }
    if (!found) {
      fmt::print(stderr, "bad --mix item '{}'\n", item);
      return 2;
    }
    pos = end + 1;
  }
  for (auto& w : ctx.weights) ctx.total_weight += w.weight;
  if (ctx.total_weight <= 0) {
    fmt::print(stderr, "--mix: all weights are zero\n");
    return 2;
  }
  Json weights = Json::MakeObject();
  for (auto& w : ctx.weights) weights.Set(w.op == Op::kNoop && o.idle ? "IDLE" : w.name, w.weight);
  report.params.Set("clients", o.clients);
  report.params.Set("duration_s", o.duration);
  report.params.Set("warmup_s", o.warmup);
  report.params.Set("users", o.shared ? 1 : UserCount(o, 1));
  report.params.Set("shared", o.shared);
  report.params.Set("relogin", o.relogin);
  report.params.Set("idle", o.idle);
  report.params.Set("tls", o.tls);
  report.params.Set("starttls", o.starttls);
  report.params.Set("messages", static_cast<uint64_t>(pool.size()));
  report.params.Set("mix", weights);

  std::vector<Task<void>> tasks;
  TimePoint start = Clock::now();
  tasks.push_back(MixCoordinator(ctx, o.clients, start));
  for (int i = 0; i < o.clients; ++i) tasks.push_back(MixClient(ctx, i));
  RunAll(tasks);

  double secs = report.duration_s;
  uint64_t total = 0;
  for (auto& [name, h] : report.commands())
    if (name != "LOGIN" && name != "SELECT" && name != "RELOGIN" && name != "FETCH_SYNC") total += h.count();
  report.results.Set("ops", ctx.measured_ops);
  report.results.Set("ops_per_s", secs > 0 ? ctx.measured_ops / secs : 0.0);
  report.results.Set("store_checks", ctx.store_checks);
  report.results.Set("commands", report.CommandsJson(secs));
  fmt::print("imap-mix: {} clients, {:.1f} s measured, {} ops, {:.1f} ops/s\n", o.clients, secs, ctx.measured_ops,
             secs > 0 ? ctx.measured_ops / secs : 0.0);
  report.PrintCommandTable(secs);
  if (report.server.Dump() != "{}") fmt::print("server: {}\n", report.server.Dump());
  (void)total;
  if (ctx.connected == 0) {
    report.Finish(o.json_path, false);
    return 2;
  }
  return report.Finish(o.json_path, report.connection_errors() == 0);
}

}  // namespace loft::bench

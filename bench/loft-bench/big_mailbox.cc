// big-mailbox: one client times SELECT, FETCH 1:* (UID FLAGS) and SEARCHes
// on a large mailbox; with --expect-count N (a gen-mailbox.py mailbox) the
// result counts are checked against the generator's known frequencies.
#include <algorithm>

#include <fmt/format.h>

#include "imap_client.h"
#include "workloads.h"

namespace loft::bench {
namespace {

struct Step {
  std::string key;      // JSON name
  std::string command;  // IMAP command
  std::vector<double> ms;
  std::vector<size_t> results;  // SEARCH result counts / FETCH lines
};

Json Timing(const std::vector<double>& ms) {
  Json j = Json::MakeObject();
  if (ms.empty()) return j;
  j.Set("first", ms[0]);
  // min and median over the repeated runs (all runs when there is only one)
  std::vector<double> rest(ms.size() > 1 ? ms.begin() + 1 : ms.begin(), ms.end());
  std::sort(rest.begin(), rest.end());
  j.Set("min", rest.front());
  j.Set("median", rest.size() % 2 ? rest[rest.size() / 2] : (rest[rest.size() / 2 - 1] + rest[rest.size() / 2]) / 2);
  j.Set("runs", static_cast<int>(ms.size()));
  return j;
}

Task<void> Run(const Options& o, Report& report, ImapShared& shared, std::vector<Step>& steps, bool& connected) {
  ImapClient c(shared, "big-mailbox[" + o.user + "]");
  try {
    TimePoint t0 = Clock::now();
    co_await c.Open();
    co_await c.Login(o.user, o.password);
    report.results.Set("login_ms", SecondsBetween(t0, Clock::now()) * 1000);
    connected = true;
    int exists = -1;
    for (int run = 0; run < std::max(1, o.repeat); ++run) {
      for (auto& s : steps) {
        TimePoint a = Clock::now();
        Reply r;
        if (s.key == "select_ms") {
          r = co_await c.Select(o.mailbox, false);
          exists = static_cast<int>(c.count());
        } else {
          r = co_await c.Command(s.command);
        }
        s.ms.push_back(SecondsBetween(a, Clock::now()) * 1000);
        if (!r.ok()) throw IoError(fmt::format("{} failed: {}", s.command, Printable(r.tagged, 200)));
        size_t n = s.key == "fetch_all_ms" ? r.fetches.size() : r.search.size();
        if (s.key == "select_ms") n = c.count();
        s.results.push_back(n);
        if (s.key == "fetch_all_ms" && n != static_cast<size_t>(exists))
          report.Violation(c.name(), fmt::format("FETCH 1:* returned {} messages, EXISTS said {}", n, exists));
        if (run > 0 && n != s.results[0])
          report.Violation(c.name(), fmt::format("{} gave {} results, {} on the first run", s.command, n, s.results[0]));
      }
    }
    co_await c.Logout();
  } catch (const std::exception& e) {
    report.ConnectionError(c.name(), e.what());
  }
}

}  // namespace

int RunBigMailbox(const Options& o, Report& report) {
  if (o.user.empty()) {
    fmt::print(stderr, "big-mailbox needs --user\n");
    return 2;
  }
  ImapShared shared(o, report);
  std::vector<Step> steps;
  steps.push_back({"select_ms", "SELECT " + ImapQuote(o.mailbox), {}, {}});
  if (!o.select_only) {
    steps.push_back({"fetch_all_ms", "FETCH 1:* (UID FLAGS)", {}, {}});
    steps.push_back({"search_from_ms", "UID SEARCH FROM " + ImapQuote(o.from), {}, {}});
    steps.push_back({"search_subject_ms", "UID SEARCH SUBJECT " + ImapQuote(o.subject), {}, {}});
    steps.push_back({"search_body_997_ms", "UID SEARCH BODY zqmark997", {}, {}});
    steps.push_back({"search_text_997_ms", "UID SEARCH TEXT zqmark997", {}, {}});
    steps.push_back({"search_body_7_ms", "UID SEARCH BODY zqmark7", {}, {}});
  }
  report.params.Set("user", o.user);
  report.params.Set("mailbox", o.mailbox);
  report.params.Set("repeat", o.repeat);
  report.params.Set("expect_count", static_cast<int64_t>(o.expect_count));
  report.params.Set("select_only", o.select_only);
  report.params.Set("from", o.from);
  report.params.Set("subject", o.subject);

  bool connected = false;
  ServerSample before = SampleServer(o.server_pid);
  TimePoint t0 = Clock::now();
  std::vector<Task<void>> tasks;
  tasks.push_back(Run(o, report, shared, steps, connected));
  RunAll(tasks);
  report.duration_s = SecondsBetween(t0, Clock::now());
  ServerDelta(report, before, SampleServer(o.server_pid));

  fmt::print("big-mailbox {} of {}: {:<22} {:>10} {:>10} {:>10} {:>9}\n", o.mailbox, o.user, "step", "first ms", "min ms",
             "median ms", "results");
  for (auto& s : steps) {
    if (s.ms.empty()) continue;
    Json t = Timing(s.ms);
    report.results.Set(s.key, t);
    std::string count_key = s.key.substr(0, s.key.size() - 3) + "_count";
    if (s.key == "select_ms") count_key = "exists";
    report.results.Set(count_key, static_cast<uint64_t>(s.results[0]));
    std::vector<double> rest(s.ms.size() > 1 ? s.ms.begin() + 1 : s.ms.begin(), s.ms.end());
    std::sort(rest.begin(), rest.end());
    double median = rest.size() % 2 ? rest[rest.size() / 2] : (rest[rest.size() / 2 - 1] + rest[rest.size() / 2]) / 2;
    fmt::print("  {:<40} {:>10.2f} {:>10.2f} {:>10.2f} {:>9}\n", s.command, s.ms[0], rest.front(), median,
               s.results[0]);
  }
  if (o.expect_count >= 0) {
    auto result = [&](const std::string& key) -> long {
      for (auto& s : steps)
        if (s.key == key && !s.results.empty()) return static_cast<long>(s.results[0]);
      return -1;
    };
    long n = o.expect_count;
    auto expect = [&](const std::string& key, long want, const std::string& what) {
      long got = result(key);
      if (got >= 0 && got != want)
        report.Violation("big-mailbox", fmt::format("{}: {} results, expected {}", what, got, want));
    };
    expect("select_ms", n, "EXISTS");
    expect("search_body_997_ms", n / 997, "UID SEARCH BODY zqmark997");
    expect("search_body_7_ms", n / 7, "UID SEARCH BODY zqmark7");
    expect("search_text_997_ms", n / 997, "UID SEARCH TEXT zqmark997");
  }
  if (!connected) {
    report.Finish(o.json_path, false);
    return 2;
  }
  return report.Finish(o.json_path, report.connection_errors() == 0);
}

}  // namespace loft::bench

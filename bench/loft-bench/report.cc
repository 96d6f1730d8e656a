#include "report.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

namespace loft::bench {

std::string Printable(const std::string& s, size_t max) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

Report::Report(std::string workload) : workload_(std::move(workload)) {}

void Report::Violation(const std::string& who, const std::string& what) {
  ++violations_;
  if (violation_samples_.size() < 20) {
    std::string line = Printable(who + ": " + what, 600);
    violation_samples_.push_back(line);
    fmt::print(stderr, "VIOLATION {}\n", line);
  }
}

void Report::Error(const std::string& who, const std::string& what) {
  ++errors_;
  if (error_samples_.size() < 20) {
    std::string line = Printable(who + ": " + what, 600);
    error_samples_.push_back(line);
    fmt::print(stderr, "error {}\n", line);
  }
}

void Report::ConnectionError(const std::string& who, const std::string& what) {
  ++connection_errors_;
  Error(who, what);
}

void Report::Warning(const std::string& kind) { ++warnings_[kind]; }

void Report::Record(const std::string& command, TimePoint start, TimePoint end) {
  if (!measuring) return;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
  commands_[command].Add(us < 0 ? 0 : static_cast<uint64_t>(us));
}

Json Report::LatencyJson(const Histogram& h, double seconds) {
  Json j = Json::MakeObject();
  j.Set("count", h.count());
  j.Set("ops_per_s", seconds > 0 ? h.count() / seconds : 0.0);
  j.Set("p50_ms", h.Quantile(0.5) / 1000.0);
  j.Set("p99_ms", h.Quantile(0.99) / 1000.0);
  j.Set("max_ms", h.max() / 1000.0);
  j.Set("mean_ms", h.mean() / 1000.0);
  return j;
}

Json Report::CommandsJson(double seconds) const {
  Json j = Json::MakeObject();
  for (auto& [name, h] : commands_) j.Set(name, LatencyJson(h, seconds));
  return j;
}

void Report::PrintCommandTable(double seconds) const {
  fmt::print("{:<12} {:>9} {:>10} {:>9} {:>9} {:>9}\n", "command", "count", "ops/s", "p50 ms", "p99 ms", "max ms");
  uint64_t total = 0;
  for (auto& [name, h] : commands_) {
    total += h.count();
    fmt::print("{:<12} {:>9} {:>10.1f} {:>9.3f} {:>9.3f} {:>9.3f}\n", name, h.count(),
               seconds > 0 ? h.count() / seconds : 0.0, h.Quantile(0.5) / 1000.0, h.Quantile(0.99) / 1000.0,
               h.max() / 1000.0);
  }
  fmt::print("{:<12} {:>9} {:>10.1f}\n", "total", total, seconds > 0 ? total / seconds : 0.0);
}

int Report::Finish(const std::string& json_path, bool ok) {
  ok = ok && violations_ == 0;
  Json root = Json::MakeObject();
  root.Set("workload", workload_);
  root.Set("ok", ok);
  root.Set("violations", violations_);
  root.Set("errors", errors_);
  root.Set("duration_s", duration_s);
  root.Set("params", params);
  if (connection_errors_) results.Set("connection_errors", connection_errors_);
  Json w = Json::MakeObject();
  for (auto& [k, n] : warnings_) w.Set(k, n);
  results.Set("warnings", w);
  Json vs = Json::MakeArray();
  for (auto& v : violation_samples_) vs.Push(v);
  results.Set("violation_samples", vs);
  Json es = Json::MakeArray();
  for (auto& e : error_samples_) es.Push(e);
  results.Set("error_samples", es);
  root.Set("results", results);
  root.Set("server", server);

  if (!warnings_.empty()) {
    for (auto& [k, n] : warnings_) fmt::print("warning {}: {}\n", k, n);
  }
  fmt::print("violations: {}  errors: {}  => {}\n", violations_, errors_, ok ? "OK" : "FAILED");
  for (auto& v : violation_samples_) fmt::print("  violation: {}\n", v);
  if (!json_path.empty()) {
    std::ofstream f(json_path, std::ios::binary | std::ios::trunc);
    f << root.Dump() << "\n";
    if (!f) {
      fmt::print(stderr, "cannot write {}\n", json_path);
      return 2;
    }
  }
  return ok ? 0 : 1;
}

}  // namespace loft::bench

// What a run found: per-command latency histograms, violations (the
// server broke a protocol or consistency rule), errors (NO answers,
// failed connections), and the JSON/table output.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "histogram.h"
#include "json.h"
#include "loop.h"

namespace loft::bench {

class Report {
 public:
  explicit Report(std::string workload);

  void Violation(const std::string& who, const std::string& what);
  void Error(const std::string& who, const std::string& what);  // NO answers, I/O failures
  void ConnectionError(const std::string& who, const std::string& what);
  void Warning(const std::string& kind);                         // counted, not a failure

  // Latency of one operation (only while measuring).
  void Record(const std::string& command, TimePoint start, TimePoint end);
  bool measuring = false;

  uint64_t violations() const { return violations_; }
  uint64_t errors() const { return errors_; }
  uint64_t connection_errors() const { return connection_errors_; }
  const std::map<std::string, Histogram>& commands() const { return commands_; }

  Json params = Json::MakeObject();
  Json results = Json::MakeObject();
  Json server = Json::MakeObject();
  double duration_s = 0;

  // {"count","ops_per_s","p50_ms","p99_ms","max_ms"} per command, plus a table on stdout.
  Json CommandsJson(double seconds) const;
  void PrintCommandTable(double seconds) const;
  static Json LatencyJson(const Histogram& h, double seconds);

  // Final output: stdout summary, the JSON file; returns the exit status.
  int Finish(const std::string& json_path, bool ok);

 private:
  std::string workload_;
  uint64_t violations_ = 0;
  uint64_t errors_ = 0;
  uint64_t connection_errors_ = 0;
  std::map<std::string, uint64_t> warnings_;
  std::vector<std::string> violation_samples_;
  std::vector<std::string> error_samples_;
  std::map<std::string, Histogram> commands_;
};

std::string Printable(const std::string& s, size_t max = 300);

}  // namespace loft::bench

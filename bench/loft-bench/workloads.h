// The workloads; each returns the process exit status (0 ok, 1 violations
// or failing errors, 2 usage or connection failure).
#pragma once

#include <vector>

#include "options.h"
#include "report.h"
#include "server_stats.h"
#include "task.h"

namespace loft::bench {

int RunImapMix(const Options& o, Report& report);
int RunBigMailbox(const Options& o, Report& report);
int RunIdleFanout(const Options& o, Report& report);
int RunLmtpIngest(const Options& o, Report& report);
int RunPop3Download(const Options& o, Report& report);

// Starts every task and runs the loop until all are done.
void RunAll(std::vector<Task<void>>& tasks);

// Adds "cpu_s" (delta), "rss_kb", "pss_kb" to report.server.
void ServerDelta(Report& report, const ServerSample& before, const ServerSample& after);

int UserCount(const Options& o, int fallback);
std::string UserName(const Options& o, int index);  // index 0.. -> user (index mod K)+1

}  // namespace loft::bench

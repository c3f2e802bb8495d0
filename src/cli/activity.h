#pragma once
// `ccgauge activity`: lines of code, commits, pull requests, active time, permission decisions,
// tool results, API errors and prompts from Claude Code's OpenTelemetry (analytics/activity.h),
// per day, project, tool, host or user. It only reads the ledger (the daemon's OTLP receiver
// fills it).

#include <optional>
#include <string>

namespace ccgauge::cli {

struct ActivityCommandOptions {
  std::optional<std::string> since;  // local dates, YYYYMMDD or YYYY-MM-DD
  std::optional<std::string> until;
  std::string timezone;     // empty: $TZ, then the system's
  std::string ledger_path;  // empty: the default
  std::string by = "day";   // day, project, tool, host, user
  std::optional<std::string> host;
  std::optional<std::string> user;
  bool json = false;
};

int run_activity(const ActivityCommandOptions& options);

}  // namespace ccgauge::cli

#pragma once
// `ccgauge activity`: lines of code, commits, pull requests, active time, permission decisions,
// tool results, API errors and prompts from Claude Code's OpenTelemetry (analytics/activity.h),
// per day, project, tool, host or user. It only reads the ledger (the daemon's OTLP receiver
// fills it).

#include <optional>
#include <string>

#include "analytics/activity.h"
#include "core/result.h"
#include "core/time.h"

namespace ccgauge::ledger {
class Ledger;
}  // namespace ccgauge::ledger

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

// What an activity report covers (`ccgauge activity`, GET /api/v1/activity): whole local days
// of `zone`, one host or user.
struct ActivitySelection {
  std::optional<DateKey> since;  // inclusive
  std::optional<DateKey> until;  // inclusive
  TimeZone zone = TimeZone::utc();
  analytics::ActivityGroup group = analytics::ActivityGroup::kDay;
  std::optional<std::string> host;
  std::optional<std::string> user;
};

// Reads the ledger's OTLP metric points and events for the selection and builds the report.
Result<analytics::ActivityReport> build_activity(const ledger::Ledger& ledger,
                                                 const ActivitySelection& selection);

// The JSON of `ccgauge activity --json`, which GET /api/v1/activity answers too.
std::string render_activity_json(const analytics::ActivityReport& report);

}  // namespace ccgauge::cli

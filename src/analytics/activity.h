#pragma once
// The activity report: what Claude Code did besides spending tokens, from its OpenTelemetry
// metrics and events (research: telemetry.md §1.5, §1.6): lines of code added and removed,
// commits, pull requests, active time, permission decisions, tool results, API errors and
// prompts, per day, project, tool, host or user. Pure functions of the items the ledger hands
// over; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "core/types.h"

namespace ccgauge::analytics {

// What one metric point or event counts for.
enum class ActivityKind : std::uint8_t {
  kLinesAdded,     // claude_code.lines_of_code.count, type added
  kLinesRemoved,   // ... type removed
  kCommits,        // claude_code.commit.count
  kPullRequests,   // claude_code.pull_request.count
  kActiveUser,     // claude_code.active_time.total, type user (seconds)
  kActiveCli,      // ... type cli (seconds)
  kSessions,       // claude_code.session.count
  kEditAccept,     // claude_code.code_edit_tool.decision, decision accept
  kEditReject,     // ... decision reject
  kToolAccept,     // tool_decision event, decision accept
  kToolReject,     // ... decision reject
  kToolResult,     // tool_result event
  kToolFailure,    // tool_result event with success false
  kApiError,       // api_error event
  kPrompt,         // user_prompt event
};

// One metric point or event, as the ledger hands it to the report.
struct ActivityItem {
  Instant instant{};
  ActivityKind kind = ActivityKind::kCommits;
  double value = 1;      // the point's delta; 1 for an event
  std::string project;   // the best known project (see ledger/activity_reader.h), or empty
  std::string tool;      // tool_name, when the item has one
  std::string host;
  std::string user;
};

enum class ActivityGroup { kDay, kProject, kTool, kHost, kUser };

struct ActivityCounts {
  double lines_added = 0;
  double lines_removed = 0;
  double commits = 0;
  double pull_requests = 0;
  double active_user_seconds = 0;
  double active_cli_seconds = 0;
  double sessions = 0;
  double edit_accepts = 0;  // the code_edit_tool.decision metric (Edit, Write, NotebookEdit)
  double edit_rejects = 0;
  std::int64_t tool_accepts = 0;  // tool_decision events (every tool)
  std::int64_t tool_rejects = 0;
  std::int64_t tool_results = 0;
  std::int64_t tool_failures = 0;
  std::int64_t api_errors = 0;
  std::int64_t prompts = 0;

  void add(const ActivityItem& item);
  ActivityCounts& operator+=(const ActivityCounts& o);
};

struct ActivityRow {
  std::string key;  // "2026-11-21", a project, a tool, a host or a user; "(unknown)" if none
  ActivityCounts counts;
};

struct ActivityReport {
  ActivityGroup group = ActivityGroup::kDay;
  std::vector<ActivityRow> rows;  // by key, ascending (days in date order)
  ActivityCounts totals;
};

struct ActivityOptions {
  ActivityGroup group = ActivityGroup::kDay;
  TimeZone zone = TimeZone::utc();
  std::optional<DateKey> since;  // local dates, inclusive
  std::optional<DateKey> until;
};

// Rows are grouped by options.group; items outside [since, until] (local dates) are left out.
// Items with no tool count in the "(none)" row of a per-tool report.
ActivityReport build_activity_report(const std::vector<ActivityItem>& items,
                                     const ActivityOptions& options);

// "day", "project", "tool", "host", "user".
std::optional<ActivityGroup> parse_activity_group(std::string_view name);

}  // namespace ccgauge::analytics

#include "analytics/activity.h"

#include <map>

namespace ccgauge::analytics {

void ActivityCounts::add(const ActivityItem& item) {
  switch (item.kind) {
    case ActivityKind::kLinesAdded:
      lines_added += item.value;
      break;
    case ActivityKind::kLinesRemoved:
      lines_removed += item.value;
      break;
    case ActivityKind::kCommits:
      commits += item.value;
      break;
    case ActivityKind::kPullRequests:
      pull_requests += item.value;
      break;
    case ActivityKind::kActiveUser:
      active_user_seconds += item.value;
      break;
    case ActivityKind::kActiveCli:
      active_cli_seconds += item.value;
      break;
    case ActivityKind::kSessions:
      sessions += item.value;
      break;
    case ActivityKind::kEditAccept:
      edit_accepts += item.value;
      break;
    case ActivityKind::kEditReject:
      edit_rejects += item.value;
      break;
    case ActivityKind::kToolAccept:
      ++tool_accepts;
      break;
    case ActivityKind::kToolReject:
      ++tool_rejects;
      break;
    case ActivityKind::kToolResult:
      ++tool_results;
      break;
    case ActivityKind::kToolFailure:
      ++tool_results;
      ++tool_failures;
      break;
    case ActivityKind::kApiError:
      ++api_errors;
      break;
    case ActivityKind::kPrompt:
      ++prompts;
      break;
  }
}

ActivityCounts& ActivityCounts::operator+=(const ActivityCounts& o) {
  lines_added += o.lines_added;
  lines_removed += o.lines_removed;
  commits += o.commits;
  pull_requests += o.pull_requests;
  active_user_seconds += o.active_user_seconds;
  active_cli_seconds += o.active_cli_seconds;
  sessions += o.sessions;
  edit_accepts += o.edit_accepts;
  edit_rejects += o.edit_rejects;
  tool_accepts += o.tool_accepts;
  tool_rejects += o.tool_rejects;
  tool_results += o.tool_results;
  tool_failures += o.tool_failures;
  api_errors += o.api_errors;
  prompts += o.prompts;
  return *this;
}

namespace {

std::string key_of(const ActivityItem& item, ActivityGroup group, DateKey date) {
  auto or_unknown = [](const std::string& s, const char* none) {
    return s.empty() ? std::string(none) : s;
  };
  switch (group) {
    case ActivityGroup::kDay:
      return format_date(date);
    case ActivityGroup::kProject:
      return or_unknown(item.project, "(unknown)");
    case ActivityGroup::kTool:
      return or_unknown(item.tool, "(none)");
    case ActivityGroup::kHost:
      return or_unknown(item.host, "(unknown)");
    case ActivityGroup::kUser:
      return or_unknown(item.user, "(unknown)");
  }
  return {};
}

}  // namespace

ActivityReport build_activity_report(const std::vector<ActivityItem>& items,
                                     const ActivityOptions& options) {
  ActivityReport report;
  report.group = options.group;
  TimeZone zone = options.zone;
  std::map<std::string, ActivityCounts> rows;  // ISO dates sort as dates
  for (const ActivityItem& item : items) {
    DateKey date = zone.local_date(item.instant);
    if ((options.since && date < *options.since) || (options.until && date > *options.until)) {
      continue;
    }
    rows[key_of(item, options.group, date)].add(item);
    report.totals.add(item);
  }
  for (auto& [key, counts] : rows) {
    report.rows.push_back(ActivityRow{key, counts});
  }
  return report;
}

std::optional<ActivityGroup> parse_activity_group(std::string_view name) {
  if (name == "day") {
    return ActivityGroup::kDay;
  }
  if (name == "project") {
    return ActivityGroup::kProject;
  }
  if (name == "tool") {
    return ActivityGroup::kTool;
  }
  if (name == "host") {
    return ActivityGroup::kHost;
  }
  if (name == "user") {
    return ActivityGroup::kUser;
  }
  return std::nullopt;
}

}  // namespace ccgauge::analytics

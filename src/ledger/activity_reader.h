#pragma once
// Reads what the activity report counts (analytics/activity.h) from the ledger's OpenTelemetry
// tables: metric_points, and the events with source 'otlp'.
//
// Project of an item: its own `project` attribute, else the project of its session as the
// transcripts know it, else its `repo` attribute (OTEL_RESOURCE_ATTRIBUTES=repo=...), else
// empty.

#include <optional>
#include <string>
#include <vector>

#include "analytics/activity.h"
#include "core/result.h"
#include "ledger/ledger.h"

namespace ccgauge::ledger {

struct ActivityQuery {
  std::optional<Instant> from;  // inclusive
  std::optional<Instant> to;    // exclusive
  std::optional<std::string> host;
  std::optional<std::string> user;  // the e-mail, the account UUID or the user.id
};

Result<std::vector<analytics::ActivityItem>> read_activity(const Ledger& ledger,
                                                           const ActivityQuery& query);

// Counts over the whole ledger, for Prometheus counters (/metrics). Each row is a group of the
// query's keys and its count (events) or sum (metric points).
struct ActivityCounter {
  std::string key1, key2, key3;
  double value = 0;
};
struct ActivityCounters {
  // Hook and harness events: source ("hook", "harness"), event name, tool; the count.
  std::vector<ActivityCounter> events;
  // OTLP sums of the activity metrics: metric name, `type`, `decision`; the sum of the deltas.
  std::vector<ActivityCounter> points;
  // OTLP activity events (tool_decision, tool_result, api_error, user_prompt): name, tool,
  // "true"/"false"/"" for success (tool_result) or the decision (tool_decision); the count.
  std::vector<ActivityCounter> otel_events;
};

Result<ActivityCounters> read_activity_counters(const Ledger& ledger);

}  // namespace ccgauge::ledger

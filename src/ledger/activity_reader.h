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

}  // namespace ccgauge::ledger

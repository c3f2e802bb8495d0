#pragma once
// Reads what the limits engine needs from the ledger and runs it: the newest official samples,
// the rollups of the windows (eight weeks when an estimate is needed) and the requests of the
// last minutes. Every surface calls this, so they all show the same figures.

#include <vector>

#include "analytics/limits.h"
#include "core/result.h"
#include "ledger/ledger.h"

namespace ccgauge::ledger {

struct LimitsQuery {
  Instant now{};
  analytics::PlanLimits plan;
  // Readings not yet in the ledger (the status line's own input), taken as if stored.
  std::vector<LimitSample> extra_samples;
};

Result<analytics::LimitsReport> read_limits(const Ledger& ledger, const LimitsQuery& query);

}  // namespace ccgauge::ledger

#pragma once
// Reads each view's data of `ccgauge live` from the ledger, through the same readers and
// builders every other surface uses (limits_reader.h, reports.h, blocks.h, tools_reader.h).

#include "analytics/limits.h"
#include "cli/live/model.h"
#include "core/result.h"
#include "ledger/ledger.h"

namespace ccgauge::cli::live {

// The limits report, today's figures, the last hour and the active sessions, as of `now`.
Result<CurrentData> load_current(const ledger::Ledger& ledger, Instant now, const TimeZone& zone,
                                 const analytics::PlanLimits& plan);

// The last `days` local days up to today's, newest first (cost mode auto).
Result<analytics::PeriodReport> load_daily(const ledger::Ledger& ledger, Instant now,
                                           const TimeZone& zone, int days);

// Sessions with requests in the last `days` days, newest activity first; their figures count
// those days only.
Result<analytics::PeriodReport> load_sessions(const ledger::Ledger& ledger, Instant now,
                                              const TimeZone& zone, int days);

// ccusage's recent blocks (started in the last 3 days, or active), newest first.
Result<analytics::BlocksReport> load_blocks(const ledger::Ledger& ledger, Instant now,
                                            const TimeZone& zone);

// Tool calls of the last `days` days from the hook events; a note instead when there are none
// or they cannot be read.
ToolsData load_tools(const ledger::Ledger& ledger, Instant now, int days);

// Loads `view` into `model` (whose now, zone and spans are set), or sets model.error.
void load_view(const ledger::Ledger& ledger, View view, const analytics::PlanLimits& plan,
               LiveModel& model);

}  // namespace ccgauge::cli::live

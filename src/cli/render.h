#pragma once
// Renderers for the Claude reports: boxed tables like ccusage's, ccusage-shaped JSON, and CSV.
// Pure functions from report values to text; the CLI decides where the text goes.

#include <string>

#include "analytics/blocks.h"
#include "analytics/limits.h"
#include "analytics/reports.h"
#include "core/time.h"

namespace ccgauge::cli {

struct RenderOptions {
  bool color = false;
  bool compact = false;     // fewer columns (auto under 100 terminal columns)
  bool breakdown = false;   // per-model sub-rows in tables
  bool no_cost = false;     // --no-cost: strip cost fields and columns
  int terminal_width = 120;
  TimeZone zone = TimeZone::utc();  // for block times in tables
  analytics::Order order = analytics::Order::kAsc;
};

// JSON, exactly ccusage v20's `claude <report> --json` keys and shapes (research ccusage.md 4.7)
// plus `missingPricing` when a model had no price. Costs are USD numbers, never -0.
std::string render_period_json(const analytics::PeriodReport& report, const RenderOptions& opts);
std::string render_blocks_json(const analytics::BlocksReport& report, const RenderOptions& opts);
std::string render_session_detail_json(const analytics::SessionDetail* detail,
                                       const RenderOptions& opts);

std::string render_period_table(const analytics::PeriodReport& report, const RenderOptions& opts);
std::string render_blocks_table(const analytics::BlocksReport& report, const RenderOptions& opts);
std::string render_session_detail_table(const analytics::SessionDetail& detail,
                                        const RenderOptions& opts);

// CSV with a header row; one row per report row (and per model with breakdown), RFC 4180 quoting.
std::string render_period_csv(const analytics::PeriodReport& report, const RenderOptions& opts);
std::string render_blocks_csv(const analytics::BlocksReport& report, const RenderOptions& opts);

// `ccgauge limits`: the 5-hour and 7-day windows with provenance, burn rate and projection.
// The JSON is the contract scripts and the daemon's /api/v1/limits share.
std::string render_limits_json(const analytics::LimitsReport& report, bool pretty = true);
std::string render_limits_text(const analytics::LimitsReport& report, const RenderOptions& opts);

// "2h 13m", "3d 4h", "45m", "now": the time from `now` until `at`.
std::string format_duration_until(Instant at, Instant now);

}  // namespace ccgauge::cli

#pragma once
// The limits engine: where the user stands in the 5-hour and the 7-day window, how fast they
// burn, and when they would run out. Every surface (status line, `ccgauge limits`, the daemon,
// the TUI) asks this one engine. No I/O: the caller hands it the official samples, the plan and
// the usage rows.
//
// Each figure says where it came from:
//   official  a reading Anthropic produced: the status line's rate_limits, the OAuth usage
//             endpoint, OTLP, or a limit-hit message in a transcript ("resets 3pm (zone)");
//   plan      the user's configured plan or budgets (pro, max5, max20, custom tokens/dollars);
//   estimate  derived from local history: the window as ccusage's blocks, the limit as the P90
//             of past blocks (Claude-Code-Usage-Monitor's method).
// Official beats plan beats estimate. An official reading whose reset has passed is stale and
// never used for the current window.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/reports.h"
#include "core/result.h"
#include "core/types.h"

namespace ccgauge::analytics {

enum class Provenance { kNone, kEstimate, kPlan, kOfficial };
std::string_view provenance_name(Provenance p);  // "none", "estimate", "plan", "official"

// Budgets per window. Tokens count input + output (cache excluded), as the plan figures the
// peers publish do; dollars are API-price equivalents.
struct PlanLimits {
  std::string name;  // "pro", "max5", "max20", "custom"; empty: no plan configured
  std::optional<std::int64_t> tokens_5h;
  std::optional<Nanodollars> cost_5h;
  std::optional<std::int64_t> tokens_7d;
  std::optional<Nanodollars> cost_7d;
  bool empty() const { return !tokens_5h && !cost_5h && !tokens_7d && !cost_7d; }
};

// The built-in plans ("pro", "max5", "max20"; Claude-Code-Usage-Monitor's published budgets,
// research peers.md 2.2). Anthropic publishes no weekly budget, so the 7-day window of a named
// plan falls back to the estimate unless the user sets one.
Result<PlanLimits> named_plan(std::string_view name);

struct LimitsOptions {
  Instant now{};
  PlanLimits plan;  // costs are in CostMode::kAuto (rollups read with it)
  // Burn rate "right now" looks this far back.
  std::chrono::minutes recent{10};
};

// Usage per minute and per hour over some interval.
struct Rate {
  double tokens_per_minute = 0;  // all token buckets
  double cost_per_hour_usd = 0;
  std::optional<double> percent_per_hour;  // when the window's percent is known
};

struct WindowState {
  std::string window;  // "five_hour" | "seven_day"
  // The window's bounds: [start, resets_at). None when there is no current window (no recent
  // usage and no official reading).
  std::optional<Instant> start;
  std::optional<Instant> resets_at;
  Provenance reset_provenance = Provenance::kNone;

  std::optional<double> used_percent;  // 0..100 (may exceed 100 for plan/estimate budgets)
  Provenance used_provenance = Provenance::kNone;
  std::string source;  // official: statusline, oauth, otlp, transcript; plan: the plan name;
                       // estimate: "blocks" / "p90"
  std::optional<Instant> sampled_at;  // when the official reading was taken

  // Local usage inside the window (what this machine's transcripts show).
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::int64_t requests = 0;
  // The budget used for plan / estimate percentages.
  std::optional<std::int64_t> token_limit;
  std::optional<Nanodollars> cost_limit;

  Rate recent_rate;  // over LimitsOptions::recent
  Rate window_rate;  // since the window started
  // When the window's use would reach 100 % at the recent rate (else the window rate), if that
  // is before the reset.
  std::optional<Instant> exhausted_at;
  // The rate that would just last until the reset.
  std::optional<double> sustainable_percent_per_hour;
  std::optional<double> sustainable_cost_per_hour_usd;
  bool limit_hit = false;  // a limit-hit message for this window is current
};

struct LimitsReport {
  Instant now{};
  WindowState five_hour;
  WindowState seven_day;
  std::string plan;  // configured plan name, or empty
  std::vector<std::string> notes;  // why a figure fell back (e.g. "official 5h reading is stale")
};

// Build a report: add the official samples (any order, any window; unknown windows are
// ignored), the usage rows of the last 8 days at least (pre-summed rollup rows are fine, with
// `last_instant` set), and the rows of the last `recent` minutes as single requests via
// add_recent(), then finish().
class LimitsBuilder {
 public:
  explicit LimitsBuilder(LimitsOptions options);
  ~LimitsBuilder();
  LimitsBuilder(LimitsBuilder&&) noexcept;
  LimitsBuilder& operator=(LimitsBuilder&&) noexcept;

  void add_sample(const LimitSample& sample);
  // History for the windows and the P90 estimate. Rows may be pre-summed.
  void add_history(const RequestRow& row);
  // Single requests inside the recent interval, for the recent burn rate.
  void add_recent(const RequestRow& row);
  LimitsReport finish();

  // How much history finish() needs, given the samples added so far: the current windows only
  // when official readings (or plan budgets) cover both, else eight weeks for the P90
  // estimates. Rows before this instant may still be added; they change nothing.
  Instant history_needed_from() const;

  // When finish() needs no history rows at all, only each window's usage since its start (both
  // windows have a current official reading with its reset, the status line's common case):
  // the two starts, the five-hour window's first. Then give add_window_usage() the sum of the
  // rows whose first instant is in [start, now] for each, instead of add_history().
  std::optional<std::pair<Instant, Instant>> window_starts() const;
  void add_window_usage(Instant start, const RequestRow& sums);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::analytics

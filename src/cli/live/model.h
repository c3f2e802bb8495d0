#pragma once
// What `ccgauge live` shows, as plain values computed from ledger rows. No I/O: the loaders in
// data.h read the ledger and feed these builders; the views in view.h render the values.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/blocks.h"
#include "analytics/limits.h"
#include "analytics/reports.h"
#include "analytics/tools.h"
#include "core/time.h"
#include "core/types.h"

namespace ccgauge::cli::live {

enum class View { kCurrent, kDaily, kSessions, kBlocks, kTools };
inline constexpr int kViewCount = 5;

// "Current", "Daily", "Sessions", "Blocks", "Tools".
std::string_view view_title(View view);
// "current", "daily", "sessions", "blocks", "tools" (the --view names); nullopt otherwise.
std::optional<View> parse_view(std::string_view name);
// The view after (Tab) or before (Shift-Tab) this one, wrapping around.
View next_view(View view);
View previous_view(View view);

// A session is active while its last request is this recent (as the daemon's live state).
inline constexpr auto kActiveSessionWindow = std::chrono::minutes(30);
// The sparkline's span: one bucket per minute.
inline constexpr int kSparkMinutes = 60;

// One model's part of today's cost.
struct ModelShare {
  std::string model;  // display name (pricing::short_model_name)
  Nanodollars cost = 0;
  std::int64_t tokens = 0;
  std::int64_t requests = 0;
  double share = 0;  // of today's cost, 0..1 (of tokens when today cost nothing)
};

struct ActiveSession {
  std::string session_id;
  std::string project;
  std::string model;  // display name of its newest request
  Instant first{};
  Instant last{};
  std::int64_t requests = 0;
  std::int64_t tokens = 0;
  Nanodollars cost = 0;
};

// The Current view.
struct CurrentData {
  analytics::LimitsReport limits;  // the one limits engine (ledger/limits_reader.h)
  // Tokens (all buckets) per minute over the last hour, oldest first: bucket i covers
  // [now - 60 min + i min, now - 59 min + i min). Requests after now count in the last bucket.
  std::array<std::int64_t, kSparkMinutes> tokens_per_minute{};
  Nanodollars cost_last_hour = 0;
  analytics::Totals today;                     // since local midnight
  std::vector<ModelShare> model_mix;           // today, by cost, descending
  std::vector<ActiveSession> active_sessions;  // newest activity first
  std::optional<Instant> last_request;
};

// Builds the Current view's figures (all but the limits) from single requests, in any order.
// Costs are CostMode::kAuto, as the limits engine's.
class CurrentBuilder {
 public:
  CurrentBuilder(Instant now, TimeZone zone);

  // The earliest instant whose requests matter: local midnight, or an hour ago if earlier (or
  // the active-session window).
  Instant needed_from() const;

  void add(const analytics::RequestRow& row);
  CurrentData finish();

 private:
  struct ModelSum {
    Nanodollars cost = 0;
    std::int64_t tokens = 0;
    std::int64_t requests = 0;
  };
  Instant now_;
  TimeZone zone_;
  Instant day_start_;
  CurrentData data_;
  std::vector<std::pair<std::string, ModelSum>> models_;  // few: a linear search is fastest
  std::vector<ActiveSession> sessions_;
};

// The Tools view: the hook report, or why there is none.
struct ToolsData {
  std::optional<analytics::ToolsReport> report;
  std::string note;  // shown when there is no report, or it is empty
};

// Everything on screen. Each view's data is loaded when that view is shown (data.h); a view
// not loaded yet is nullopt.
struct LiveModel {
  Instant now{};
  TimeZone zone = TimeZone::utc();
  std::string source;    // where live data comes from: "daemon 127.0.0.1:8321", "transcripts"
  std::string plan;      // the configured plan name, or empty
  int daily_days = 30;   // the Daily view's span
  int session_days = 7;  // the Sessions view's span
  int tool_days = 7;     // the Tools view's span

  std::optional<CurrentData> current;
  std::optional<analytics::PeriodReport> daily;     // newest day first
  std::optional<analytics::PeriodReport> sessions;  // newest activity first
  std::optional<analytics::BlocksReport> blocks;    // newest first, recent blocks only
  std::optional<ToolsData> tools;
  std::string error;  // the last load error, shown instead of a view that failed
};

}  // namespace ccgauge::cli::live

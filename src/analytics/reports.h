#pragma once
// Period, session and hourly reports: pure functions from ledger rows to report values.
// No I/O. The CLI renders these as tables, JSON or CSV; the daemon serves the same values.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "core/types.h"

namespace ccgauge::analytics {

enum class CostMode { kAuto, kCalculate, kDisplay };

// One deduped request as the ledger hands it to reports.
struct RequestRow {
  Instant instant{};
  std::string session_id;
  std::string project;
  std::string model;  // as logged; empty when unknown
  TokenCounts tokens;
  Speed speed = Speed::kStandard;
  Agent agent = Agent::kMain;
  Nanodollars computed_cost = 0;
  std::optional<Nanodollars> reported_cost;
  bool priced = true;  // false: the model has no price (computed_cost is 0)
  std::optional<std::int64_t> limit_reset_epoch_s;
  // Requests this row stands for: 1, or more when the ledger hands pre-summed rows.
  std::int64_t count = 1;
  // Pre-summed rows: the latest of their requests (`instant` is the earliest).
  std::optional<Instant> last_instant;
};

// The cost a report shows for a row under a cost mode (ccusage semantics).
Nanodollars cost_under(const RequestRow& row, CostMode mode);

struct ModelBreakdown {
  std::string model;  // display name (pricing::short_model_name)
  TokenCounts tokens;
  Nanodollars cost = 0;
};

enum class PeriodKind { kDaily, kWeekly, kMonthly, kHourly, kSession };

// One row of a report: a day, week, month, hour or session (optionally within a project).
struct UsageRow {
  std::string key;      // "2026-03-02", "2026-03-01" (week start), "2026-03", "2026-03-02 14:00",
                        // or the session id
  std::string project;  // set when grouped by project, and on session rows
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::vector<std::string> models_used;     // display names, first-seen order
  std::vector<ModelBreakdown> breakdowns;   // by cost, descending
  Instant first_activity{};
  Instant last_activity{};
  std::int64_t requests = 0;
};

struct Totals {
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::int64_t requests = 0;
};

struct PeriodReport {
  PeriodKind kind = PeriodKind::kDaily;
  bool by_project = false;  // --instances: rows carry `project` and are grouped per project
  std::vector<UsageRow> rows;
  Totals totals;
  std::vector<std::string> missing_pricing;  // models (as logged) with no price, sorted
};

enum class Order { kAsc, kDesc };

struct ReportOptions {
  PeriodKind kind = PeriodKind::kDaily;
  CostMode mode = CostMode::kAuto;
  Order order = Order::kAsc;
  TimeZone zone = TimeZone::utc();
  std::optional<DateKey> since;   // inclusive, local date
  std::optional<DateKey> until;   // inclusive, local date
  bool by_project = false;  // the caller filters by --project before add()
  std::chrono::weekday start_of_week = std::chrono::Sunday;
};

// Builds a report incrementally, so rows stream from the ledger without being held.
class ReportBuilder {
 public:
  explicit ReportBuilder(ReportOptions options);
  ~ReportBuilder();
  ReportBuilder(ReportBuilder&&) noexcept;
  ReportBuilder& operator=(ReportBuilder&&) noexcept;

  void add(const RequestRow& row);
  PeriodReport finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::analytics

namespace ccgauge::analytics {

// `session --id X`: every request of one session, in time order.
struct SessionDetail {
  std::string session_id;
  std::string project;
  Totals totals;
  std::vector<RequestRow> entries;
  std::vector<Nanodollars> entry_costs;  // cost of entries[i] under the report's cost mode
};

}  // namespace ccgauge::analytics

namespace ccgauge::analytics::detail {

// Shared by ReportBuilder and BlocksBuilder; not for use outside analytics/.
// Interns the models rows name, so a report computes each display name
// (pricing::short_model_name) once per distinct (model, speed) and keeps an int per row.
// Asking for the same model as the previous call costs one string compare.
class ModelNames {
 public:
  // The key of rows without a real model ("" or "<synthetic>"): their tokens count in totals,
  // but they name no model.
  static constexpr int kUnnamed = -1;

  // The key of (model, speed), or kUnnamed.
  int intern(std::string_view model, Speed speed);
  // Dense id of the key's display name; keys that display alike ("claude-sonnet-4-5" and
  // "claude-sonnet-4-5-20250929") share it. `key` must not be kUnnamed.
  int display_id(int key) const;
  const std::string& display_name(int display_id) const;
  // The logged model names of `keys`, sorted and unique.
  std::vector<std::string> logged_names(const std::set<int>& keys) const;

 private:
  struct Key {
    std::string logged;
    Speed speed = Speed::kStandard;
    int display_id = 0;
  };
  std::map<std::string, int, std::less<>> by_logged_[2];  // indexed by Speed
  std::map<std::string, int, std::less<>> by_display_;
  std::vector<Key> keys_;
  std::vector<std::string> display_names_;
  int last_key_ = kUnnamed;
};

}  // namespace ccgauge::analytics::detail

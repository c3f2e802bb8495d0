#pragma once
// ccusage's 5-hour billing blocks (research: ccusage.md 4.5): rows sorted by time form blocks
// that start at the first row's UTC hour and last --session-length hours; a new block starts
// when a row is more than that after the block start or after the previous row, and the idle
// time between becomes a gap block. Burn rate and projection for the active block. No I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analytics/reports.h"

namespace ccgauge::analytics {

struct BurnRate {
  double tokens_per_minute = 0;
  double tokens_per_minute_for_indicator = 0;  // input + output only
  double cost_per_hour_usd = 0;
};

struct Projection {
  std::int64_t total_tokens = 0;
  double total_cost_usd = 0;
  std::int64_t remaining_minutes = 0;
};

struct TokenLimitStatus {
  std::int64_t limit = 0;
  std::int64_t projected_usage = 0;
  double percent_used = 0;
  std::string status;  // "ok" | "warning" | "exceeds"
};

struct Block {
  std::string id;  // ISO start with .000Z; gaps: "gap-" + ISO start
  Instant start{};
  Instant end{};
  std::optional<Instant> actual_end;  // last row's instant; none for gaps
  bool active = false;
  bool gap = false;
  std::int64_t entries = 0;
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::vector<std::string> models;  // display names, first-seen order
  std::optional<BurnRate> burn_rate;      // active blocks only
  std::optional<Projection> projection;   // active blocks only
  std::optional<TokenLimitStatus> token_limit;
  std::optional<Instant> usage_limit_reset;
};

struct BlocksOptions {
  CostMode mode = CostMode::kAuto;
  Order order = Order::kAsc;
  TimeZone zone = TimeZone::utc();
  std::optional<DateKey> since;
  std::optional<DateKey> until;
  bool active_only = false;
  bool recent_only = false;  // start within 3 days of now, or active
  // --token-limit: a number, or "max" (the largest non-gap, non-active block's total).
  std::optional<std::int64_t> token_limit;
  bool token_limit_max = false;
  double session_length_hours = 5.0;
  Instant now{};
};

struct BlocksReport {
  std::vector<Block> blocks;
  std::vector<std::string> missing_pricing;
};

// Rows need not arrive sorted; the builder keeps one small record per row (instant, tokens,
// cost, model index), not the rows themselves.
class BlocksBuilder {
 public:
  explicit BlocksBuilder(BlocksOptions options);
  ~BlocksBuilder();
  BlocksBuilder(BlocksBuilder&&) noexcept;
  BlocksBuilder& operator=(BlocksBuilder&&) noexcept;

  void add(const RequestRow& row);
  BlocksReport finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ccgauge::analytics

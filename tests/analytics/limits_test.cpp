// The limits engine: provenance order, staleness, windows, P90, burn rate and projection.

#include "analytics/limits.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "core/time.h"

namespace ccgauge::analytics {
namespace {

using namespace std::chrono_literals;

Instant at(const char* iso) { return *parse_timestamp(iso); }

std::int64_t epoch_s(Instant t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

RequestRow request(Instant when, std::int64_t input, std::int64_t output, double usd) {
  RequestRow r;
  r.instant = when;
  r.model = "claude-sonnet-4-5";
  r.tokens.input = input;
  r.tokens.output = output;
  r.computed_cost = std::llround(usd * 1e9);
  return r;
}

LimitSample sample(Instant when, const char* source, const char* window,
                   std::optional<double> pct, std::optional<Instant> resets) {
  LimitSample s;
  s.instant = when;
  s.source = source;
  s.window = window;
  s.used_percent = pct;
  if (resets) {
    s.resets_at_epoch_s = epoch_s(*resets);
  }
  return s;
}

const Instant kNow = at("2026-03-10T12:00:00Z");

LimitsOptions options(PlanLimits plan = {}) {
  LimitsOptions o;
  o.now = kNow;
  o.plan = std::move(plan);
  return o;
}

TEST(LimitsTest, OfficialReadingSetsPercentAndWindow) {
  LimitsBuilder b(options(*named_plan("max5")));
  b.add_sample(sample(kNow - 5min, "statusline", "five_hour", 40.0, kNow + 2h));
  b.add_sample(sample(kNow - 1h, "oauth", "five_hour", 30.0, kNow + 2h));  // older: loses
  b.add_history(request(kNow - 2h, 1000, 1000, 2.0));
  b.add_history(request(kNow - 4h, 1000, 1000, 9.0));  // before the official window
  LimitsReport r = b.finish();
  const WindowState& w = r.five_hour;
  EXPECT_EQ(w.used_provenance, Provenance::kOfficial);
  EXPECT_EQ(w.source, "statusline");
  EXPECT_DOUBLE_EQ(*w.used_percent, 40.0);
  EXPECT_EQ(*w.resets_at, kNow + 2h);
  EXPECT_EQ(*w.start, kNow - 3h);
  EXPECT_EQ(w.reset_provenance, Provenance::kOfficial);
  EXPECT_EQ(w.cost, 2'000'000'000);  // only usage inside the official window
  EXPECT_EQ(w.requests, 1);
  EXPECT_FALSE(w.token_limit);  // a plan budget is not applied over an official figure
}

TEST(LimitsTest, StaleOfficialReadingFallsBackToPlanThenEstimate) {
  LimitSample stale = sample(kNow - 6h, "statusline", "five_hour", 90.0, kNow - 1h);
  {
    LimitsBuilder b(options(*named_plan("pro")));
    b.add_sample(stale);
    b.add_history(request(kNow - 30min, 9500, 0, 1.0));
    LimitsReport r = b.finish();
    EXPECT_EQ(r.five_hour.used_provenance, Provenance::kPlan);
    EXPECT_EQ(r.five_hour.source, "pro");
    // 9,500 of 19,000 tokens (50 %) beats $1 of $18.
    EXPECT_DOUBLE_EQ(*r.five_hour.used_percent, 50.0);
    EXPECT_EQ(r.five_hour.reset_provenance, Provenance::kEstimate);
    EXPECT_EQ(*r.five_hour.start, at("2026-03-10T11:00:00Z"));  // ccusage's block: floored hour
    EXPECT_EQ(*r.five_hour.resets_at, at("2026-03-10T16:00:00Z"));
  }
  {
    LimitsBuilder b(options());
    b.add_sample(stale);
    b.add_history(request(kNow - 30min, 9500, 0, 1.0));
    LimitsReport r = b.finish();
    EXPECT_EQ(r.five_hour.used_provenance, Provenance::kEstimate);
    EXPECT_EQ(r.five_hour.source, "default");  // no past blocks: the 19,000 floor
    EXPECT_EQ(*r.five_hour.token_limit, 19'000);
    bool noted = false;
    for (const std::string& n : r.notes) {
      noted = noted || n.find("5-hour reading has passed its reset") != std::string::npos;
    }
    EXPECT_TRUE(noted);
  }
}

TEST(LimitsTest, TranscriptLimitHitIsOfficialUntilItsReset) {
  LimitsBuilder b(options());
  b.add_sample(sample(kNow - 1h, "transcript", "five_hour", std::nullopt, kNow + 30min));
  LimitsReport r = b.finish();
  EXPECT_EQ(r.five_hour.used_provenance, Provenance::kOfficial);
  EXPECT_TRUE(r.five_hour.limit_hit);
  EXPECT_DOUBLE_EQ(*r.five_hour.used_percent, 100.0);
  EXPECT_EQ(*r.five_hour.exhausted_at, kNow);
  // A newer reading with a percentage wins over the hit.
  LimitsBuilder later(options());
  later.add_sample(sample(kNow - 1h, "transcript", "five_hour", std::nullopt, kNow + 30min));
  later.add_sample(sample(kNow - 1min, "statusline", "five_hour", 12.0, kNow + 4h));
  EXPECT_DOUBLE_EQ(*later.finish().five_hour.used_percent, 12.0);
}

TEST(LimitsTest, P90OfPastBlocksFollowsClaudeCodeUsageMonitor) {
  LimitsBuilder b(options());
  // Ten completed blocks, one per day, of 20k..110k input+output tokens: all are "limit hits"
  // (>= 95 % of 19,000). Python's statistics.quantiles(n=10)[8] of 20k..110k step 10k is
  // 109,000.
  for (int i = 0; i < 10; ++i) {
    b.add_history(request(kNow - std::chrono::days(10 - i), 10'000 * (i + 2), 0, 1.0));
  }
  // Blocks under 18,050 tokens are not hits and do not count while hits exist.
  b.add_history(request(kNow - std::chrono::days(12), 500, 0, 1.0));
  b.add_history(request(kNow - 1h, 54'000, 0, 1.0));
  LimitsReport r = b.finish();
  EXPECT_EQ(r.five_hour.used_provenance, Provenance::kEstimate);
  EXPECT_EQ(r.five_hour.source, "p90");
  EXPECT_EQ(*r.five_hour.token_limit, 109'000);
  EXPECT_DOUBLE_EQ(*r.five_hour.used_percent, 100.0 * 54'000 / 109'000);
}

TEST(LimitsTest, BurnRateProjectionAndSustainableRate) {
  LimitsBuilder b(options());
  // Official: 50 % used, 2 hours to the reset; locally $10 spent in the window, $3 of it in
  // the last ten minutes.
  b.add_sample(sample(kNow - 1min, "statusline", "five_hour", 50.0, kNow + 2h));
  b.add_history(request(kNow - 2h, 0, 1000, 7.0));
  b.add_history(request(kNow - 5min, 0, 1000, 3.0));
  b.add_recent(request(kNow - 5min, 0, 1000, 3.0));
  b.add_recent(request(kNow - 20min, 0, 1000, 100.0));  // outside the recent interval
  LimitsReport r = b.finish();
  const WindowState& w = r.five_hour;
  EXPECT_DOUBLE_EQ(w.recent_rate.cost_per_hour_usd, 18.0);  // $3 in 10 minutes
  EXPECT_DOUBLE_EQ(w.window_rate.cost_per_hour_usd, 10.0 / 3.0);
  // 50 % for $10: 5 % per dollar; $18/h is 90 %/h; the other 50 % last 33 minutes 20 s.
  EXPECT_DOUBLE_EQ(*w.recent_rate.percent_per_hour, 90.0);
  ASSERT_TRUE(w.exhausted_at);
  EXPECT_EQ(*w.exhausted_at, kNow + 2000s);
  EXPECT_DOUBLE_EQ(*w.sustainable_percent_per_hour, 25.0);
  EXPECT_DOUBLE_EQ(*w.sustainable_cost_per_hour_usd, 5.0);
}

TEST(LimitsTest, SlowUseLastsUntilTheReset) {
  LimitsBuilder b(options());
  b.add_sample(sample(kNow - 1min, "statusline", "five_hour", 10.0, kNow + 1h));
  b.add_history(request(kNow - 3h, 0, 1000, 1.0));
  LimitsReport r = b.finish();
  EXPECT_FALSE(r.five_hour.exhausted_at);
  EXPECT_DOUBLE_EQ(*r.five_hour.sustainable_percent_per_hour, 90.0);
}

TEST(LimitsTest, WeeklyWindowFollowsTheScheduleOfAnOldOfficialReset) {
  LimitsBuilder b(options());
  // The last official weekly reading reset three weeks and a day ago at 09:00.
  Instant old_reset = at("2026-02-16T09:00:00Z");
  b.add_sample(sample(old_reset - 24h, "statusline", "seven_day", 70.0, old_reset));
  b.add_history(request(kNow - 1h, 100, 100, 1.0));
  LimitsReport r = b.finish();
  EXPECT_EQ(r.seven_day.reset_provenance, Provenance::kEstimate);
  EXPECT_EQ(*r.seven_day.resets_at, at("2026-03-16T09:00:00Z"));
  EXPECT_NE(r.seven_day.used_provenance, Provenance::kOfficial);
}

TEST(LimitsTest, WeeklyEstimateNeedsTwoWeeksOfHistory) {
  {
    LimitsBuilder b(options());
    b.add_history(request(kNow - 1h, 100, 100, 1.0));
    LimitsReport r = b.finish();
    EXPECT_FALSE(r.seven_day.used_percent);
    EXPECT_EQ(*r.seven_day.start, kNow - std::chrono::days(7));
    EXPECT_EQ(r.seven_day.cost, 1'000'000'000);
  }
  {
    LimitsBuilder b(options());
    b.add_history(request(kNow - std::chrono::days(10), 1000, 0, 1.0));
    b.add_history(request(kNow - std::chrono::days(17), 3000, 0, 1.0));
    b.add_history(request(kNow - 1h, 1000, 0, 1.0));
    LimitsReport r = b.finish();
    EXPECT_EQ(r.seven_day.used_provenance, Provenance::kEstimate);
    EXPECT_EQ(*r.seven_day.token_limit, 2800);  // numpy percentile 90 of {1000, 3000}
  }
}

TEST(LimitsTest, CustomBudgetsAndPlanNames) {
  EXPECT_FALSE(named_plan("enterprise"));
  EXPECT_EQ(*named_plan("max20")->tokens_5h, 220'000);
  PlanLimits custom;
  custom.name = "custom";
  custom.cost_7d = 100'000'000'000;  // $100 a week
  LimitsBuilder b(options(custom));
  b.add_history(request(kNow - 3h, 10, 10, 25.0));
  LimitsReport r = b.finish();
  EXPECT_EQ(r.seven_day.used_provenance, Provenance::kPlan);
  EXPECT_DOUBLE_EQ(*r.seven_day.used_percent, 25.0);
}

TEST(LimitsTest, HistoryNeededIsShortOnlyWhenBothWindowsAreOfficial) {
  LimitsBuilder b(options());
  EXPECT_EQ(b.history_needed_from(), kNow - std::chrono::weeks(8));
  EXPECT_FALSE(b.window_starts());
  b.add_sample(sample(kNow - 1min, "statusline", "five_hour", 10.0, kNow + 1h));
  EXPECT_EQ(b.history_needed_from(), kNow - std::chrono::weeks(8));
  EXPECT_FALSE(b.window_starts());
  b.add_sample(sample(kNow - 1min, "statusline", "seven_day", 10.0, kNow + 48h));
  EXPECT_EQ(b.history_needed_from(), kNow + 48h - std::chrono::days(7));
  ASSERT_TRUE(b.window_starts());
  EXPECT_EQ(b.window_starts()->first, kNow + 1h - 5h);
  EXPECT_EQ(b.window_starts()->second, kNow + 48h - std::chrono::days(7));

  // A plan budget covers a window without telling where it starts: rows are needed.
  LimitsBuilder plan(options(*named_plan("max5")));
  plan.add_sample(sample(kNow - 1min, "statusline", "seven_day", 10.0, kNow + 48h));
  EXPECT_FALSE(plan.window_starts());
  // A reading without its reset neither.
  LimitsBuilder no_reset(options());
  no_reset.add_sample(sample(kNow - 1min, "statusline", "five_hour", 10.0, std::nullopt));
  no_reset.add_sample(sample(kNow - 1min, "statusline", "seven_day", 10.0, kNow + 48h));
  EXPECT_FALSE(no_reset.window_starts());
}

TEST(LimitsTest, WindowSumsGiveTheSameReportAsTheRows) {
  std::vector<RequestRow> rows;
  for (int i = 0; i < 200; ++i) {
    rows.push_back(request(kNow - std::chrono::minutes(i * 53 % 12'000), 100 + i, 300 + 7 * i,
                           0.01 * (i % 17 + 1)));
  }
  auto with = [&](LimitsBuilder& b) {
    b.add_sample(sample(kNow - 2min, "statusline", "five_hour", 37.5, kNow + 2h + 7min));
    b.add_sample(sample(kNow - 2min, "statusline", "seven_day", 12.0, kNow + 75h + 11min));
    for (const RequestRow& r : rows) {
      if (kNow - r.instant <= 10min) b.add_recent(r);
    }
  };
  LimitsBuilder by_rows(options());
  with(by_rows);
  for (const RequestRow& r : rows) by_rows.add_history(r);
  LimitsBuilder by_sums(options());
  with(by_sums);
  auto starts = by_sums.window_starts();
  ASSERT_TRUE(starts);
  for (Instant start : {starts->first, starts->second}) {
    RequestRow sum;
    sum.count = 0;
    for (const RequestRow& r : rows) {
      if (r.instant >= start && r.instant <= kNow) {
        sum.tokens += r.tokens;
        sum.computed_cost += r.computed_cost;
        sum.count += r.count;
      }
    }
    by_sums.add_window_usage(start, sum);
  }
  LimitsReport a = by_rows.finish();
  LimitsReport b = by_sums.finish();
  for (auto [x, y] : {std::pair{&a.five_hour, &b.five_hour}, {&a.seven_day, &b.seven_day}}) {
    EXPECT_GT(x->requests, 0);
    EXPECT_EQ(x->requests, y->requests);
    EXPECT_EQ(x->tokens, y->tokens);
    EXPECT_EQ(x->cost, y->cost);
    EXPECT_EQ(x->start, y->start);
    EXPECT_EQ(x->exhausted_at, y->exhausted_at);
    EXPECT_EQ(x->sustainable_cost_per_hour_usd, y->sustainable_cost_per_hour_usd);
    EXPECT_EQ(x->recent_rate.percent_per_hour, y->recent_rate.percent_per_hour);
  }
  EXPECT_LT(a.five_hour.requests, a.seven_day.requests);
}

TEST(LimitsTest, FutureSamplesAndRowsAreIgnored) {
  LimitsBuilder b(options());
  b.add_sample(sample(kNow + 1h, "statusline", "five_hour", 99.0, kNow + 3h));
  b.add_history(request(kNow + 1h, 100, 100, 5.0));
  LimitsReport r = b.finish();
  EXPECT_NE(r.five_hour.used_provenance, Provenance::kOfficial);
  EXPECT_EQ(r.seven_day.cost, 0);
}

}  // namespace
}  // namespace ccgauge::analytics

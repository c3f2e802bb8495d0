// read_limits against a real ledger: the two window sums it reads when both windows are
// official give the report the rollup rows give.

#include "ledger/limits_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/support/temp_dir.h"

namespace ccgauge::ledger {
namespace {

using namespace std::chrono_literals;
using ccgauge::testing::TempDir;

TEST(LimitsReader, WindowSumsEqualTheRollupRowsTheyReplace) {
  TempDir dir;
  auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger) << ledger.error().message;
  const Instant now = from_epoch_ms(1'773'144'000'000);  // 2026-03-10T12:00:00Z
  IngestBatch batch;
  // Nine days of requests at uneven times, two models and two projects, so that rollup rows
  // straddle both window starts.
  std::uint64_t x = 12345;
  for (int i = 0; i < 1500; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    SourcedRecord r;
    r.record.message_id = "m" + std::to_string(i);
    r.record.request_id = "r" + std::to_string(i);
    r.record.session_id = "s" + std::to_string(i % 7);
    r.record.project = i % 3 == 0 ? "/home/a/p" : "/home/a/q";
    r.record.model = i % 2 == 0 ? "claude-sonnet-4-5" : "claude-opus-4-6";
    r.record.instant = now - std::chrono::milliseconds(static_cast<std::int64_t>(
                                 (x >> 11) % (9ULL * 86'400'000)));
    r.record.tokens = TokenCounts{static_cast<std::int64_t>(x % 500), 100 + i, 10, 0, 5000, 0, 0};
    batch.records.push_back(std::move(r));
  }
  const std::int64_t now_s = to_epoch_ms(now) / 1000;
  // Resets off the quarter hours, as the status line hands them.
  batch.limit_samples.push_back(
      {now - 2min, "statusline", "five_hour", 37.5, now_s + 2 * 3600 + 7 * 60 + 13, "s0"});
  batch.limit_samples.push_back(
      {now - 2min, "statusline", "seven_day", 12.0, now_s + 3 * 86'400 + 5 * 3600 + 11, "s0"});
  ASSERT_TRUE(ledger->commit(batch));
  ASSERT_TRUE(ledger->end_bulk_load());

  LimitsQuery q;
  q.now = now;
  auto by_sums = read_limits(*ledger, q);
  ASSERT_TRUE(by_sums) << by_sums.error().message;

  // The same report from every rollup row and every recent request.
  analytics::LimitsOptions options;
  options.now = now;
  analytics::LimitsBuilder b(options);
  auto samples = ledger->latest_limit_samples(now - std::chrono::days(7));
  ASSERT_TRUE(samples);
  for (const LimitSample& s : *samples) {
    b.add_sample(s);
  }
  ASSERT_TRUE(ledger->for_each_rollup({}, analytics::CostMode::kAuto,
                                      [&](const analytics::RequestRow& row) {
                                        b.add_history(row);
                                      }));
  auto recent = ledger->sum_requests(now - options.recent, now);
  ASSERT_TRUE(recent);
  b.add_recent(*recent);
  analytics::LimitsReport by_rows = b.finish();

  for (auto [x, y] : {std::pair{&by_rows.five_hour, &by_sums->five_hour},
                      {&by_rows.seven_day, &by_sums->seven_day}}) {
    SCOPED_TRACE(x->window);
    EXPECT_EQ(y->used_provenance, analytics::Provenance::kOfficial);
    EXPECT_GT(x->requests, 10);
    EXPECT_EQ(x->requests, y->requests);
    EXPECT_EQ(x->tokens, y->tokens);
    EXPECT_EQ(x->cost, y->cost);
    EXPECT_EQ(x->start, y->start);
    EXPECT_EQ(x->resets_at, y->resets_at);
    EXPECT_EQ(x->exhausted_at, y->exhausted_at);
    EXPECT_EQ(x->window_rate.cost_per_hour_usd, y->window_rate.cost_per_hour_usd);
    EXPECT_EQ(x->recent_rate.percent_per_hour, y->recent_rate.percent_per_hour);
  }
  EXPECT_LT(by_sums->five_hour.requests, by_sums->seven_day.requests);
  EXPECT_LT(by_sums->seven_day.requests, 1500);
}

}  // namespace
}  // namespace ccgauge::ledger

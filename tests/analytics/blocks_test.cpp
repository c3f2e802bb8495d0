#include "analytics/blocks.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace ccgauge::analytics {
namespace {

constexpr std::string_view kSonnet = "claude-sonnet-4-5-20250929";
constexpr std::string_view kOpus = "claude-opus-4-1-20250805";

Instant at(std::string_view iso) {
  std::optional<Instant> instant = parse_timestamp(iso);
  EXPECT_TRUE(instant.has_value()) << iso;
  return instant.value_or(Instant{});
}

// A request of `input` input and `output` output tokens that cost `cost` nanodollars.
RequestRow request(std::string_view iso, std::int64_t input = 100, std::int64_t output = 10,
                   Nanodollars cost = 1'000, std::string_view model = kSonnet) {
  RequestRow row;
  row.instant = at(iso);
  row.session_id = "s1";
  row.project = "proj";
  row.model = std::string(model);
  row.tokens.input = input;
  row.tokens.output = output;
  row.computed_cost = cost;
  return row;
}

// Long ago, so no block is active unless a test says otherwise.
BlocksOptions options_at(std::string_view now = "2030-01-01T00:00:00Z") {
  BlocksOptions options;
  options.now = at(now);
  return options;
}

BlocksReport build(const BlocksOptions& options, const std::vector<RequestRow>& rows) {
  BlocksBuilder builder(options);
  for (const RequestRow& row : rows) {
    builder.add(row);
  }
  return builder.finish();
}

std::vector<std::string> ids_of(const BlocksReport& report) {
  std::vector<std::string> ids;
  for (const Block& block : report.blocks) {
    ids.push_back(block.id);
  }
  return ids;
}

using Ids = std::vector<std::string>;

TEST(BlocksBuilderTest, OneBlockStartsAtTheUtcHourAndLastsTheSessionLength) {
  BlocksReport report = build(options_at(), {request("2026-03-02T10:55:30.250Z", 100, 10, 1'000),
                                             request("2026-03-02T12:00:00Z", 200, 20, 2'000)});
  ASSERT_EQ(report.blocks.size(), 1u);
  const Block& block = report.blocks[0];
  EXPECT_EQ(block.id, "2026-03-02T10:00:00.000Z");
  EXPECT_EQ(block.start, at("2026-03-02T10:00:00Z"));
  EXPECT_EQ(block.end, at("2026-03-02T15:00:00Z"));
  ASSERT_TRUE(block.actual_end.has_value());
  EXPECT_EQ(*block.actual_end, at("2026-03-02T12:00:00Z"));
  EXPECT_FALSE(block.active);
  EXPECT_FALSE(block.gap);
  EXPECT_EQ(block.entries, 2);
  EXPECT_EQ(block.tokens.input, 300);
  EXPECT_EQ(block.tokens.output, 30);
  EXPECT_EQ(block.cost, 3'000);
  EXPECT_EQ(block.models, (Ids{"sonnet-4-5"}));
  EXPECT_FALSE(block.burn_rate.has_value());
  EXPECT_FALSE(block.projection.has_value());
  EXPECT_FALSE(block.token_limit.has_value());
  EXPECT_FALSE(block.usage_limit_reset.has_value());
}

TEST(BlocksBuilderTest, ARowMoreThanTheLengthAfterTheStartOpensABlockWithoutAGap) {
  BlocksReport report =
      build(options_at(), {request("2026-03-02T10:30:00Z"), request("2026-03-02T14:00:00Z"),
                           request("2026-03-02T15:00:00Z"),  // exactly 5 h: still inside
                           request("2026-03-02T15:00:00.001Z")});
  EXPECT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z", "2026-03-02T15:00:00.000Z"}));
  EXPECT_EQ(report.blocks[0].entries, 3);
  EXPECT_EQ(report.blocks[1].entries, 1);
}

TEST(BlocksBuilderTest, IdleTimeLongerThanTheLengthBecomesAGapBlock) {
  BlocksReport report =
      build(options_at(), {request("2026-03-02T10:30:00Z"), request("2026-03-02T11:00:00Z"),
                           request("2026-03-02T17:20:00Z")});
  ASSERT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z", "gap-2026-03-02T16:00:00.000Z",
                                 "2026-03-02T17:00:00.000Z"}));
  const Block& gap = report.blocks[1];
  EXPECT_TRUE(gap.gap);
  EXPECT_FALSE(gap.active);
  EXPECT_EQ(gap.start, at("2026-03-02T16:00:00Z"));
  EXPECT_EQ(gap.end, at("2026-03-02T17:20:00Z"));
  EXPECT_FALSE(gap.actual_end.has_value());
  EXPECT_EQ(gap.entries, 0);
  EXPECT_EQ(gap.tokens.total(), 0);
  EXPECT_TRUE(gap.models.empty());
}

TEST(BlocksBuilderTest, IdleTimeOfExactlyTheLengthIsNoGap) {
  BlocksReport report =
      build(options_at(), {request("2026-03-02T10:00:00Z"), request("2026-03-02T15:00:00Z")});
  EXPECT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z"}));
}

TEST(BlocksBuilderTest, AGapThatStartsInsideTheNextBlocksHourSortsAfterIt) {
  // ccusage orders by start: the next block starts at 15:00, its gap at 15:30.
  BlocksReport report =
      build(options_at(), {request("2026-03-02T10:30:00Z"), request("2026-03-02T15:45:00Z")});
  EXPECT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z", "2026-03-02T15:00:00.000Z",
                                 "gap-2026-03-02T15:30:00.000Z"}));
}

TEST(BlocksBuilderTest, RowsAreSortedBeforeSplitting) {
  BlocksReport report =
      build(options_at(), {request("2026-03-02T17:20:00Z"), request("2026-03-02T10:30:00Z"),
                           request("2026-03-02T11:00:00Z")});
  EXPECT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z", "gap-2026-03-02T16:00:00.000Z",
                                 "2026-03-02T17:00:00.000Z"}));
  EXPECT_EQ(report.blocks[0].entries, 2);
}

TEST(BlocksBuilderTest, SessionLengthIsConfigurable) {
  BlocksOptions options = options_at();
  options.session_length_hours = 1.5;
  BlocksReport report =
      build(options, {request("2026-03-02T10:10:00Z"), request("2026-03-02T11:30:00Z"),
                      request("2026-03-02T11:31:00Z")});
  EXPECT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z", "2026-03-02T11:00:00.000Z"}));
  EXPECT_EQ(report.blocks[0].end, at("2026-03-02T11:30:00Z"));
}

TEST(BlocksBuilderTest, ANonPositiveSessionLengthGivesNoBlocks) {
  BlocksOptions options = options_at();
  options.session_length_hours = 0;
  EXPECT_TRUE(build(options, {request("2026-03-02T10:10:00Z")}).blocks.empty());
}

TEST(BlocksBuilderTest, ActiveNeedsRecentActivityAndAnOpenWindow) {
  std::vector<RequestRow> rows = {request("2026-03-02T10:30:00Z"), request("2026-03-02T11:00:00Z")};
  EXPECT_TRUE(build(options_at("2026-03-02T14:59:59.999Z"), rows).blocks[0].active);
  EXPECT_FALSE(build(options_at("2026-03-02T15:00:00Z"), rows).blocks[0].active);
  EXPECT_TRUE(build(options_at("2026-03-02T11:00:00Z"), rows).blocks[0].active);
}

TEST(BlocksBuilderTest, ActiveBlockHasBurnRateAndProjection) {
  RequestRow first = request("2026-03-02T10:10:00Z", 1000, 500, 10'000'000);  // $0.01
  first.tokens.cache_read = 3000;
  RequestRow second = request("2026-03-02T10:40:00Z", 2000, 1000, 20'000'000);  // $0.02
  // 239 min 40 s remain; ccusage v20 rounds that to 240 before projecting.
  BlocksReport report = build(options_at("2026-03-02T11:00:20Z"), {first, second});
  ASSERT_EQ(report.blocks.size(), 1u);
  const Block& block = report.blocks[0];
  ASSERT_TRUE(block.active);
  ASSERT_TRUE(block.burn_rate.has_value());
  EXPECT_DOUBLE_EQ(block.burn_rate->tokens_per_minute, 7500.0 / 30.0);
  EXPECT_DOUBLE_EQ(block.burn_rate->tokens_per_minute_for_indicator, 4500.0 / 30.0);
  EXPECT_NEAR(block.burn_rate->cost_per_hour_usd, 0.06, 1e-12);
  ASSERT_TRUE(block.projection.has_value());
  EXPECT_EQ(block.projection->remaining_minutes, 240);
  EXPECT_EQ(block.projection->total_tokens, 7500 + 250 * 240);
  EXPECT_DOUBLE_EQ(block.projection->total_cost_usd, 0.27);
}

TEST(BlocksBuilderTest, ProjectedCostIsRoundedToCents) {
  // $0.001 over 10 minutes, 290 minutes left: 0.001 + 0.0001 * 290 = 0.03.
  BlocksReport report =
      build(options_at("2026-03-02T10:10:00Z"), {request("2026-03-02T10:00:00Z", 10, 0, 1'000'000),
                                                 request("2026-03-02T10:10:00Z", 10, 0, 0)});
  ASSERT_TRUE(report.blocks[0].projection.has_value());
  EXPECT_DOUBLE_EQ(report.blocks[0].projection->total_cost_usd, 0.03);
  EXPECT_EQ(report.blocks[0].projection->total_tokens, 20 + 2 * 290);
}

TEST(BlocksBuilderTest, NoBurnRateWithoutTwoDistinctInstants) {
  BlocksOptions options = options_at("2026-03-02T11:00:00Z");
  BlocksReport single = build(options, {request("2026-03-02T10:10:00Z")});
  ASSERT_TRUE(single.blocks[0].active);
  EXPECT_FALSE(single.blocks[0].burn_rate.has_value());
  EXPECT_FALSE(single.blocks[0].projection.has_value());

  BlocksReport same_instant =
      build(options, {request("2026-03-02T10:10:00Z"), request("2026-03-02T10:10:00Z")});
  EXPECT_FALSE(same_instant.blocks[0].burn_rate.has_value());
}

TEST(BlocksBuilderTest, InactiveBlocksHaveNoBurnRate) {
  BlocksReport report =
      build(options_at(), {request("2026-03-02T10:10:00Z"), request("2026-03-02T10:40:00Z")});
  EXPECT_FALSE(report.blocks[0].burn_rate.has_value());
  EXPECT_FALSE(report.blocks[0].projection.has_value());
}

// Three finished blocks of 1,100 / 4,400 / 3,850 tokens, a gap, and an active one.
std::vector<RequestRow> history() {
  return {request("2026-03-01T10:00:00Z", 1000, 100), request("2026-03-01T16:00:00Z", 4000, 400),
          request("2026-03-01T22:00:00Z", 3500, 350), request("2026-03-02T09:00:00Z", 500, 50),
          request("2026-03-02T09:30:00Z", 500, 50)};
}

TEST(BlocksBuilderTest, ExplicitTokenLimitGivesEveryBlockAStatus) {
  BlocksOptions options = options_at("2026-03-02T10:00:00Z");
  options.token_limit = 4000;
  BlocksReport report = build(options, history());
  std::vector<std::string> statuses;
  std::vector<std::int64_t> projected;
  for (const Block& block : report.blocks) {
    if (block.gap) {
      EXPECT_FALSE(block.token_limit.has_value());
      continue;
    }
    ASSERT_TRUE(block.token_limit.has_value()) << block.id;
    EXPECT_EQ(block.token_limit->limit, 4000);
    statuses.push_back(block.token_limit->status);
    projected.push_back(block.token_limit->projected_usage);
  }
  // The active block projects 1,100 + 1,100/30 * 240 = 9,900 tokens.
  EXPECT_EQ(statuses, (Ids{"ok", "exceeds", "warning", "exceeds"}));
  EXPECT_EQ(projected, (std::vector<std::int64_t>{1100, 4400, 3850, 9900}));
  EXPECT_DOUBLE_EQ(report.blocks[0].token_limit->percent_used, 27.5);
}

TEST(BlocksBuilderTest, WarningIsStrictlyAboveFourFifths) {
  BlocksOptions options = options_at();
  options.token_limit = 1000;
  EXPECT_EQ(
      build(options, {request("2026-03-02T10:00:00Z", 790, 10)}).blocks[0].token_limit->status,
      "ok");
  EXPECT_EQ(
      build(options, {request("2026-03-02T10:00:00Z", 791, 10)}).blocks[0].token_limit->status,
      "warning");
  EXPECT_EQ(
      build(options, {request("2026-03-02T10:00:00Z", 990, 10)}).blocks[0].token_limit->status,
      "warning");
  EXPECT_EQ(
      build(options, {request("2026-03-02T10:00:00Z", 991, 10)}).blocks[0].token_limit->status,
      "exceeds");
}

TEST(BlocksBuilderTest, MaxTokenLimitIsTheLargestFinishedBlockEvenWithActiveOnly) {
  BlocksOptions options = options_at("2026-03-02T10:00:00Z");
  options.token_limit_max = true;
  options.active_only = true;
  BlocksReport report = build(options, history());
  ASSERT_EQ(report.blocks.size(), 1u);
  const Block& active = report.blocks[0];
  ASSERT_TRUE(active.active);
  ASSERT_TRUE(active.token_limit.has_value());
  EXPECT_EQ(active.token_limit->limit, 4400);
  EXPECT_EQ(active.token_limit->projected_usage, 9900);
  EXPECT_EQ(active.token_limit->status, "exceeds");
  EXPECT_DOUBLE_EQ(active.token_limit->percent_used, 9900.0 / 4400.0 * 100.0);
}

TEST(BlocksBuilderTest, MaxTokenLimitIgnoresActiveBlocksAndNeedsOneFinished) {
  BlocksOptions options = options_at("2026-03-02T10:00:00Z");
  options.token_limit_max = true;
  BlocksReport report = build(
      options, {request("2026-03-02T09:00:00Z", 100000, 0), request("2026-03-02T09:30:00Z", 1, 0)});
  ASSERT_EQ(report.blocks.size(), 1u);
  EXPECT_FALSE(report.blocks[0].token_limit.has_value());
}

TEST(BlocksBuilderTest, NoTokenLimitWithoutAFlag) {
  BlocksReport report = build(options_at("2026-03-02T10:00:00Z"), history());
  for (const Block& block : report.blocks) {
    EXPECT_FALSE(block.token_limit.has_value()) << block.id;
  }
}

TEST(BlocksBuilderTest, SinceAndUntilFilterOnTheLocalDateOfTheStart) {
  Result<TimeZone> new_york = TimeZone::locate("America/New_York");
  ASSERT_TRUE(new_york.has_value());
  BlocksOptions options = options_at();
  options.zone = *new_york;
  options.since = 20260302;
  // Starts 2026-03-02T02:00Z = 03-01 21:00 local, then a gap from 07:00Z (03-02 local).
  BlocksReport report =
      build(options, {request("2026-03-02T02:10:00Z"), request("2026-03-02T14:00:00Z")});
  EXPECT_EQ(ids_of(report), (Ids{"gap-2026-03-02T07:10:00.000Z", "2026-03-02T14:00:00.000Z"}));

  options.since.reset();
  options.until = 20260301;
  EXPECT_EQ(
      ids_of(build(options, {request("2026-03-02T02:10:00Z"), request("2026-03-02T14:00:00Z")})),
      (Ids{"2026-03-02T02:00:00.000Z"}));
}

TEST(BlocksBuilderTest, RecentKeepsThreeDaysAndTheActiveBlock) {
  BlocksOptions options = options_at("2026-03-05T10:00:00Z");
  options.recent_only = true;
  BlocksReport report =
      build(options, {request("2026-03-02T04:30:00Z"), request("2026-03-02T10:00:00Z"),
                      request("2026-03-05T09:00:00Z")});
  // The cutoff is 2026-03-02T10:00Z: the 04:00 block and the gap from 09:30 start before it.
  EXPECT_EQ(ids_of(report), (Ids{"2026-03-02T10:00:00.000Z", "gap-2026-03-02T15:00:00.000Z",
                                 "2026-03-05T09:00:00.000Z"}));
}

TEST(BlocksBuilderTest, RecentKeepsAnActiveBlockThatStartedLongAgo) {
  BlocksOptions options = options_at("2026-03-02T12:00:00Z");
  options.recent_only = true;
  options.session_length_hours = 24 * 5;
  BlocksReport report =
      build(options, {request("2026-02-26T10:00:00Z"), request("2026-03-02T11:00:00Z")});
  ASSERT_EQ(report.blocks.size(), 1u);
  EXPECT_TRUE(report.blocks[0].active);
}

TEST(BlocksBuilderTest, ActiveOnlyKeepsTheActiveBlock) {
  BlocksOptions options = options_at("2026-03-02T10:00:00Z");
  options.active_only = true;
  EXPECT_EQ(ids_of(build(options, history())), (Ids{"2026-03-02T09:00:00.000Z"}));
  options.now = at("2026-03-03T10:00:00Z");
  EXPECT_TRUE(build(options, history()).blocks.empty());
}

TEST(BlocksBuilderTest, DescendingOrderReversesStarts) {
  BlocksOptions options = options_at();
  options.order = Order::kDesc;
  EXPECT_EQ(
      ids_of(build(options, {request("2026-03-02T10:30:00Z"), request("2026-03-02T17:20:00Z")})),
      (Ids{"2026-03-02T17:00:00.000Z", "gap-2026-03-02T15:30:00.000Z",
           "2026-03-02T10:00:00.000Z"}));
}

TEST(BlocksBuilderTest, ModelsInTimeOrderWithoutUnnamedOnes) {
  RequestRow synthetic = request("2026-03-02T10:05:00Z", 7, 0, 0, "<synthetic>");
  RequestRow fast = request("2026-03-02T10:20:00Z", 1, 0, 0, kOpus);
  fast.speed = Speed::kFast;
  BlocksReport report =
      build(options_at(), {request("2026-03-02T10:30:00Z", 1, 0, 0, kSonnet),
                           request("2026-03-02T10:10:00Z", 1, 0, 0, kOpus), synthetic, fast,
                           request("2026-03-02T10:40:00Z", 1, 0, 0, kOpus)});
  ASSERT_EQ(report.blocks.size(), 1u);
  EXPECT_EQ(report.blocks[0].models, (Ids{"opus-4-1", "opus-4-1-fast", "sonnet-4-5"}));
  EXPECT_EQ(report.blocks[0].tokens.input, 11);
}

TEST(BlocksBuilderTest, CostFollowsTheMode) {
  RequestRow reported = request("2026-03-02T10:00:00Z", 1, 0, 100);
  reported.reported_cost = 900;
  std::vector<RequestRow> rows = {reported, request("2026-03-02T10:30:00Z", 1, 0, 50)};
  BlocksOptions options = options_at();
  EXPECT_EQ(build(options, rows).blocks[0].cost, 950);
  options.mode = CostMode::kCalculate;
  EXPECT_EQ(build(options, rows).blocks[0].cost, 150);
  options.mode = CostMode::kDisplay;
  EXPECT_EQ(build(options, rows).blocks[0].cost, 900);
}

TEST(BlocksBuilderTest, UsageLimitResetIsTheFirstHintInTimeOrder) {
  RequestRow later = request("2026-03-02T10:40:00Z");
  later.limit_reset_epoch_s = 1'772'460'000;
  RequestRow earlier = request("2026-03-02T10:20:00Z");
  earlier.limit_reset_epoch_s = 1'772'450'000;
  BlocksReport report = build(options_at(), {later, request("2026-03-02T10:10:00Z"), earlier});
  ASSERT_TRUE(report.blocks[0].usage_limit_reset.has_value());
  EXPECT_EQ(*report.blocks[0].usage_limit_reset, from_epoch_ms(1'772'450'000'000));
}

TEST(BlocksBuilderTest, MissingPricingCoversTheBlocksShown) {
  RequestRow old_unpriced = request("2026-03-01T10:00:00Z", 1, 0, 0, "old-model");
  old_unpriced.priced = false;
  RequestRow new_unpriced = request("2026-03-02T10:00:00Z", 1, 0, 0, "new-model");
  new_unpriced.priced = false;
  RequestRow synthetic = request("2026-03-02T10:01:00Z", 0, 0, 0, "<synthetic>");
  synthetic.priced = false;
  BlocksOptions options = options_at();
  EXPECT_EQ(build(options, {old_unpriced, new_unpriced, synthetic}).missing_pricing,
            (Ids{"new-model", "old-model"}));
  options.since = 20260302;
  EXPECT_EQ(build(options, {old_unpriced, new_unpriced, synthetic}).missing_pricing,
            (Ids{"new-model"}));
}

TEST(BlocksBuilderTest, NoRowsNoBlocks) {
  BlocksReport report = build(options_at(), {});
  EXPECT_TRUE(report.blocks.empty());
  EXPECT_TRUE(report.missing_pricing.empty());
}

}  // namespace
}  // namespace ccgauge::analytics

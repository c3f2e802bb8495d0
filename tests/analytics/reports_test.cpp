#include "analytics/reports.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace ccgauge::analytics {
namespace {

constexpr std::string_view kSonnet = "claude-sonnet-4-5-20250929";
constexpr std::string_view kOpus = "claude-opus-4-1-20250805";
constexpr std::string_view kHaiku = "claude-haiku-4-5-20251001";

Instant at(std::string_view iso) {
  std::optional<Instant> instant = parse_timestamp(iso);
  EXPECT_TRUE(instant.has_value()) << iso;
  return instant.value_or(Instant{});
}

TimeZone zone(std::string_view name) {
  Result<TimeZone> located = TimeZone::locate(name);
  EXPECT_TRUE(located.has_value()) << name;
  return located.value_or(TimeZone::utc());
}

// A request of `input` input and 10 output tokens that cost `cost` nanodollars.
RequestRow request(std::string_view iso, std::string_view model = kSonnet, std::int64_t input = 100,
                   Nanodollars cost = 1'000) {
  RequestRow row;
  row.instant = at(iso);
  row.session_id = "s1";
  row.project = "proj";
  row.model = std::string(model);
  row.tokens.input = input;
  row.tokens.output = 10;
  row.computed_cost = cost;
  return row;
}

PeriodReport build(const ReportOptions& options, const std::vector<RequestRow>& rows) {
  ReportBuilder builder(options);
  for (const RequestRow& row : rows) {
    builder.add(row);
  }
  return builder.finish();
}

ReportOptions options_for(PeriodKind kind) {
  ReportOptions options;
  options.kind = kind;
  return options;
}

std::vector<std::string> keys_of(const PeriodReport& report) {
  std::vector<std::string> keys;
  for (const UsageRow& row : report.rows) {
    keys.push_back(row.key);
  }
  return keys;
}

std::vector<std::string> project_keys_of(const PeriodReport& report) {
  std::vector<std::string> keys;
  for (const UsageRow& row : report.rows) {
    keys.push_back(row.project + "|" + row.key);
  }
  return keys;
}

using Keys = std::vector<std::string>;

TEST(CostUnderTest, FollowsTheMode) {
  RequestRow row = request("2026-03-02T10:00:00Z");
  row.computed_cost = 500;
  EXPECT_EQ(cost_under(row, CostMode::kAuto), 500);
  EXPECT_EQ(cost_under(row, CostMode::kCalculate), 500);
  EXPECT_EQ(cost_under(row, CostMode::kDisplay), 0);

  row.reported_cost = 700;
  EXPECT_EQ(cost_under(row, CostMode::kAuto), 700);
  EXPECT_EQ(cost_under(row, CostMode::kCalculate), 500);
  EXPECT_EQ(cost_under(row, CostMode::kDisplay), 700);
}

TEST(ReportBuilderTest, DailySumsEachUtcDate) {
  RequestRow cached = request("2026-03-02T23:59:59.999Z", kSonnet, 5, 30);
  cached.tokens.cache_read = 1000;
  cached.tokens.cache_write_5m = 200;
  PeriodReport report = build(options_for(PeriodKind::kDaily),
                              {request("2026-03-02T10:00:00Z", kSonnet, 100, 1'000), cached,
                               request("2026-03-03T00:00:00Z", kSonnet, 7, 3)});

  ASSERT_EQ(keys_of(report), (Keys{"2026-03-02", "2026-03-03"}));
  const UsageRow& day = report.rows[0];
  EXPECT_EQ(day.tokens.input, 105);
  EXPECT_EQ(day.tokens.output, 20);
  EXPECT_EQ(day.tokens.cache_read, 1000);
  EXPECT_EQ(day.tokens.cache_write_5m, 200);
  EXPECT_EQ(day.tokens.total(), 1325);
  EXPECT_EQ(day.cost, 1'030);
  EXPECT_EQ(day.requests, 2);
  EXPECT_EQ(day.first_activity, at("2026-03-02T10:00:00Z"));
  EXPECT_EQ(day.last_activity, at("2026-03-02T23:59:59.999Z"));
  EXPECT_TRUE(day.project.empty());

  EXPECT_EQ(report.totals.tokens.input, 112);
  EXPECT_EQ(report.totals.cost, 1'033);
  EXPECT_EQ(report.totals.requests, 3);
  EXPECT_FALSE(report.by_project);
}

TEST(ReportBuilderTest, DailyUsesTheLocalDateOfTheZone) {
  std::vector<RequestRow> rows = {
      request("2026-03-02T03:00:00Z"),  // New York: 2026-03-01 22:00 (EST, -5)
      request("2026-03-02T05:30:00Z"),  // New York: 2026-03-02 00:30
      request("2026-03-01T18:15:00Z"),  // Kolkata: 2026-03-01 23:45 (+5:30)
      request("2026-03-01T18:45:00Z"),  // Kolkata: 2026-03-02 00:15
  };
  ReportOptions options = options_for(PeriodKind::kDaily);

  options.zone = zone("America/New_York");
  PeriodReport new_york = build(options, rows);
  ASSERT_EQ(keys_of(new_york), (Keys{"2026-03-01", "2026-03-02"}));
  EXPECT_EQ(new_york.rows[0].requests, 3);
  EXPECT_EQ(new_york.rows[1].requests, 1);

  options.zone = zone("Asia/Kolkata");
  PeriodReport kolkata = build(options, rows);
  ASSERT_EQ(keys_of(kolkata), (Keys{"2026-03-01", "2026-03-02"}));
  EXPECT_EQ(kolkata.rows[0].requests, 1);
  EXPECT_EQ(kolkata.rows[1].requests, 3);
}

TEST(ReportBuilderTest, WeeklyStartsOnSundayByDefault) {
  // 2026-03-01 is a Sunday.
  PeriodReport report = build(options_for(PeriodKind::kWeekly),
                              {request("2026-02-28T12:00:00Z"), request("2026-03-01T12:00:00Z"),
                               request("2026-03-02T12:00:00Z"), request("2026-03-07T23:00:00Z"),
                               request("2026-03-08T00:00:00Z")});
  ASSERT_EQ(keys_of(report), (Keys{"2026-02-22", "2026-03-01", "2026-03-08"}));
  EXPECT_EQ(report.rows[0].requests, 1);
  EXPECT_EQ(report.rows[1].requests, 3);
  EXPECT_EQ(report.rows[2].requests, 1);
}

TEST(ReportBuilderTest, WeeklyCanStartOnMonday) {
  ReportOptions options = options_for(PeriodKind::kWeekly);
  options.start_of_week = std::chrono::Monday;
  PeriodReport report =
      build(options, {request("2026-03-01T12:00:00Z"), request("2026-03-02T12:00:00Z"),
                      request("2026-03-08T12:00:00Z")});
  ASSERT_EQ(keys_of(report), (Keys{"2026-02-23", "2026-03-02"}));
  EXPECT_EQ(report.rows[1].requests, 2);
}

TEST(ReportBuilderTest, WeeklyInANegativeOffsetZoneKeepsSundayInItsOwnWeek) {
  // ccusage v18 shifted these by a day in New York; the local date decides.
  ReportOptions options = options_for(PeriodKind::kWeekly);
  options.zone = zone("America/New_York");
  PeriodReport report = build(options, {request("2026-03-01T06:00:00Z"),    // Sun 01:00 local
                                        request("2026-03-01T03:00:00Z")});  // Sat 22:00 local
  EXPECT_EQ(keys_of(report), (Keys{"2026-02-22", "2026-03-01"}));
}

TEST(ReportBuilderTest, MonthlyUsesTheLocalMonth) {
  ReportOptions options = options_for(PeriodKind::kMonthly);
  std::vector<RequestRow> rows = {request("2026-02-10T12:00:00Z"), request("2026-03-01T02:00:00Z"),
                                  request("2026-03-31T12:00:00Z")};
  EXPECT_EQ(keys_of(build(options, rows)), (Keys{"2026-02", "2026-03"}));
  PeriodReport utc = build(options, rows);
  EXPECT_EQ(utc.rows[1].requests, 2);

  options.zone = zone("America/New_York");
  PeriodReport new_york = build(options, rows);
  ASSERT_EQ(keys_of(new_york), (Keys{"2026-02", "2026-03"}));
  EXPECT_EQ(new_york.rows[0].requests, 2);
}

TEST(ReportBuilderTest, HourlyUsesTheLocalHour) {
  ReportOptions options = options_for(PeriodKind::kHourly);
  std::vector<RequestRow> rows = {request("2026-03-02T08:40:00Z"), request("2026-03-02T08:59:59Z"),
                                  request("2026-03-02T09:00:00Z")};
  EXPECT_EQ(keys_of(build(options, rows)), (Keys{"2026-03-02 08:00", "2026-03-02 09:00"}));

  options.zone = zone("Asia/Kolkata");
  PeriodReport kolkata = build(options, rows);
  // 14:10, 14:29:59 and 14:30 local (+5:30): one hour.
  ASSERT_EQ(keys_of(kolkata), (Keys{"2026-03-02 14:00"}));
  EXPECT_EQ(kolkata.rows[0].requests, 3);
}

TEST(ReportBuilderTest, SinceAndUntilAreInclusiveLocalDates) {
  ReportOptions options = options_for(PeriodKind::kDaily);
  options.zone = zone("America/New_York");
  options.since = 20260302;
  options.until = 20260303;
  PeriodReport report = build(options, {
                                           request("2026-03-02T04:59:59Z"),  // 03-01 local
                                           request("2026-03-02T05:00:00Z"),  // 03-02 local
                                           request("2026-03-04T04:59:59Z"),  // 03-03 local
                                           request("2026-03-04T05:00:00Z"),  // 03-04 local
                                       });
  EXPECT_EQ(keys_of(report), (Keys{"2026-03-02", "2026-03-03"}));
  EXPECT_EQ(report.totals.requests, 2);
}

TEST(ReportBuilderTest, SinceCutsAWeekButKeepsItsLabel) {
  ReportOptions options = options_for(PeriodKind::kWeekly);
  options.since = 20260303;
  PeriodReport report =
      build(options, {request("2026-03-02T12:00:00Z"), request("2026-03-03T12:00:00Z"),
                      request("2026-03-04T12:00:00Z")});
  ASSERT_EQ(keys_of(report), (Keys{"2026-03-01"}));
  EXPECT_EQ(report.rows[0].requests, 2);
  EXPECT_EQ(report.rows[0].first_activity, at("2026-03-03T12:00:00Z"));
}

TEST(ReportBuilderTest, DescendingOrderReversesKeys) {
  ReportOptions options = options_for(PeriodKind::kDaily);
  options.order = Order::kDesc;
  PeriodReport report =
      build(options, {request("2026-03-02T12:00:00Z"), request("2026-03-04T12:00:00Z"),
                      request("2026-03-03T12:00:00Z")});
  EXPECT_EQ(keys_of(report), (Keys{"2026-03-04", "2026-03-03", "2026-03-02"}));
}

TEST(ReportBuilderTest, ByProjectGroupsAndSortsByProjectThenKey) {
  ReportOptions options = options_for(PeriodKind::kDaily);
  options.by_project = true;
  RequestRow b1 = request("2026-03-03T12:00:00Z");
  b1.project = "beta";
  RequestRow a1 = request("2026-03-03T13:00:00Z");
  a1.project = "alpha";
  RequestRow b2 = request("2026-03-02T12:00:00Z");
  b2.project = "beta";
  RequestRow a2 = request("2026-03-03T14:00:00Z");
  a2.project = "alpha";

  PeriodReport report = build(options, {b1, a1, b2, a2});
  EXPECT_TRUE(report.by_project);
  EXPECT_EQ(project_keys_of(report),
            (Keys{"alpha|2026-03-03", "beta|2026-03-02", "beta|2026-03-03"}));
  EXPECT_EQ(report.rows[0].requests, 2);
  EXPECT_EQ(report.totals.requests, 4);

  options.order = Order::kDesc;
  EXPECT_EQ(project_keys_of(build(options, {b1, a1, b2, a2})),
            (Keys{"alpha|2026-03-03", "beta|2026-03-03", "beta|2026-03-02"}));
}

TEST(ReportBuilderTest, ModelsUsedFollowTheEarliestInstantNotArrival) {
  PeriodReport report =
      build(options_for(PeriodKind::kDaily),
            {request("2026-03-02T12:00:00Z", kOpus), request("2026-03-02T13:00:00Z", kSonnet),
             request("2026-03-02T09:00:00Z", kSonnet), request("2026-03-02T10:00:00Z", kHaiku)});
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].models_used, (Keys{"sonnet-4-5", "haiku-4-5", "opus-4-1"}));
}

TEST(ReportBuilderTest, UnnamedModelsCountInTotalsButNameNothing) {
  RequestRow synthetic = request("2026-03-02T09:00:00Z", "<synthetic>", 50, 0);
  synthetic.priced = false;
  RequestRow unknown = request("2026-03-02T09:30:00Z", "", 25, 0);
  unknown.priced = false;
  PeriodReport report = build(options_for(PeriodKind::kDaily),
                              {synthetic, unknown, request("2026-03-02T10:00:00Z", kSonnet)});
  ASSERT_EQ(report.rows.size(), 1u);
  const UsageRow& day = report.rows[0];
  EXPECT_EQ(day.models_used, (Keys{"sonnet-4-5"}));
  ASSERT_EQ(day.breakdowns.size(), 1u);
  EXPECT_EQ(day.breakdowns[0].tokens.input, 100);
  EXPECT_EQ(day.tokens.input, 175);
  EXPECT_EQ(day.requests, 3);
  EXPECT_TRUE(report.missing_pricing.empty());
}

TEST(ReportBuilderTest, BreakdownsMergeDisplayNamesAndSortByCostThenName) {
  RequestRow fast = request("2026-03-02T08:00:00Z", "claude-opus-4-6", 10, 3'000);
  fast.speed = Speed::kFast;
  PeriodReport report = build(options_for(PeriodKind::kDaily),
                              {request("2026-03-02T09:00:00Z", kHaiku, 10, 2'000),
                               request("2026-03-02T10:00:00Z", "claude-sonnet-4-5", 10, 1'000),
                               request("2026-03-02T11:00:00Z", kSonnet, 10, 1'000), fast,
                               request("2026-03-02T12:00:00Z", kOpus, 10, 500),
                               request("2026-03-02T13:00:00Z", "claude-opus-4-6", 10, 2'000)});
  ASSERT_EQ(report.rows.size(), 1u);
  std::vector<std::string> names;
  std::vector<Nanodollars> costs;
  for (const ModelBreakdown& breakdown : report.rows[0].breakdowns) {
    names.push_back(breakdown.model);
    costs.push_back(breakdown.cost);
  }
  EXPECT_EQ(names, (Keys{"opus-4-6-fast", "haiku-4-5", "opus-4-6", "sonnet-4-5", "opus-4-1"}));
  EXPECT_EQ(costs, (std::vector<Nanodollars>{3'000, 2'000, 2'000, 2'000, 500}));
  EXPECT_EQ(report.rows[0].breakdowns[3].tokens.input, 20);
  EXPECT_EQ(report.rows[0].models_used,
            (Keys{"opus-4-6-fast", "haiku-4-5", "sonnet-4-5", "opus-4-1", "opus-4-6"}));
}

TEST(ReportBuilderTest, CostModesPickTheRowCost) {
  RequestRow reported = request("2026-03-02T09:00:00Z", kSonnet, 10, 1'000);
  reported.reported_cost = 5'000;
  RequestRow computed = request("2026-03-02T10:00:00Z", kSonnet, 10, 300);
  std::vector<RequestRow> rows = {reported, computed};

  ReportOptions options = options_for(PeriodKind::kDaily);
  options.mode = CostMode::kAuto;
  EXPECT_EQ(build(options, rows).totals.cost, 5'300);
  options.mode = CostMode::kCalculate;
  PeriodReport calculated = build(options, rows);
  EXPECT_EQ(calculated.totals.cost, 1'300);
  EXPECT_EQ(calculated.rows[0].cost, 1'300);
  EXPECT_EQ(calculated.rows[0].breakdowns[0].cost, 1'300);
  options.mode = CostMode::kDisplay;
  EXPECT_EQ(build(options, rows).totals.cost, 5'000);
}

TEST(ReportBuilderTest, MissingPricingListsKeptUnpricedModelsSortedOnce) {
  auto unpriced = [](std::string_view iso, std::string_view model) {
    RequestRow row = request(iso, model, 10, 0);
    row.priced = false;
    return row;
  };
  ReportOptions options = options_for(PeriodKind::kDaily);
  options.since = 20260302;
  RequestRow fast = unpriced("2026-03-02T11:00:00Z", "zeta-model");
  fast.speed = Speed::kFast;
  PeriodReport report = build(options, {unpriced("2026-03-02T09:00:00Z", "zeta-model"),
                                        unpriced("2026-03-02T10:00:00Z", "alpha-model"), fast,
                                        unpriced("2026-03-01T10:00:00Z", "filtered-out"),
                                        request("2026-03-02T12:00:00Z", kSonnet)});
  EXPECT_EQ(report.missing_pricing, (Keys{"alpha-model", "zeta-model"}));
}

TEST(ReportBuilderTest, EmptyInputGivesAnEmptyReport) {
  PeriodReport report = build(options_for(PeriodKind::kMonthly), {});
  EXPECT_EQ(report.kind, PeriodKind::kMonthly);
  EXPECT_TRUE(report.rows.empty());
  EXPECT_EQ(report.totals.requests, 0);
  EXPECT_EQ(report.totals.cost, 0);
}

// Sessions.

RequestRow session_request(std::string_view iso, std::string_view session, std::string_view project,
                           std::int64_t input = 100) {
  RequestRow row = request(iso, kSonnet, input);
  row.session_id = std::string(session);
  row.project = std::string(project);
  return row;
}

TEST(ReportBuilderTest, SessionsGroupBySessionIdWithTheEarliestRowsProject) {
  PeriodReport report = build(options_for(PeriodKind::kSession),
                              {session_request("2026-03-02T12:00:00Z", "a", "late-project"),
                               session_request("2026-03-02T09:00:00Z", "a", "early-project"),
                               session_request("2026-03-03T09:00:00Z", "b", "other"),
                               session_request("2026-03-02T15:00:00Z", "a", "late-project")});
  ASSERT_EQ(keys_of(report), (Keys{"a", "b"}));
  const UsageRow& session = report.rows[0];
  EXPECT_EQ(session.project, "early-project");
  EXPECT_EQ(session.requests, 3);
  EXPECT_EQ(session.first_activity, at("2026-03-02T09:00:00Z"));
  EXPECT_EQ(session.last_activity, at("2026-03-02T15:00:00Z"));
  EXPECT_EQ(report.rows[1].project, "other");
}

TEST(ReportBuilderTest, SessionsSortByLastActivityAndHonourOrder) {
  std::vector<RequestRow> rows = {
      session_request("2026-03-01T09:00:00Z", "started-first", "p"),
      session_request("2026-03-04T09:00:00Z", "started-first", "p"),
      session_request("2026-03-02T09:00:00Z", "started-second", "p"),
      session_request("2026-03-03T09:00:00Z", "started-third", "p"),
  };
  ReportOptions options = options_for(PeriodKind::kSession);
  EXPECT_EQ(keys_of(build(options, rows)),
            (Keys{"started-second", "started-third", "started-first"}));
  options.order = Order::kDesc;
  EXPECT_EQ(keys_of(build(options, rows)),
            (Keys{"started-first", "started-third", "started-second"}));
}

TEST(ReportBuilderTest, SessionsDropZeroTokenRowsAndIgnoreByProject) {
  RequestRow empty = session_request("2026-03-02T09:00:00Z", "empty", "p", 0);
  empty.tokens.output = 0;
  ReportOptions options = options_for(PeriodKind::kSession);
  options.by_project = true;
  PeriodReport report =
      build(options, {empty, session_request("2026-03-02T10:00:00Z", "full", "p1"),
                      session_request("2026-03-02T11:00:00Z", "full", "p2")});
  EXPECT_FALSE(report.by_project);
  ASSERT_EQ(keys_of(report), (Keys{"full"}));
  EXPECT_EQ(report.rows[0].project, "p1");
  EXPECT_EQ(report.rows[0].requests, 2);
}

TEST(ReportBuilderTest, SessionsAreTruncatedToTheDateRange) {
  ReportOptions options = options_for(PeriodKind::kSession);
  options.until = 20260302;
  PeriodReport report = build(options, {session_request("2026-03-02T09:00:00Z", "a", "p"),
                                        session_request("2026-03-03T09:00:00Z", "a", "p"),
                                        session_request("2026-03-03T10:00:00Z", "b", "p")});
  ASSERT_EQ(keys_of(report), (Keys{"a"}));
  EXPECT_EQ(report.rows[0].requests, 1);
  EXPECT_EQ(report.rows[0].last_activity, at("2026-03-02T09:00:00Z"));
}

TEST(ReportBuilderTest, BuilderMovesWithItsState) {
  ReportBuilder first(options_for(PeriodKind::kDaily));
  first.add(request("2026-03-02T09:00:00Z"));
  ReportBuilder second = std::move(first);
  second.add(request("2026-03-02T10:00:00Z"));
  PeriodReport report = second.finish();
  ASSERT_EQ(report.rows.size(), 1u);
  EXPECT_EQ(report.rows[0].requests, 2);
}

}  // namespace
}  // namespace ccgauge::analytics

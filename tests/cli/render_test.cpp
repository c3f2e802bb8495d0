#include "cli/render.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/time.h"

namespace ccgauge::cli {
namespace {

using analytics::Block;
using analytics::BlocksReport;
using analytics::ModelBreakdown;
using analytics::PeriodKind;
using analytics::PeriodReport;
using analytics::UsageRow;

Instant at(std::string_view iso) { return *parse_timestamp(iso); }

TokenCounts tokens(std::int64_t input, std::int64_t output, std::int64_t cache_5m,
                   std::int64_t cache_1h, std::int64_t cache_read) {
  TokenCounts t;
  t.input = input;
  t.output = output;
  t.cache_write_5m = cache_5m;
  t.cache_write_1h = cache_1h;
  t.cache_read = cache_read;
  return t;
}

// A row whose only model is `model`, carrying all of the row's tokens and cost.
UsageRow row(std::string key, std::string model, TokenCounts t, Nanodollars cost) {
  UsageRow r;
  r.key = std::move(key);
  r.tokens = t;
  r.cost = cost;
  r.models_used = {model};
  r.breakdowns = {ModelBreakdown{model, t, cost}};
  return r;
}

PeriodReport report_of(PeriodKind kind, std::vector<UsageRow> rows) {
  PeriodReport report;
  report.kind = kind;
  report.rows = std::move(rows);
  for (const UsageRow& r : report.rows) {
    report.totals.tokens += r.tokens;
    report.totals.cost += r.cost;
  }
  return report;
}

PeriodReport one_day() {
  return report_of(PeriodKind::kDaily,
                   {row("2026-03-02", "sonnet-4-5", tokens(1000, 200, 300, 50, 4000), 15'150'000)});
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Code points; the tables under test hold no wide characters.
std::size_t code_points(std::string_view s) {
  std::size_t count = 0;
  for (char c : s) {
    count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }
  return count;
}

// The lines of the box (from ┌ to ┘), which must all be as wide as the first.
std::vector<std::string> box_lines(const std::string& text) {
  std::vector<std::string> box;
  bool inside = false;
  for (const std::string& line : lines_of(text)) {
    inside = inside || line.rfind("┌", 0) == 0;
    if (inside) {
      box.push_back(line);
    }
    if (line.rfind("└", 0) == 0) {
      break;
    }
  }
  return box;
}

void expect_rectangular(const std::string& text) {
  std::vector<std::string> box = box_lines(text);
  ASSERT_GE(box.size(), 3u) << text;
  for (const std::string& line : box) {
    EXPECT_EQ(code_points(line), code_points(box.front())) << line << "\n" << text;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON

TEST(RenderJsonTest, DailyGolden) {
  const char* expected = R"({
  "daily": [
    {
      "date": "2026-03-02",
      "inputTokens": 1000,
      "outputTokens": 200,
      "cacheCreationTokens": 350,
      "cacheReadTokens": 4000,
      "totalTokens": 5550,
      "totalCost": 0.01515,
      "modelsUsed": [
        "sonnet-4-5"
      ],
      "modelBreakdowns": [
        {
          "modelName": "sonnet-4-5",
          "inputTokens": 1000,
          "outputTokens": 200,
          "cacheCreationTokens": 350,
          "cacheReadTokens": 4000,
          "cost": 0.01515
        }
      ]
    }
  ],
  "totals": {
    "inputTokens": 1000,
    "outputTokens": 200,
    "cacheCreationTokens": 350,
    "cacheReadTokens": 4000,
    "totalTokens": 5550,
    "totalCost": 0.01515
  }
}
)";
  EXPECT_EQ(render_period_json(one_day(), {}), expected);
}

TEST(RenderJsonTest, EmptyReportKeepsTheShape) {
  PeriodReport empty;
  EXPECT_EQ(render_period_json(empty, {}), R"({
  "daily": [],
  "totals": {
    "inputTokens": 0,
    "outputTokens": 0,
    "cacheCreationTokens": 0,
    "cacheReadTokens": 0,
    "totalTokens": 0,
    "totalCost": 0
  }
}
)");
}

TEST(RenderJsonTest, SectionAndRowKeysFollowTheKind) {
  struct Case {
    PeriodKind kind;
    std::string_view section;
    std::string_view row_key;
  };
  for (const Case& c : {Case{PeriodKind::kDaily, "\"daily\": [", "\"date\": \"k\""},
                        Case{PeriodKind::kWeekly, "\"weekly\": [", "\"week\": \"k\""},
                        Case{PeriodKind::kMonthly, "\"monthly\": [", "\"month\": \"k\""},
                        Case{PeriodKind::kHourly, "\"hourly\": [", "\"hour\": \"k\""}}) {
    std::string json =
        render_period_json(report_of(c.kind, {row("k", "opus-4-6", tokens(1, 2, 3, 0, 4), 1)}), {});
    EXPECT_TRUE(contains(json, c.section)) << json;
    EXPECT_TRUE(contains(json, c.row_key)) << json;
    EXPECT_FALSE(contains(json, "\"project\"")) << json;
  }
}

TEST(RenderJsonTest, SessionRows) {
  UsageRow session = row("abc-123", "opus-4-6", tokens(10, 20, 0, 0, 0), 2'500'000'000);
  session.project = "/home/me/app";
  session.first_activity = at("2026-03-02T03:03:51.467Z");
  session.last_activity = at("2026-03-02T05:00:00Z");
  std::string json = render_period_json(report_of(PeriodKind::kSession, {session}), {});
  EXPECT_TRUE(contains(json, R"(  "sessions": [
    {
      "sessionId": "abc-123",
      "projectPath": "/home/me/app",
      "inputTokens": 10,
      "outputTokens": 20,
      "cacheCreationTokens": 0,
      "cacheReadTokens": 0,
      "totalTokens": 30,
      "totalCost": 2.5,
      "lastActivity": "2026-03-02T05:00:00.000Z",
      "firstActivity": "2026-03-02T03:03:51.467Z",
      "modelsUsed": [)"))
      << json;
}

TEST(RenderJsonTest, ByProjectGroupsRowsInFirstSeenOrder) {
  UsageRow a1 = row("2026-03-01", "opus-4-6", tokens(1, 0, 0, 0, 0), 0);
  a1.project = "zeta";
  UsageRow b1 = row("2026-03-01", "opus-4-6", tokens(2, 0, 0, 0, 0), 0);
  b1.project = "alpha";
  UsageRow a2 = row("2026-03-02", "opus-4-6", tokens(3, 0, 0, 0, 0), 0);
  a2.project = "zeta";
  PeriodReport report = report_of(PeriodKind::kDaily, {a1, b1, a2});
  report.by_project = true;
  std::string json = render_period_json(report, {});
  EXPECT_EQ(json.rfind("{\n  \"projects\": {\n    \"zeta\": [\n      {\n", 0), 0u) << json;
  EXPECT_FALSE(contains(json, "\"daily\"")) << json;
  std::size_t zeta = json.find("\"zeta\": [");
  std::size_t alpha = json.find("\"alpha\": [");
  ASSERT_NE(alpha, std::string::npos);
  EXPECT_LT(zeta, alpha);
  // Both zeta rows sit under "zeta", before "alpha"; every row names its project, last.
  EXPECT_LT(json.find("\"date\": \"2026-03-02\""), alpha);
  EXPECT_TRUE(contains(json, "        ],\n        \"project\": \"zeta\"\n      },")) << json;
  EXPECT_TRUE(contains(json, "\"project\": \"alpha\"")) << json;
  EXPECT_TRUE(contains(json, "\n  },\n  \"totals\": {")) << json;
}

TEST(RenderJsonTest, MissingPricingIsListedLast) {
  PeriodReport report = one_day();
  EXPECT_FALSE(contains(render_period_json(report, {}), "missingPricing"));
  report.missing_pricing = {"claude-x-1", "mystery"};
  std::string json = render_period_json(report, {});
  EXPECT_TRUE(contains(json,
                       "  },\n  \"missingPricing\": [\n    \"claude-x-1\",\n    \"mystery\"\n"
                       "  ]\n}\n"))
      << json;
}

TEST(RenderJsonTest, NoCostDropsEveryCostKey) {
  RenderOptions opts;
  opts.no_cost = true;
  std::string json = render_period_json(one_day(), opts);
  EXPECT_FALSE(contains(json, "Cost")) << json;
  EXPECT_FALSE(contains(json, "\"cost\"")) << json;
  EXPECT_TRUE(contains(json, "    \"totalTokens\": 5550\n  }\n}\n")) << json;
}

TEST(RenderJsonTest, CostsAreNeverNegativeZero) {
  PeriodReport report = report_of(PeriodKind::kDaily, {row("d", "m", {}, 0)});
  std::string json = render_period_json(report, {});
  EXPECT_FALSE(contains(json, "-0")) << json;
  EXPECT_TRUE(contains(json, "\"totalCost\": 0\n")) << json;
}

Block gap_block() {
  Block gap;
  gap.id = "gap-2026-03-02T05:00:00.000Z";
  gap.start = at("2026-03-02T05:00:00Z");
  gap.end = at("2026-03-02T09:10:00Z");
  gap.gap = true;
  return gap;
}

Block active_block() {
  Block block;
  block.id = "2026-03-02T10:00:00.000Z";
  block.start = at("2026-03-02T10:00:00Z");
  block.end = at("2026-03-02T15:00:00Z");
  block.actual_end = at("2026-03-02T11:30:00.250Z");
  block.active = true;
  block.entries = 3;
  block.tokens = tokens(100, 50, 20, 5, 1000);
  block.cost = 1'250'000'000;
  block.models = {"opus-4-6", "sonnet-4-5"};
  block.burn_rate = analytics::BurnRate{13.0, 1.5, 0.75};
  block.projection = analytics::Projection{4000, 3.5, 210};
  block.token_limit = analytics::TokenLimitStatus{5000, 4000, 80.0, "warning"};
  block.usage_limit_reset = at("2026-03-02T15:00:00Z");
  return block;
}

TEST(RenderJsonTest, BlocksGolden) {
  BlocksReport report;
  report.blocks = {gap_block(), active_block()};
  EXPECT_EQ(render_blocks_json(report, {}), R"({
  "blocks": [
    {
      "id": "gap-2026-03-02T05:00:00.000Z",
      "startTime": "2026-03-02T05:00:00.000Z",
      "endTime": "2026-03-02T09:10:00.000Z",
      "actualEndTime": null,
      "isActive": false,
      "isGap": true,
      "entries": 0,
      "tokenCounts": {
        "inputTokens": 0,
        "outputTokens": 0,
        "cacheCreationInputTokens": 0,
        "cacheReadInputTokens": 0
      },
      "totalTokens": 0,
      "costUSD": 0,
      "models": [],
      "burnRate": null,
      "projection": null
    },
    {
      "id": "2026-03-02T10:00:00.000Z",
      "startTime": "2026-03-02T10:00:00.000Z",
      "endTime": "2026-03-02T15:00:00.000Z",
      "actualEndTime": "2026-03-02T11:30:00.250Z",
      "isActive": true,
      "isGap": false,
      "entries": 3,
      "tokenCounts": {
        "inputTokens": 100,
        "outputTokens": 50,
        "cacheCreationInputTokens": 25,
        "cacheReadInputTokens": 1000
      },
      "totalTokens": 1175,
      "costUSD": 1.25,
      "models": [
        "opus-4-6",
        "sonnet-4-5"
      ],
      "burnRate": {
        "tokensPerMinute": 13,
        "tokensPerMinuteForIndicator": 1.5,
        "costPerHour": 0.75
      },
      "projection": {
        "totalTokens": 4000,
        "totalCost": 3.5,
        "remainingMinutes": 210
      },
      "tokenLimitStatus": {
        "limit": 5000,
        "projectedUsage": 4000,
        "percentUsed": 80,
        "status": "warning"
      },
      "usageLimitResetTime": "2026-03-02T15:00:00.000Z"
    }
  ]
}
)");
}

TEST(RenderJsonTest, BlocksNoCostAndMissingPricing) {
  BlocksReport report;
  report.blocks = {active_block()};
  report.missing_pricing = {"mystery"};
  RenderOptions opts;
  opts.no_cost = true;
  std::string json = render_blocks_json(report, opts);
  EXPECT_FALSE(contains(json, "costUSD")) << json;
  EXPECT_FALSE(contains(json, "costPerHour")) << json;
  EXPECT_FALSE(contains(json, "totalCost")) << json;
  EXPECT_TRUE(contains(json, "\"tokensPerMinuteForIndicator\": 1.5\n      },")) << json;
  EXPECT_TRUE(contains(json, "\n  ],\n  \"missingPricing\": [\n    \"mystery\"\n  ]\n}\n")) << json;
}

TEST(RenderJsonTest, EmptyBlocks) {
  EXPECT_EQ(render_blocks_json({}, {}), "{\n  \"blocks\": []\n}\n");
}

analytics::SessionDetail detail_of_two() {
  analytics::SessionDetail detail;
  detail.session_id = "s-1";
  detail.project = "/p";
  analytics::RequestRow first;
  first.instant = at("2026-03-02T10:00:00Z");
  first.model = "claude-opus-4-6";
  first.tokens = tokens(1, 2, 3, 4, 5);
  analytics::RequestRow second = first;
  second.instant = at("2026-03-02T10:05:09.5Z");
  second.model = "claude-sonnet-4-5-20250929";
  detail.entries = {first, second};
  detail.entry_costs = {100'000'000, 20'000'000};
  detail.totals.tokens = first.tokens;
  detail.totals.tokens += second.tokens;
  detail.totals.cost = 120'000'000;
  return detail;
}

TEST(RenderJsonTest, SessionDetail) {
  analytics::SessionDetail detail = detail_of_two();
  std::string json = render_session_detail_json(&detail, {});
  EXPECT_EQ(json.rfind(R"({
  "sessionId": "s-1",
  "totalCost": 0.12,
  "totalTokens": 30,
  "entries": [
    {
      "timestamp": "2026-03-02T10:00:00.000Z",
      "inputTokens": 1,
      "outputTokens": 2,
      "cacheCreationTokens": 7,
      "cacheReadTokens": 5,
      "model": "claude-opus-4-6",
      "costUSD": 0.1
    },
    {
      "timestamp": "2026-03-02T10:05:09.500Z",)",
                       0),
            0u)
      << json;
  EXPECT_TRUE(contains(json, "\"costUSD\": 0.02\n    }\n  ]\n}\n")) << json;
}

TEST(RenderJsonTest, UnknownSessionIsNull) {
  EXPECT_EQ(render_session_detail_json(nullptr, {}), "null\n");
}

TEST(RenderJsonTest, StringsAreEscaped) {
  PeriodReport report =
      report_of(PeriodKind::kDaily, {row("d", "we\"ird\\model\n", tokens(1, 0, 0, 0, 0), 0)});
  std::string json = render_period_json(report, {});
  EXPECT_TRUE(contains(json, R"("we\"ird\\model\n")")) << json;
}

TEST(RenderJsonTest, OutputIsUtf8EvenWhenInputIsNot) {
  PeriodReport report = report_of(
      PeriodKind::kDaily, {row("d", "模型\xff-\xed\xa0\x80-\xc0\xaf", tokens(1, 0, 0, 0, 0), 0)});
  std::string json = render_period_json(report, {});
  // Valid text passes; a stray byte, a surrogate and an overlong form each become U+FFFD.
  EXPECT_TRUE(contains(json,
                       "\"模型\xEF\xBF\xBD-\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD-"
                       "\xEF\xBF\xBD\xEF\xBF\xBD\""))
      << json;
}

// ---------------------------------------------------------------------------------------------
// Tables

PeriodReport two_days() {
  UsageRow first = row("2026-03-01", "opus-4-6", tokens(1'234'567, 89'000, 1'000, 0, 12'000'000),
                       12'345'000'000);
  first.models_used = {"opus-4-6", "sonnet-4-5"};
  first.breakdowns = {
      ModelBreakdown{"opus-4-6", tokens(1'000'000, 80'000, 1'000, 0, 0), 12'000'000'000},
      ModelBreakdown{"sonnet-4-5", tokens(234'567, 9'000, 0, 0, 12'000'000), 345'000'000}};
  UsageRow second = row("2026-03-02", "sonnet-4-5", tokens(10, 20, 0, 0, 0), 4'000'000);
  return report_of(PeriodKind::kDaily, {first, second});
}

TEST(RenderTableTest, DailyTableHasBoxHeaderRowsAndTotal) {
  std::string table = render_period_table(two_days(), {});
  std::vector<std::string> lines = lines_of(table);
  ASSERT_GE(lines.size(), 10u) << table;
  EXPECT_EQ(lines[0], "Claude Code Token Usage Report - Daily");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2].rfind("┌─", 0), 0u) << table;
  EXPECT_TRUE(contains(lines[2], "┬")) << table;
  EXPECT_EQ(lines[3].rfind("│ Date ", 0), 0u) << table;
  for (std::string_view header :
       {"Models", "Input", "Output", "Cache Create", "Cache Read", "Total Tokens", "Cost (USD)"}) {
    EXPECT_TRUE(contains(lines[3], header)) << header;
  }
  EXPECT_EQ(lines[4].rfind("├─", 0), 0u) << table;
  EXPECT_TRUE(contains(lines[4], "┼")) << table;
  EXPECT_TRUE(contains(table, "1,234,567")) << table;
  EXPECT_TRUE(contains(table, "13,324,567")) << table;  // total tokens of the first day
  EXPECT_TRUE(contains(table, "$12.35")) << table;
  EXPECT_TRUE(contains(table, "$12.35 │\n")) << table;  // right-aligned against the border
  EXPECT_EQ(lines.back().rfind("└─", 0), 0u) << table;
  EXPECT_TRUE(contains(lines.back(), "┴")) << table;
  // The Total row is the last row, after a rule.
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[lines.size() - 2].rfind("│ Total ", 0), 0u) << table;
  EXPECT_EQ(lines[lines.size() - 3].rfind("├─", 0), 0u) << table;
  EXPECT_TRUE(contains(lines[lines.size() - 2], "1,234,577")) << table;
  EXPECT_TRUE(contains(lines[lines.size() - 2], "$12.35")) << table;
  expect_rectangular(table);
}

TEST(RenderTableTest, ModelsAreOneLinePerModelInsideTheCell) {
  std::string table = render_period_table(two_days(), {});
  std::vector<std::string> lines = lines_of(table);
  std::size_t opus = 0;
  for (std::size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
    if (contains(lines[line_idx], "- opus-4-6")) {
      opus = line_idx;
    }
  }
  ASSERT_NE(opus, 0u) << table;
  EXPECT_TRUE(contains(lines[opus], "│ 2026-03-01 │")) << table;
  EXPECT_TRUE(contains(lines[opus + 1], "- sonnet-4-5")) << table;
  EXPECT_EQ(lines[opus + 1].rfind("│            │", 0), 0u) << table;
}

TEST(RenderTableTest, CompactKeepsFiveColumns) {
  RenderOptions opts;
  opts.compact = true;
  std::string table = render_period_table(two_days(), opts);
  std::vector<std::string> lines = lines_of(table);
  EXPECT_TRUE(contains(lines[3], "│ Date ")) << table;
  for (std::string_view header : {"Models", "Input", "Output", "Cost (USD)"}) {
    EXPECT_TRUE(contains(lines[3], header)) << header;
  }
  for (std::string_view header : {"Cache Create", "Cache Read", "Total Tokens"}) {
    EXPECT_FALSE(contains(table, header)) << header;
  }
  // Five columns: four junctions in the top rule.
  std::size_t junctions = 0;
  for (std::size_t pos = lines[2].find("┬"); pos != std::string::npos;
       pos = lines[2].find("┬", pos + 1)) {
    ++junctions;
  }
  EXPECT_EQ(junctions, 4u) << table;
  expect_rectangular(table);
}

TEST(RenderTableTest, NoColorMeansNoEscapes) {
  PeriodReport report = two_days();
  report.missing_pricing = {"mystery"};
  RenderOptions opts;
  opts.breakdown = true;
  EXPECT_FALSE(contains(render_period_table(report, opts), "\x1b"));
  opts.color = true;
  std::string colored = render_period_table(report, opts);
  EXPECT_TRUE(contains(colored, "\x1b[36mDate\x1b[0m")) << colored;
  EXPECT_TRUE(contains(colored, "\x1b[33mTotal\x1b[0m")) << colored;
  EXPECT_TRUE(contains(colored, "\x1b[32m$0.00\x1b[0m")) << colored;
  // Colour codes do not count as width: the box stays rectangular once they are stripped.
  std::string stripped;
  for (std::size_t pos = 0; pos < colored.size(); ++pos) {
    if (colored[pos] == '\x1b') {
      pos = colored.find('m', pos);
      continue;
    }
    stripped += colored[pos];
  }
  EXPECT_EQ(stripped, render_period_table(report, RenderOptions{.breakdown = true}));
}

TEST(RenderTableTest, BreakdownAddsSubRowsWithoutRules) {
  RenderOptions opts;
  opts.breakdown = true;
  std::string table = render_period_table(two_days(), opts);
  std::vector<std::string> lines = lines_of(table);
  std::size_t sub = 0;
  for (std::size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
    if (contains(lines[line_idx], "│   └─ opus-4-6 ")) {
      sub = line_idx;
      break;
    }
  }
  ASSERT_NE(sub, 0u) << table;
  EXPECT_TRUE(contains(lines[sub], "1,000,000")) << table;
  EXPECT_TRUE(contains(lines[sub], "$12.00")) << table;
  EXPECT_TRUE(contains(lines[sub + 1], "└─ sonnet-4-5")) << table;
  EXPECT_FALSE(contains(lines[sub - 1], "┼")) << table;  // attached to its row
  expect_rectangular(table);
}

TEST(RenderTableTest, ByProjectPutsAHeaderBeforeEachProject) {
  UsageRow a = row("2026-03-01", "opus-4-6", tokens(1, 0, 0, 0, 0), 0);
  a.project = "alpha";
  UsageRow b = row("2026-03-01", "opus-4-6", tokens(2, 0, 0, 0, 0), 0);
  b.project = "a-much-longer-project-name-than-any-column-of-this-table-would-be";
  PeriodReport report = report_of(PeriodKind::kDaily, {a, b});
  report.by_project = true;
  std::string table = render_period_table(report, {});
  std::size_t alpha = table.find("│ Project: alpha ");
  std::size_t other = table.find("│ Project: a-much-longer");
  ASSERT_NE(alpha, std::string::npos) << table;
  ASSERT_NE(other, std::string::npos) << table;
  EXPECT_LT(alpha, other);
  EXPECT_TRUE(contains(table, "┴")) << table;  // rule closing the columns above a header
  expect_rectangular(table);
}

TEST(RenderTableTest, TitlesFollowTheKind) {
  struct Case {
    PeriodKind kind;
    std::string_view title;
    std::string_view first_header;
  };
  for (const Case& c : {Case{PeriodKind::kWeekly, "- Weekly\n", "│ Week "},
                        Case{PeriodKind::kMonthly, "- Monthly\n", "│ Month "},
                        Case{PeriodKind::kHourly, "- Hourly\n", "│ Hour "},
                        Case{PeriodKind::kSession, "- Sessions\n", "│ Session "}}) {
    std::string table =
        render_period_table(report_of(c.kind, {row("k", "m", tokens(1, 0, 0, 0, 0), 0)}), {});
    EXPECT_TRUE(contains(table, c.title)) << table;
    EXPECT_TRUE(contains(table, c.first_header)) << table;
  }
}

TEST(RenderTableTest, SessionTableShowsProject) {
  UsageRow session = row("abc-123", "opus-4-6", tokens(10, 20, 0, 0, 0), 0);
  session.project = "/home/me/app";
  session.last_activity = at("2026-03-02T23:30:00Z");
  RenderOptions opts;
  opts.zone = *TimeZone::locate("Asia/Tokyo");
  std::string table = render_period_table(report_of(PeriodKind::kSession, {session}), opts);
  EXPECT_TRUE(contains(table, "│ Session │ Project      │ Models ")) << table;
  EXPECT_TRUE(contains(table, "│ abc-123 │ /home/me/app │ - opus-4-6 ")) << table;
  EXPECT_TRUE(contains(table, "2026-03-03")) << table;  // last activity, local date
  expect_rectangular(table);
}

TEST(RenderTableTest, NoCostRemovesTheColumn) {
  RenderOptions opts;
  opts.no_cost = true;
  std::string table = render_period_table(two_days(), opts);
  EXPECT_FALSE(contains(table, "Cost")) << table;
  EXPECT_FALSE(contains(table, "$")) << table;
  expect_rectangular(table);
}

TEST(RenderTableTest, CostNeverShowsNegativeZero) {
  std::string table = render_period_table(
      report_of(PeriodKind::kDaily, {row("d", "m", tokens(1, 0, 0, 0, 0), -1)}), {});
  EXPECT_FALSE(contains(table, "-$")) << table;
  EXPECT_FALSE(contains(table, "$-")) << table;
  EXPECT_TRUE(contains(table,
                       "│ Total │        │     1 │      0 │            0 │          0 │"
                       "            1 │      $0.00 │\n"))
      << table;
}

TEST(RenderTableTest, MissingPricingWarningFollowsTheTable) {
  PeriodReport report = two_days();
  report.missing_pricing = {"a", "b"};
  std::string table = render_period_table(report, {});
  EXPECT_TRUE(contains(table,
                       "┘\nWarning: no price for model(s): a, b — their cost counts as "
                       "$0.\n"))
      << table;
}

TEST(RenderTableTest, EmptyReportSaysSo) {
  EXPECT_EQ(render_period_table({}, {}), "No Claude usage data found.\n");
}

TEST(RenderTableTest, WideAndHostileTextKeepsTheBox) {
  UsageRow r = row("d", "模型-4", tokens(1, 0, 0, 0, 0), 0);
  r.models_used.push_back("evil\x1b[31mred");
  std::string table = render_period_table(report_of(PeriodKind::kDaily, {r}), {});
  EXPECT_FALSE(contains(table, "\x1b")) << table;
  EXPECT_TRUE(contains(table, "- evil?[31mred")) << table;
  // "模型" is two characters but four columns: its line has two fewer code points.
  std::vector<std::string> box = box_lines(table);
  for (const std::string& line : box) {
    std::size_t expected = code_points(box.front()) - (contains(line, "模型") ? 2 : 0);
    EXPECT_EQ(code_points(line), expected) << line;
  }
}

BlocksReport three_blocks() {
  Block done;
  done.id = "2026-03-01T22:00:00.000Z";
  done.start = at("2026-03-01T22:00:00Z");
  done.end = at("2026-03-02T03:00:00Z");
  done.actual_end = at("2026-03-02T01:12:30Z");
  done.entries = 5;
  done.tokens = tokens(2000, 3000, 0, 0, 0);  // 5,000: the largest finished block
  done.cost = 2'000'000'000;
  done.models = {"opus-4-6"};
  BlocksReport report;
  report.blocks = {done, gap_block(), active_block()};
  report.blocks[2].token_limit.reset();
  return report;
}

TEST(RenderTableTest, BlocksTable) {
  RenderOptions opts;
  opts.zone = *TimeZone::locate("Asia/Tokyo");  // UTC+9, no DST
  std::string table = render_blocks_table(three_blocks(), opts);
  // Block starts in local time; without --token-limit the % column uses the largest finished
  // block, as ccusage's table does; REMAINING and PROJECTED stay with the active block.
  EXPECT_EQ(table, R"(Claude Code Token Usage Report - Session Blocks

┌──────────────────────────────┬─────────────────┬──────────────┬────────┬────────┬───────┐
│ Block Start                  │ Duration/Status │ Models       │ Tokens │      % │  Cost │
├──────────────────────────────┼─────────────────┼──────────────┼────────┼────────┼───────┤
│ 2026-03-02 07:00             │ 3h 12m          │ - opus-4-6   │  5,000 │ 100.0% │ $2.00 │
├──────────────────────────────┼─────────────────┼──────────────┼────────┼────────┼───────┤
│ 2026-03-02 14:00             │ gap             │ -            │      - │      - │     - │
├──────────────────────────────┼─────────────────┼──────────────┼────────┼────────┼───────┤
│ 2026-03-02 19:00             │ ACTIVE          │ - opus-4-6   │  1,175 │  23.5% │ $1.25 │
│                              │                 │ - sonnet-4-5 │        │        │       │
│ (assuming 5,000 token limit) │ REMAINING       │              │  3,825 │  76.5% │       │
│ (assuming current burn rate) │ PROJECTED       │              │  4,000 │  80.0% │ $3.50 │
└──────────────────────────────┴─────────────────┴──────────────┴────────┴────────┴───────┘
)");
  EXPECT_FALSE(contains(table, "Total")) << table;
  expect_rectangular(table);
}

TEST(RenderTableTest, BlocksTableUsesTheReportLimitAndDropsCost) {
  BlocksReport report = three_blocks();
  report.blocks[2].token_limit = analytics::TokenLimitStatus{1000, 4000, 400.0, "exceeds"};
  RenderOptions opts;
  opts.no_cost = true;
  std::string table = render_blocks_table(report, opts);
  EXPECT_TRUE(contains(table, "(assuming 1,000 token limit)")) << table;
  EXPECT_TRUE(contains(table, "│  5,000 │ 500.0% │\n")) << table;
  EXPECT_TRUE(contains(table, "│      0 │   0.0% │\n")) << table;  // REMAINING, over the limit
  EXPECT_FALSE(contains(table, "Cost")) << table;
  EXPECT_FALSE(contains(table, "$")) << table;
  expect_rectangular(table);
}

TEST(RenderTableTest, BlocksTableWithoutAnyLimit) {
  BlocksReport report;
  report.blocks = {active_block()};
  report.blocks[0].token_limit.reset();
  std::string table = render_blocks_table(report, {});
  EXPECT_FALSE(contains(table, "%")) << table;
  EXPECT_FALSE(contains(table, "REMAINING")) << table;
  EXPECT_TRUE(contains(table, "PROJECTED")) << table;
  expect_rectangular(table);
}

TEST(RenderTableTest, SessionDetailTable) {
  analytics::SessionDetail detail = detail_of_two();
  std::string table = render_session_detail_table(detail, {});
  EXPECT_TRUE(contains(table, "Session: s-1\nProject: /p\n")) << table;
  EXPECT_TRUE(contains(table, "│ Timestamp           │ Model ")) << table;
  EXPECT_TRUE(contains(table, "│ 2026-03-02 10:05:09 │ claude-sonnet-4-5-20250929 │")) << table;
  EXPECT_TRUE(contains(table, "$0.10 │\n")) << table;
  EXPECT_TRUE(contains(table, "│ Total ")) << table;
  EXPECT_TRUE(contains(table, "$0.12 │\n")) << table;
  expect_rectangular(table);
}

// ---------------------------------------------------------------------------------------------
// CSV

TEST(RenderCsvTest, DailyWithBreakdown) {
  RenderOptions opts;
  opts.breakdown = true;
  EXPECT_EQ(render_period_csv(two_days(), opts),
            "date,model,inputTokens,outputTokens,cacheCreationTokens,cacheReadTokens,"
            "totalTokens,costUSD\n"
            "2026-03-01,,1234567,89000,1000,12000000,13324567,12.345000\n"
            "2026-03-01,opus-4-6,1000000,80000,1000,0,1081000,12.000000\n"
            "2026-03-01,sonnet-4-5,234567,9000,0,12000000,12243567,0.345000\n"
            "2026-03-02,,10,20,0,0,30,0.004000\n"
            "2026-03-02,sonnet-4-5,10,20,0,0,30,0.004000\n");
  EXPECT_EQ(lines_of(render_period_csv(two_days(), {})).size(), 3u);
}

TEST(RenderCsvTest, QuotesFieldsThatNeedIt) {
  UsageRow r = row("2026,03", "we,ird \"model\"", tokens(1, 0, 0, 0, 0), 1'234'567'891);
  r.project = "line\nbreak";
  PeriodReport report = report_of(PeriodKind::kDaily, {r});
  report.by_project = true;
  RenderOptions opts;
  opts.breakdown = true;
  std::string csv = render_period_csv(report, opts);
  EXPECT_EQ(lines_of(csv)[0].rfind("date,project,model,", 0), 0u) << csv;
  EXPECT_TRUE(contains(csv, "\n\"2026,03\",\"line\nbreak\",,1,0,0,0,1,1.234568\n")) << csv;
  EXPECT_TRUE(contains(csv, ",\"we,ird \"\"model\"\"\",1,")) << csv;
}

TEST(RenderCsvTest, SessionsNoCostAndKinds) {
  UsageRow session = row("abc", "m", tokens(1, 2, 0, 0, 0), 5);
  session.project = "/p";
  RenderOptions opts;
  opts.no_cost = true;
  EXPECT_EQ(render_period_csv(report_of(PeriodKind::kSession, {session}), opts),
            "sessionId,project,model,inputTokens,outputTokens,cacheCreationTokens,"
            "cacheReadTokens,totalTokens\n"
            "abc,/p,,1,2,0,0,3\n");
  EXPECT_EQ(render_period_csv(report_of(PeriodKind::kMonthly, {}), {}).rfind("month,model,", 0),
            0u);
  EXPECT_EQ(render_period_csv(report_of(PeriodKind::kHourly, {}), {}).rfind("hour,model,", 0), 0u);
  EXPECT_EQ(render_period_csv(report_of(PeriodKind::kWeekly, {}), {}).rfind("week,model,", 0), 0u);
}

TEST(RenderCsvTest, NegativeCostsNeverPrintNegativeZero) {
  std::string csv = render_period_csv(report_of(PeriodKind::kDaily, {row("d", "m", {}, -400)}), {});
  EXPECT_TRUE(contains(csv, "\nd,,0,0,0,0,0,0.000000\n")) << csv;
  csv = render_period_csv(report_of(PeriodKind::kDaily, {row("d", "m", {}, -1'500)}), {});
  EXPECT_TRUE(contains(csv, ",-0.000002\n")) << csv;
}

TEST(RenderCsvTest, Blocks) {
  BlocksReport report;
  report.blocks = {gap_block(), active_block()};
  report.blocks[1].models.push_back("odd,name");
  EXPECT_EQ(render_blocks_csv(report, {}),
            "id,startTime,endTime,isActive,isGap,entries,inputTokens,outputTokens,"
            "cacheCreationTokens,cacheReadTokens,totalTokens,costUSD,models\n"
            "gap-2026-03-02T05:00:00.000Z,2026-03-02T05:00:00.000Z,2026-03-02T09:10:00.000Z,"
            "false,true,0,0,0,0,0,0,0.000000,\n"
            "2026-03-02T10:00:00.000Z,2026-03-02T10:00:00.000Z,2026-03-02T15:00:00.000Z,"
            "true,false,3,100,50,25,1000,1175,1.250000,\"opus-4-6;sonnet-4-5;odd,name\"\n");
}

}  // namespace
}  // namespace ccgauge::cli

#include "analytics/activity.h"

#include <gtest/gtest.h>

namespace ccgauge::analytics {
namespace {

ActivityItem item(std::int64_t ms, ActivityKind kind, double value, std::string tool = "",
                  std::string project = "") {
  ActivityItem i;
  i.instant = from_epoch_ms(ms);
  i.kind = kind;
  i.value = value;
  i.tool = std::move(tool);
  i.project = std::move(project);
  return i;
}

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kNov21 = 1'763'683'200'000;  // 2025-11-21T00:00:00Z

TEST(Activity, GroupsByLocalDayAndKeepsTheRange) {
  std::vector<ActivityItem> items = {
      item(kNov21 + 1000, ActivityKind::kLinesAdded, 10),
      item(kNov21 + 2000, ActivityKind::kLinesRemoved, 3),
      item(kNov21 + kDay - 1000, ActivityKind::kCommits, 1),  // 23:59:59 UTC, next day in Tokyo
      item(kNov21 + kDay + 1000, ActivityKind::kToolFailure, 1, "Read"),
      item(kNov21 + 3 * kDay, ActivityKind::kPrompt, 1),
  };
  ActivityOptions o;
  o.until = 20251122;
  ActivityReport utc = build_activity_report(items, o);
  ASSERT_EQ(utc.rows.size(), 2u);
  EXPECT_EQ(utc.rows[0].key, "2025-11-21");
  EXPECT_EQ(utc.rows[0].counts.lines_added, 10);
  EXPECT_EQ(utc.rows[0].counts.commits, 1);
  EXPECT_EQ(utc.rows[1].counts.tool_results, 1);
  EXPECT_EQ(utc.rows[1].counts.tool_failures, 1);
  EXPECT_EQ(utc.totals.prompts, 0);  // after --until
  o.zone = *TimeZone::locate("Asia/Tokyo");
  ActivityReport tokyo = build_activity_report(items, o);
  ASSERT_EQ(tokyo.rows.size(), 2u);
  EXPECT_EQ(tokyo.rows[1].key, "2025-11-22");
  EXPECT_EQ(tokyo.rows[1].counts.commits, 1);
}

TEST(Activity, ItemsWithoutAToolOrProjectHaveARowOfTheirOwn) {
  std::vector<ActivityItem> items = {item(kNov21, ActivityKind::kToolAccept, 1, "Edit", "/p"),
                                     item(kNov21, ActivityKind::kToolReject, 1, "Bash"),
                                     item(kNov21, ActivityKind::kApiError, 1)};
  ActivityOptions o;
  o.group = ActivityGroup::kTool;
  ActivityReport by_tool = build_activity_report(items, o);
  ASSERT_EQ(by_tool.rows.size(), 3u);
  EXPECT_EQ(by_tool.rows[0].key, "(none)");
  EXPECT_EQ(by_tool.rows[0].counts.api_errors, 1);
  EXPECT_EQ(by_tool.rows[2].key, "Edit");
  EXPECT_EQ(by_tool.rows[2].counts.tool_accepts, 1);
  o.group = ActivityGroup::kProject;
  ActivityReport by_project = build_activity_report(items, o);
  ASSERT_EQ(by_project.rows.size(), 2u);
  EXPECT_EQ(by_project.rows[0].key, "(unknown)");
  EXPECT_EQ(by_project.totals.tool_rejects, 1);
  EXPECT_EQ(parse_activity_group("host"), ActivityGroup::kHost);
  EXPECT_EQ(parse_activity_group("week"), std::nullopt);
}

}  // namespace
}  // namespace ccgauge::analytics

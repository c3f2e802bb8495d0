#pragma once
// Helpers shared by render_json.cpp, render_table.cpp and render_csv.cpp. Private to src/cli: the
// contract is render.h; this header may change with the renderers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analytics/reports.h"
#include "core/json_writer.h"
#include "core/types.h"

namespace ccgauge::cli::detail {

// USD for JSON: nanodollars / 1e9. The division is correctly rounded, so a cost prints in its
// shortest form (0.01515, not 0.015150000000000002); 0 is never negative.
inline double usd(Nanodollars cost) { return static_cast<double>(cost) / 1e9; }

// 1234567 -> "1,234,567".
inline std::string thousands(std::int64_t n) {
  std::uint64_t magnitude =
      n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

// The writer's JSON and a final newline, as the CLI prints it and the API serves it.
inline std::string finish(JsonWriter& w) {
  std::string out = w.take();
  out += '\n';
  return out;
}

// How each period kind names itself in JSON, CSV and tables.
struct PeriodNames {
  std::string_view section;  // JSON array key: "daily"
  std::string_view row_key;  // JSON/CSV key of UsageRow::key: "date"
  std::string_view title;    // table title suffix: "Daily"
  std::string_view column;   // table header of the key column: "Date"
};

inline PeriodNames period_names(analytics::PeriodKind kind) {
  switch (kind) {
    case analytics::PeriodKind::kDaily: return {"daily", "date", "Daily", "Date"};
    case analytics::PeriodKind::kWeekly: return {"weekly", "week", "Weekly", "Week"};
    case analytics::PeriodKind::kMonthly: return {"monthly", "month", "Monthly", "Month"};
    case analytics::PeriodKind::kHourly: return {"hourly", "hour", "Hourly", "Hour"};
    case analytics::PeriodKind::kSession: return {"sessions", "sessionId", "Sessions", "Session"};
  }
  return {"daily", "date", "Daily", "Date"};
}

// The rows of one project, in report order. `project` and the pointers refer into the report,
// which must outlive the group.
struct ProjectGroup {
  std::string_view project;
  std::vector<const analytics::UsageRow*> rows;
};

// Groups rows by project; projects come in the order of their first row.
inline std::vector<ProjectGroup> group_by_project(const std::vector<analytics::UsageRow>& rows) {
  std::vector<ProjectGroup> groups;
  std::unordered_map<std::string_view, std::size_t> index;
  for (const analytics::UsageRow& row : rows) {
    auto [it, inserted] = index.try_emplace(row.project, groups.size());
    if (inserted) {
      groups.push_back(ProjectGroup{row.project, {}});
    }
    groups[it->second].rows.push_back(&row);
  }
  return groups;
}

}  // namespace ccgauge::cli::detail

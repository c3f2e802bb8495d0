#include "ledger/activity_reader.h"

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <unordered_map>

namespace ccgauge::ledger {
namespace {

using analytics::ActivityItem;
using analytics::ActivityKind;

// The filters every query shares: ?1 from, ?2 to, ?3 host, ?4 user.
std::string filters(const ActivityQuery& q) {
  std::string sql = " AND ts >= ?1 AND ts < ?2";
  if (q.host) {
    sql += " AND host = ?3";
  }
  if (q.user) {
    sql +=
        " AND (user = ?4 OR origin IN (SELECT id FROM origins WHERE user_email = ?4 OR "
        "user_account_uuid = ?4 OR user_id = ?4))";
  }
  return sql;
}

void bind_filters(Statement& stmt, const ActivityQuery& q) {
  stmt.bind(1, q.from ? to_epoch_ms(*q.from) : INT64_MIN);
  stmt.bind(2, q.to ? to_epoch_ms(*q.to) : INT64_MAX);
  if (q.host) {
    stmt.bind(3, *q.host);
  }
  if (q.user) {
    stmt.bind(4, *q.user);
  }
}

std::optional<ActivityKind> metric_kind(std::string_view name, std::string_view type,
                                        std::string_view decision) {
  if (name == "claude_code.lines_of_code.count") {
    return type == "added"     ? std::optional(ActivityKind::kLinesAdded)
           : type == "removed" ? std::optional(ActivityKind::kLinesRemoved)
                               : std::nullopt;
  }
  if (name == "claude_code.active_time.total") {
    return type == "user"  ? std::optional(ActivityKind::kActiveUser)
           : type == "cli" ? std::optional(ActivityKind::kActiveCli)
                           : std::nullopt;
  }
  if (name == "claude_code.code_edit_tool.decision") {
    return decision == "accept"   ? std::optional(ActivityKind::kEditAccept)
           : decision == "reject" ? std::optional(ActivityKind::kEditReject)
                                  : std::nullopt;
  }
  if (name == "claude_code.commit.count") {
    return ActivityKind::kCommits;
  }
  if (name == "claude_code.pull_request.count") {
    return ActivityKind::kPullRequests;
  }
  if (name == "claude_code.session.count") {
    return ActivityKind::kSessions;
  }
  return std::nullopt;
}

std::optional<ActivityKind> event_kind(std::string_view name, std::string_view decision,
                                       std::optional<bool> success) {
  if (name == "tool_decision") {
    return decision == "accept"   ? std::optional(ActivityKind::kToolAccept)
           : decision == "reject" ? std::optional(ActivityKind::kToolReject)
                                  : std::nullopt;
  }
  if (name == "tool_result") {
    return success == false ? ActivityKind::kToolFailure : ActivityKind::kToolResult;
  }
  if (name == "api_error") {
    return ActivityKind::kApiError;
  }
  if (name == "user_prompt") {
    return ActivityKind::kPrompt;
  }
  return std::nullopt;
}

// The project of each session the transcripts know, around the query's range.
Result<std::unordered_map<std::string, std::string>> session_projects(const Database& db,
                                                                      const ActivityQuery& q) {
  auto stmt = db.prepare(
      "SELECT session, project FROM requests WHERE ts >= ?1 AND ts < ?2 AND project != '' "
      "GROUP BY session");
  if (!stmt) {
    return tl::unexpected(stmt.error());
  }
  constexpr std::int64_t kDayMs = 86'400'000;
  stmt->bind(1, q.from ? to_epoch_ms(*q.from) - kDayMs : INT64_MIN);
  stmt->bind(2, q.to ? to_epoch_ms(*q.to) + kDayMs : INT64_MAX);
  std::unordered_map<std::string, std::string> out;
  if (auto s = stmt->for_each_row([&] {
        out.emplace(std::string(stmt->column_text(0)), std::string(stmt->column_text(1)));
      });
      !s) {
    return tl::unexpected(s.error());
  }
  return out;
}

}  // namespace

Result<std::vector<ActivityItem>> read_activity(const Ledger& ledger, const ActivityQuery& q) {
  const Database& db = ledger.database();
  auto projects = session_projects(db, q);
  if (!projects) {
    return tl::unexpected(projects.error());
  }
  // Columns of both queries: 0 ts, 1 name, 2 session, 3 project, 4 host, 5 user, 6 tool,
  // 7 decision, 8 repo, then 9 type and 10 value (points) or 9 success (events).
  auto points = db.prepare(
      "SELECT ts, name, session, project, host, user, "
      "coalesce(json_extract(attributes, '$.tool_name'), ''), "
      "coalesce(json_extract(attributes, '$.decision'), ''), "
      "coalesce(json_extract(attributes, '$.repo'), ''), type, value FROM metric_points "
      "WHERE name IN ('claude_code.lines_of_code.count', 'claude_code.commit.count', "
      "'claude_code.pull_request.count', 'claude_code.active_time.total', "
      "'claude_code.session.count', 'claude_code.code_edit_tool.decision')" +
      filters(q));
  auto events = db.prepare(
      "SELECT ts, name, session, project, host, user, tool, "
      "coalesce(json_extract(attributes, '$.decision'), ''), "
      "coalesce(json_extract(attributes, '$.repo'), ''), success FROM events "
      "WHERE source = 'otlp' AND name IN ('tool_decision', 'tool_result', 'api_error', "
      "'user_prompt')" +
      filters(q));
  if (!points || !events) {
    return tl::unexpected(!points ? points.error() : events.error());
  }
  std::vector<ActivityItem> items;
  auto add = [&](const Statement& row, ActivityKind kind, double value) {
    ActivityItem& item = items.emplace_back();
    item.instant = from_epoch_ms(row.column_int(0));
    item.kind = kind;
    item.value = value;
    item.project = std::string(row.column_text(3));
    if (item.project.empty()) {
      auto it = projects->find(std::string(row.column_text(2)));
      item.project = it != projects->end() ? it->second : std::string(row.column_text(8));
    }
    item.host = std::string(row.column_text(4));
    item.user = std::string(row.column_text(5));
    item.tool = std::string(row.column_text(6));
  };
  bind_filters(*points, q);
  if (auto s = points->for_each_row([&] {
        auto kind = metric_kind(points->column_text(1), points->column_text(9),
                                points->column_text(7));
        if (kind) {
          add(*points, *kind, points->column_double(10));
        }
      });
      !s) {
    return tl::unexpected(s.error());
  }
  bind_filters(*events, q);
  if (auto s = events->for_each_row([&] {
        std::optional<bool> success;
        if (!events->column_is_null(9)) {
          success = events->column_int(9) != 0;
        }
        auto kind = event_kind(events->column_text(1), events->column_text(7), success);
        if (kind) {
          add(*events, *kind, 1);
        }
      });
      !s) {
    return tl::unexpected(s.error());
  }
  return items;
}

Result<ActivityCounters> read_activity_counters(const Ledger& ledger) {
  const Database& db = ledger.database();
  ActivityCounters out;
  struct Query {
    const char* sql;
    std::vector<ActivityCounter>* rows;
  };
  const Query queries[] = {
      {"SELECT source, name, tool, count(*) FROM events WHERE source IN ('hook', 'harness') "
       "GROUP BY 1, 2, 3",
       &out.events},
      {"SELECT name, type, coalesce(json_extract(attributes, '$.decision'), ''), sum(value) "
       "FROM metric_points WHERE kind = 0 AND name IN ('claude_code.lines_of_code.count', "
       "'claude_code.commit.count', 'claude_code.pull_request.count', "
       "'claude_code.active_time.total', 'claude_code.session.count', "
       "'claude_code.code_edit_tool.decision') GROUP BY 1, 2, 3",
       &out.points},
      {"SELECT name, tool, CASE WHEN name = 'tool_decision' THEN "
       "coalesce(json_extract(attributes, '$.decision'), '') WHEN success IS NULL THEN '' WHEN "
       "success THEN 'true' ELSE 'false' END, count(*) FROM events WHERE source = 'otlp' AND "
       "name IN ('tool_decision', 'tool_result', 'api_error', 'user_prompt') GROUP BY 1, 2, 3",
       &out.otel_events},
  };
  for (const Query& q : queries) {
    auto stmt = db.prepare(q.sql);
    if (!stmt) {
      return tl::unexpected(stmt.error());
    }
    if (auto s = stmt->for_each_row([&] {
          q.rows->push_back(ActivityCounter{std::string(stmt->column_text(0)),
                                            std::string(stmt->column_text(1)),
                                            std::string(stmt->column_text(2)),
                                            stmt->column_double(3)});
        });
        !s) {
      return tl::unexpected(s.error());
    }
  }
  return out;
}

}  // namespace ccgauge::ledger

#include "cli/activity.h"

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "analytics/activity.h"
#include "cli/environment.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "ledger/activity_reader.h"
#include "ledger/ledger.h"

namespace ccgauge::cli {
namespace {

using analytics::ActivityCounts;
using analytics::ActivityGroup;

const char* group_key(ActivityGroup group) {
  switch (group) {
    case ActivityGroup::kDay:
      return "day";
    case ActivityGroup::kProject:
      return "project";
    case ActivityGroup::kTool:
      return "tool";
    case ActivityGroup::kHost:
      return "host";
    case ActivityGroup::kUser:
      return "user";
  }
  return "key";
}

void write_counts(JsonWriter& w, const ActivityCounts& c) {
  w.key("linesAdded").value(c.lines_added);
  w.key("linesRemoved").value(c.lines_removed);
  w.key("commits").value(c.commits);
  w.key("pullRequests").value(c.pull_requests);
  w.key("activeUserSeconds").value(c.active_user_seconds);
  w.key("activeCliSeconds").value(c.active_cli_seconds);
  w.key("sessions").value(c.sessions);
  w.key("editDecisions").begin_object();
  w.key("accept").value(c.edit_accepts).key("reject").value(c.edit_rejects);
  w.end_object();
  w.key("toolDecisions").begin_object();
  w.key("accept").value(c.tool_accepts).key("reject").value(c.tool_rejects);
  w.end_object();
  w.key("toolResults").value(c.tool_results);
  w.key("toolFailures").value(c.tool_failures);
  w.key("apiErrors").value(c.api_errors);
  w.key("prompts").value(c.prompts);
}

std::string number(double v) {
  return v == static_cast<double>(static_cast<long long>(v)) ? fmt::format("{}", static_cast<long long>(v))
                                                             : fmt::format("{:.1f}", v);
}

std::string minutes(double seconds) { return fmt::format("{:.0f}m", seconds / 60); }

std::vector<std::string> cells(const std::string& key, const ActivityCounts& c) {
  return {key,
          fmt::format("+{} -{}", number(c.lines_added), number(c.lines_removed)),
          number(c.commits),
          number(c.pull_requests),
          fmt::format("{} / {}", minutes(c.active_user_seconds), minutes(c.active_cli_seconds)),
          fmt::format("{} / {}", c.tool_accepts + static_cast<long long>(c.edit_accepts),
                      c.tool_rejects + static_cast<long long>(c.edit_rejects)),
          fmt::format("{} ({} failed)", c.tool_results, c.tool_failures),
          fmt::format("{}", c.api_errors),
          fmt::format("{}", c.prompts)};
}

std::string render_table(const analytics::ActivityReport& report) {
  std::string first = group_key(report.group);
  first[0] = static_cast<char>(first[0] - 'a' + 'A');
  std::vector<std::vector<std::string>> rows = {{first, "Lines", "Commits", "PRs",
                                                 "Active you/Claude", "Accept/Reject",
                                                 "Tool runs", "API errors", "Prompts"}};
  for (const analytics::ActivityRow& row : report.rows) {
    rows.push_back(cells(row.key, row.counts));
  }
  rows.push_back(cells("Total", report.totals));
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t col = 0; col < row.size(); ++col) {
      widths[col] = std::max(widths[col], row[col].size());
    }
  }
  std::string out;
  for (std::size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
    if (row_idx == 1 || row_idx + 1 == rows.size()) {
      for (std::size_t col = 0; col < widths.size(); ++col) {
        out += std::string(widths[col], '-') + (col + 1 < widths.size() ? "  " : "\n");
      }
    }
    for (std::size_t col = 0; col < widths.size(); ++col) {
      const std::string& cell = rows[row_idx][col];
      std::string pad(widths[col] - cell.size(), ' ');
      out += col == 0 ? cell + pad : pad + cell;
      out += col + 1 < widths.size() ? "  " : "\n";
    }
  }
  return out;
}

int error(std::string_view message) {
  fmt::print(stderr, "ccgauge: error: {}\n", message);
  return 1;
}

}  // namespace

Result<analytics::ActivityReport> build_activity(const ledger::Ledger& ledger,
                                                 const ActivitySelection& s) {
  ledger::ActivityQuery q;
  // Whole local days, widened so a zone change never cuts one short; the report filters.
  if (s.since) {
    q.from = s.zone.start_of_day(*s.since) - std::chrono::hours(24);
  }
  if (s.until) {
    q.to = s.zone.start_of_day(*s.until) + std::chrono::hours(48);
  }
  q.host = s.host;
  q.user = s.user;
  auto items = ledger::read_activity(ledger, q);
  if (!items) {
    return tl::unexpected(items.error());
  }
  analytics::ActivityOptions ao;
  ao.group = s.group;
  ao.zone = s.zone;
  ao.since = s.since;
  ao.until = s.until;
  return analytics::build_activity_report(*items, ao);
}

std::string render_activity_json(const analytics::ActivityReport& report) {
  JsonWriter w;
  w.begin_object();
  w.key("activity").begin_array();
  for (const analytics::ActivityRow& row : report.rows) {
    w.begin_object();
    w.key(group_key(report.group)).value(row.key);
    write_counts(w, row.counts);
    w.end_object();
  }
  w.end_array();
  w.key("totals").begin_object();
  write_counts(w, report.totals);
  w.end_object();
  w.end_object();
  return w.take() + "\n";
}

int run_activity(const ActivityCommandOptions& o) {
  auto group = analytics::parse_activity_group(o.by);
  if (!group) {
    return error(fmt::format("--by '{}' must be day, project, tool, host or user", o.by));
  }
  auto since = date_option(o.since);
  auto until = date_option(o.until);
  if (!since || !until) {
    return error((!since ? since.error() : until.error()).message);
  }
  auto zone = TimeZone::locate(o.timezone);
  if (!zone) {
    return error(zone.error().message);
  }
  auto prices = load_price_table();
  if (!prices) {
    return error(prices.error().message);
  }
  std::string path = o.ledger_path.empty() ? ledger::Ledger::default_path() : o.ledger_path;
  auto ledger = ledger::Ledger::open_reader(path, *prices);
  if (!ledger) {
    return error(ledger.error().message);
  }
  ActivitySelection selection;
  selection.since = *since;
  selection.until = *until;
  selection.zone = *zone;
  selection.group = *group;
  selection.host = o.host;
  selection.user = o.user;
  auto built = build_activity(*ledger, selection);
  if (!built) {
    return error(built.error().message);
  }
  const analytics::ActivityReport& report = *built;
  if (o.json) {
    std::fputs(render_activity_json(report).c_str(), stdout);
    return 0;
  }
  if (report.rows.empty()) {
    fmt::print(stderr,
               "No Claude Code activity found{}. It comes from OpenTelemetry: run `ccgauge serve` "
               "and set CLAUDE_CODE_ENABLE_TELEMETRY=1, OTEL_METRICS_EXPORTER=otlp, "
               "OTEL_LOGS_EXPORTER=otlp, OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318.\n",
               (o.since || o.until) ? " in that date range" : "");
    return 0;
  }
  std::fputs(render_table(report).c_str(), stdout);
  return 0;
}

}  // namespace ccgauge::cli

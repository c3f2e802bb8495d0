#pragma once
// The commands behind the command line, with their options as plain values, so they can be
// called without CLI11.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/blocks.h"
#include "analytics/reports.h"
#include "cli/environment.h"
#include "core/result.h"
#include "core/time.h"

namespace ccgauge::ledger {
class Ledger;
}  // namespace ccgauge::ledger

namespace ccgauge::cli {

enum class OutputFormat { kTable, kJson, kCsv };

struct CommonOptions {
  std::optional<std::string> since;
  std::optional<std::string> until;
  OutputFormat format = OutputFormat::kTable;
  std::string mode = "auto";
  std::string order = "asc";
  bool breakdown = false;
  std::string timezone;  // empty: $TZ, then the system's
  bool instances = false;
  std::optional<std::string> project;
  bool compact = false;
  bool no_cost = false;
  std::optional<bool> color;  // --color / --no-color; unset: NO_COLOR, FORCE_COLOR, isatty
  std::string ledger_path;    // empty: the default
  bool verbose = false;
  int threads = 0;
};

struct BlocksCommandOptions {
  bool active = false;
  bool recent = false;
  std::optional<std::string> token_limit;  // a number or "max"
  double session_length_hours = 5.0;
};

int run_period_report(analytics::PeriodKind kind, const CommonOptions& common,
                      const std::string& start_of_week, const std::optional<std::string>& session_id);
int run_blocks_report(const CommonOptions& common, const BlocksCommandOptions& blocks);
int run_doctor(const CommonOptions& common);

struct LimitsCommandOptions {
  PlanFlags plan;
  bool watch = false;
  double interval_seconds = 2.0;
  bool oauth_usage = false;  // poll Anthropic's OAuth usage endpoint (opt-in)
};

// `ccgauge limits`: the 5-hour and 7-day windows, with provenance, burn rate and projection.
int run_limits(const CommonOptions& common, const LimitsCommandOptions& limits);

struct StatusLineOptions {
  std::string ledger_path;    // empty: the default
  std::string timezone;       // empty: $TZ, then the system's
  std::optional<bool> color;  // unset: on unless NO_COLOR
  std::string format;         // --format template; empty: $CCGAUGE_STATUSLINE_FORMAT, else default
  PlanFlags plan;             // --plan; budgets come from config.json
};

// Claude Code's status line command; always exits 0 (see statusline.cpp).
int run_statusline(const StatusLineOptions& options);
// size: "20MiB", "1GiB", "500KB" or a byte count.
// `ccgauge statusline install|uninstall`: edits the user's (or a project's) settings.json.
int run_statusline_settings(bool install, const std::string& settings_path,
                            const std::string& project_dir);

// `ccgauge service install|uninstall|status`: the daemon as a systemd user service.
int run_service(const std::string& action, const std::string& listen, bool start);
// The unit file ccgauge writes (deploy/ccgauge.service filled in).
std::string render_systemd_unit(const std::string& executable, const std::string& listen,
                                const std::vector<std::pair<std::string, std::string>>& env);

int run_demo(const std::string& dir, const std::string& size, std::uint64_t seed);

// ---- Reports as values: the one code path of the CLI's reports and the daemon's REST API ----
// `ccgauge daily --json` and GET /api/v1/daily both check their options with the parse_*
// functions, build the report with build_*_report from a ledger connection, and render it with
// render.h, so they answer the same bytes for the same query. Each call only reads the ledger
// it is given (no catch-up; the CLI catches up before, the daemon continuously).

// What a period or session report shows, checked.
struct PeriodQuery {
  analytics::PeriodKind kind = analytics::PeriodKind::kDaily;
  std::optional<DateKey> since;  // inclusive, local date
  std::optional<DateKey> until;  // inclusive, local date
  analytics::CostMode mode = analytics::CostMode::kAuto;
  analytics::Order order = analytics::Order::kAsc;
  TimeZone zone = TimeZone::utc();
  bool instances = false;  // group by project (ignored for sessions)
  // Only this project: its path, its last path component, or Claude's encoded directory name.
  std::optional<std::string> project;
  std::chrono::weekday start_of_week = std::chrono::Sunday;
};

// Builds the report. Days, weeks, months and hours read the ledger's quarter-hour rollups (a
// month of history is a few thousand rows); sessions read every request in the date range.
Result<analytics::PeriodReport> build_period_report(const ledger::Ledger& ledger,
                                                    const PeriodQuery& query);

// The blocks report (`ccgauge blocks`): every request of the ledger, `project` kept as in
// PeriodQuery.
Result<analytics::BlocksReport> build_blocks_report(const ledger::Ledger& ledger,
                                                    const analytics::BlocksOptions& options,
                                                    const std::optional<std::string>& project);

// One session's requests in time order with their costs under `mode` (`session --id`); nullopt
// when the ledger has no request of that session.
Result<std::optional<analytics::SessionDetail>> build_session_detail(const ledger::Ledger& ledger,
                                                                     const std::string& session_id,
                                                                     analytics::CostMode mode);

// Option values, named as on the command line. Each error message quotes the value and says
// what is allowed, without naming the option (the caller knows whether it is a flag or a
// query parameter).
Result<analytics::CostMode> parse_cost_mode(std::string_view text);  // auto, calculate, display
Result<analytics::Order> parse_order(std::string_view text);         // asc, desc
Result<std::chrono::weekday> parse_weekday(std::string_view text);   // sunday ... saturday
// A block token limit: a positive integer, or "max" (the largest past block).
struct TokenLimit {
  std::optional<std::int64_t> tokens;
  bool max = false;
};
Result<TokenLimit> parse_token_limit(std::string_view text);

struct LiveOptions {
  std::string ledger_path;    // empty: the default
  std::string timezone;       // empty: $TZ, then the system's
  PlanFlags plan;             // --plan and budgets; else config.json
  std::optional<bool> color;  // unset: on unless NO_COLOR (full screen), off (--once)
  bool once = false;          // print one frame as text and exit
  std::string view = "current";  // current, daily, sessions, blocks, tools
  int width = 0;                 // --once: columns; 0: the terminal's, else 100
  double refresh_seconds = 2.0;  // redraw timer (clocks); data changes redraw at once
  std::string daemon_url;        // empty: $CCGAUGE_URL, else 127.0.0.1:8321
  bool no_daemon = false;        // watch the transcripts even when a daemon runs
  bool ascii = false;            // ASCII drawing even in a UTF-8 locale
  int threads = 0;
};

// `ccgauge live`: the full-screen monitor (cli/live/), or one frame with --once.
int run_live(const LiveOptions& options);

}  // namespace ccgauge::cli

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
#include "analytics/harness.h"
#include "analytics/reports.h"
#include "analytics/tools.h"
#include "cli/environment.h"
#include "core/result.h"
#include "core/time.h"

namespace ccgauge::ledger {
class Ledger;
struct EventRow;
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
  // Period reports only: requests from this host / of this user (known through OpenTelemetry).
  std::optional<std::string> host;
  std::optional<std::string> user;
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
  // Only requests from this host / of this user (known through OpenTelemetry); either makes the
  // report read every request instead of the rollups.
  std::optional<std::string> host;
  std::optional<std::string> user;
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

// --- Hooks and harness runs (hooks_commands.cpp) ------------------------------------------------

struct HookCommandOptions {
  std::string ledger_path;  // empty: the default
  bool tool_input = false;  // --tool-input: keep a summary of each tool's input (hook_event.h)
};

// `ccgauge hook`: the command Claude Code's hooks run. Reads the hook JSON on stdin, records it
// in the ledger (or, when the ledger is busy for 40 ms, in the spool), prints nothing and exits
// 0, always; a reason for anything that went wrong goes to $XDG_STATE_HOME/ccgauge/hook.log.
int run_hook(const HookCommandOptions& options);

// `ccgauge emit <event> [--task ID] ...`: one harness event, sent to the daemon at $CCGAUGE_URL
// (default http://127.0.0.1:8321; bearer $CCGAUGE_TOKEN) when it answers within 50 ms, else
// written to the ledger, else spooled. `args` are the words after "emit". Exits 0 whatever
// happens to the delivery (a harness loop must not fail over it), 2 with the usage on bad
// arguments.
int run_emit(const std::vector<std::string>& args);

enum class HooksAction { kInstall, kUninstall, kStatus };

struct HooksSettingsOptions {
  HooksAction action = HooksAction::kStatus;
  std::string settings_path;  // --settings FILE
  std::string project_dir;    // --project DIR: DIR/.claude/settings.json
  std::string events;         // --events a,b,c or "all"; empty: the recommended set
  bool tool_input = false;    // install `ccgauge hook --tool-input`
};

// `ccgauge hooks install|uninstall|status`.
int run_hooks_settings(const HooksSettingsOptions& options);

// The hook events `hooks install` registers by default: telemetry.md 3.6's monitor set plus
// PreToolUse (call durations and interrupts) and PermissionRequest (permission prompts).
const std::vector<std::string>& recommended_hook_events();

struct ToolsCommandOptions {
  std::optional<std::string> since;  // local dates, YYYYMMDD or YYYY-MM-DD
  std::optional<std::string> until;
  std::string timezone;
  bool json = false;
  std::string by = "tool";  // tool, session or project
  std::optional<std::string> project;
  std::optional<std::string> session;
  std::string ledger_path;
};

// `ccgauge tools`: tool calls, failures, durations, permission prompts, denials, interrupts.
int run_tools(const ToolsCommandOptions& options);

struct HarnessCommandOptions {
  bool json = false;
  std::optional<std::string> label;
  std::string mode = "auto";  // cost mode
  std::string ledger_path;
  int threads = 0;
};

// `ccgauge harness`: harness runs joined with their sessions' cost, success rate per label,
// cost per task. Catches up the transcripts first.
int run_harness(const HarnessCommandOptions& options);

// The JSON of `ccgauge tools --json` and `ccgauge harness --json`, which the daemon's
// /api/v1/tools and /api/v1/harness serve as well.
std::string render_tools_json(const analytics::ToolsReport& report, analytics::ToolGrouping by);
std::string render_harness_json(const analytics::HarnessReport& report);

// The tools report's selection (`ccgauge tools`, GET /api/v1/tools): whole local days of `zone`.
struct ToolsSelection {
  std::optional<DateKey> since;  // inclusive
  std::optional<DateKey> until;  // inclusive
  TimeZone zone = TimeZone::utc();
  analytics::ToolGrouping by = analytics::ToolGrouping::kTool;
  std::optional<std::string> project;
  std::optional<std::string> session;
};
// tool, session or project; the error quotes the value and says what is allowed.
Result<analytics::ToolGrouping> parse_tool_grouping(std::string_view text);
// Reads the ledger only (the CLI drains the spool first; the daemon continuously).
Result<analytics::ToolsReport> build_tools_report(const ledger::Ledger& ledger,
                                                  const ToolsSelection& selection);

// One harness event's JSON (ingest/hooks/harness_event.h) checked and turned into its events
// row, received at `now`; kInvalidInput errors say what is wrong (a 400). The daemon's POST
// /api/v1/harness (and /metrics/harness) spools the row for its ingest thread; the row's key is
// the event's event_id when it has one, so an event sent twice is recorded once.
Result<ledger::EventRow> harness_event_row(std::string_view json_text, Instant now);


}  // namespace ccgauge::cli

#pragma once
// The commands behind the command line, with their options as plain values, so they can be
// called without CLI11.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/harness.h"
#include "analytics/reports.h"
#include "analytics/tools.h"
#include "cli/environment.h"
#include "core/result.h"

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

// For the daemon's POST /api/v1/harness (and /metrics/harness): validates one harness event
// (ingest/hooks/harness_event.h) and records it; returns the stored row. kInvalidInput errors
// say what is wrong with the event (answer 400 with the message); others are the ledger's (503
// for kUnavailable, else 500). An event whose event_id was recorded before is not recorded again
// and is not an error.
Result<ledger::EventRow> record_harness_event(ledger::Ledger& ledger, std::string_view json_text,
                                              Instant now);

}  // namespace ccgauge::cli

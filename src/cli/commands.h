#pragma once
// The commands behind the command line, with their options as plain values, so they can be
// called without CLI11.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analytics/reports.h"
#include "cli/environment.h"

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

}  // namespace ccgauge::cli

#pragma once
// What the commands read from the environment: variables, ccgauge's own config directory, the
// user's price table, and "now".

#include <optional>
#include <string>
#include <vector>

#include "analytics/limits.h"
#include "core/result.h"
#include "core/types.h"
#include "pricing/price_table.h"

namespace ccgauge::cli {

// The variable's value, or `fallback` when it is unset or empty.
std::string env_or(const char* name, const std::string& fallback);

// $CCGAUGE_CONFIG_DIR, else $XDG_CONFIG_HOME/ccgauge, else ~/.config/ccgauge.
std::string ccgauge_config_dir();

// The embedded price table with the user's pricing.json (in ccgauge_config_dir()) applied.
Result<pricing::PriceTable> load_price_table();

// The plan and budgets the user configured. Each field comes from the first of: the command's
// flags, the environment (CCGAUGE_PLAN), `config.json` in ccgauge_config_dir():
//   {"plan": "max5", "limits": {"tokens_5h": 88000, "cost_5h": 35.0,
//                               "tokens_7d": 1000000, "cost_7d": 300.0}}
// A budget set on its own (without a plan name) makes the plan "custom". An unknown plan name,
// a non-positive budget or a malformed config file is an error naming what is wrong.
struct PlanFlags {
  std::optional<std::string> plan;
  std::optional<std::int64_t> tokens_5h;
  std::optional<double> cost_5h;
  std::optional<std::int64_t> tokens_7d;
  std::optional<double> cost_7d;
};
Result<analytics::PlanLimits> load_plan(const PlanFlags& flags);
// load_plan in two steps, for a caller that decides the inputs in one process and reads the
// file in another (the status line through the daemon): the flags with CCGAUGE_PLAN filled in,
// the config file's path, and the plan from those.
PlanFlags with_plan_from_environment(PlanFlags flags);
std::string plan_config_file();
Result<analytics::PlanLimits> load_plan_from(const PlanFlags& flags, const std::string& config_file);

// Claude Code's user settings file: settings.json in the first $CLAUDE_CONFIG_DIR entry, else
// ~/.claude/settings.json.
std::string claude_settings_path();

// The absolute path of the `ccgauge` command (what settings.json and the service should call):
// the launcher (launcher_main.cpp), also when called from the full command behind it.
std::string self_executable();

// The full command's file name; the launcher runs it from its own directory.
inline constexpr const char* kFullCommand = "ccgauge-cli";

// Runs the program `name` from the directory of the running binary with `args` (args[0] first);
// returns 1, having said why, only when that fails.
int exec_beside_self(const char* name, std::vector<char*> args);
// `ccgauge serve ...`: runs ccgauge-daemon with the arguments after "serve".
int exec_daemon(int argc, char** argv);

// Standard input to its end, keeping at most `max_bytes` of it; what comes after is read and
// dropped, so the writer never meets a closed pipe. `whole` is false when something was dropped.
struct StdinBytes {
  std::string bytes;
  bool whole = true;
};
StdinBytes read_stdin_bounded(std::size_t max_bytes);

// The current instant; CCGAUGE_NOW (ISO 8601) pins it for reproducible output (tests,
// screenshots).
Instant now_instant();

// Writes `text` to stdout, with a final newline if it lacks one, and flushes.
void write_stdout(std::string_view text);

}  // namespace ccgauge::cli

#include "cli/app.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/activity.h"
#include "cli/cli_options.h"
#include "cli/commands.h"
#include "cli/environment.h"
#include "cli/fast_args.h"

namespace ccgauge::cli {
namespace {

constexpr const char* kVersion = CCG_VERSION;

// Options every Claude report takes (ccusage's names, so its users' scripts keep working).
void add_common(CLI::App& cmd, CommonOptions& o, bool& json, bool& csv) {
  cmd.add_option("-s,--since", o.since,
                 "Keep usage on or after this local date (YYYYMMDD or YYYY-MM-DD)");
  cmd.add_option("-u,--until", o.until,
                 "Keep usage on or before this local date (YYYYMMDD or YYYY-MM-DD)");
  cmd.add_flag("-j,--json", json, "Print JSON in ccusage's shape");
  cmd.add_flag("--csv", csv, "Print CSV");
  cmd.add_option("-m,--mode", o.mode,
                 "Cost mode: auto (reported cost when present, else computed), calculate, display")
      ->check(CLI::IsMember({"auto", "calculate", "display"}));
  cmd.add_option("-o,--order", o.order, "Sort order: asc or desc")
      ->check(CLI::IsMember({"asc", "desc"}));
  cmd.add_flag("-b,--breakdown", o.breakdown, "Per-model rows in tables");
  cmd.add_option("-z,--timezone", o.timezone,
                 "IANA time zone for dates (default: $TZ, then the system's)");
  cmd.add_flag("-i,--instances", o.instances, "Group by project");
  cmd.add_option("-p,--project", o.project,
                 "Only this project (its path, directory name, or Claude's encoded name)");
  cmd.add_flag("--compact", o.compact, "Fewer table columns (automatic under 100 columns)");
  cmd.add_flag("--no-cost", o.no_cost, "Leave out cost");
  cmd.add_flag_callback(
      "--color", [&o] { o.color = true; }, "Colour output even when not a terminal");
  cmd.add_flag_callback(
      "--no-color", [&o] { o.color = false; }, "No colour");
  cmd.add_flag_callback(
      "-O,--offline", [] {}, "Accepted for ccusage compatibility; ccgauge never fetches prices");
  cmd.add_flag_callback(
      "--no-offline", [] {}, "Accepted for ccusage compatibility; ccgauge never fetches prices");
  cmd.add_flag(
      "--single-thread", [&o](std::int64_t) { o.threads = 1; }, "Read transcripts on one thread");
  cmd.add_option("--ledger", o.ledger_path,
                 "Ledger file (default: $XDG_DATA_HOME/ccgauge/ledger.db)");
  cmd.add_flag("-v,--verbose", o.verbose, "Name every malformed line found");
}

void finish_common(CommonOptions& o, bool json, bool csv) {
  o.format = json ? OutputFormat::kJson : (csv ? OutputFormat::kCsv : OutputFormat::kTable);
}

int run_parsed(int argc, char** argv) {
  CLI::App app{"ccgauge: what Claude Code costs you, and how close you are to your limits"};
  app.set_version_flag("-V,--version", kVersion);
  app.require_subcommand(0, 1);
  app.fallthrough(false);

  struct Period {
    const char* name;
    analytics::PeriodKind kind;
    const char* help;
  };
  const Period periods[] = {
      {"daily", analytics::PeriodKind::kDaily, "Usage and cost per day"},
      {"weekly", analytics::PeriodKind::kWeekly, "Usage and cost per week"},
      {"monthly", analytics::PeriodKind::kMonthly, "Usage and cost per month"},
      {"hourly", analytics::PeriodKind::kHourly, "Usage and cost per hour"},
      {"session", analytics::PeriodKind::kSession, "Usage and cost per session"},
  };
  struct PeriodState {
    CommonOptions common;
    bool json = false;
    bool csv = false;
    std::string start_of_week = "sunday";
    std::optional<std::string> id;
    CLI::App* cmd = nullptr;
  };
  std::vector<PeriodState> states(std::size(periods));
  for (std::size_t i = 0; i < std::size(periods); ++i) {
    PeriodState& st = states[i];
    st.cmd = app.add_subcommand(periods[i].name, periods[i].help);
    add_common(*st.cmd, st.common, st.json, st.csv);
    if (periods[i].kind == analytics::PeriodKind::kWeekly) {
      st.cmd->add_option("-w,--start-of-week", st.start_of_week, "First day of the week")
          ->check(CLI::IsMember(
              {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}));
    }
    if (periods[i].kind == analytics::PeriodKind::kSession) {
      st.cmd->add_option("--id", st.id, "Show one session's requests");
    }
    st.cmd->add_option("--host", st.common.host,
                       "Only requests from this host (host.name, as sent over OpenTelemetry)");
    st.cmd->add_option("--user", st.common.user,
                       "Only requests of this user (e-mail, account UUID or user.id, as sent over "
                       "OpenTelemetry)");
  }

  CommonOptions blocks_common;
  BlocksCommandOptions blocks_opts;
  bool blocks_json = false;
  bool blocks_csv = false;
  CLI::App* blocks = app.add_subcommand("blocks", "Usage in 5-hour billing blocks");
  add_common(*blocks, blocks_common, blocks_json, blocks_csv);
  blocks->add_flag("-a,--active", blocks_opts.active, "Only the active block, with projection");
  blocks->add_flag("-r,--recent", blocks_opts.recent,
                   "Only blocks of the last 3 days, and the active one");
  blocks->add_option("-t,--token-limit", blocks_opts.token_limit,
                     "Token limit per block: a number, or max (the largest past block)");
  blocks
      ->add_option("-n,--session-length", blocks_opts.session_length_hours, "Block length in hours")
      ->check(CLI::PositiveNumber);

  CommonOptions doctor_common;
  bool doctor_json = false;
  bool doctor_csv = false;
  CLI::App* doctor =
      app.add_subcommand("doctor", "Where data comes from, and what could not be read");
  add_common(*doctor, doctor_common, doctor_json, doctor_csv);

  CommonOptions limits_common;
  LimitsCommandOptions limits_opts;
  bool limits_json = false;
  CLI::App* limits = app.add_subcommand(
      "limits", "The 5-hour and 7-day windows: use, resets, burn rate, projection, provenance");
  limits->add_flag("-j,--json", limits_json, "Print JSON");
  limits->add_flag("-w,--watch", limits_opts.watch, "Refresh in place until Ctrl-C");
  limits->add_option("--interval", limits_opts.interval_seconds,
                     "Seconds between refreshes with --watch (default 2)");
  add_plan_options(*limits, limits_opts.plan);
  limits->add_flag("--oauth-usage", limits_opts.oauth_usage,
                   "Also ask Anthropic's usage endpoint with your Claude Code login (at most "
                   "once a minute; off by default)");
  limits->add_option("-z,--timezone", limits_common.timezone, "IANA time zone for clock times");
  limits->add_option("--ledger", limits_common.ledger_path, "Ledger file");
  limits->add_flag_callback("--color", [&limits_common] { limits_common.color = true; }, "Colour");
  limits->add_flag_callback("--no-color", [&limits_common] { limits_common.color = false; },
                            "No colour");
  limits->add_flag("-v,--verbose", limits_common.verbose, "Name every malformed line found");

  StatusLineOptions status_opts;
  CLI::App* statusline = app.add_subcommand(
      "statusline", "Claude Code's status line: reads its JSON on stdin, prints one line");
  statusline->add_option("--ledger", status_opts.ledger_path, "Ledger file");
  statusline->add_option("-z,--timezone", status_opts.timezone, "IANA time zone for \"today\"");
  statusline->add_option("--format", status_opts.format,
                         "Template with {model} {session_cost} {today_cost} {5h} {5h_reset} "
                         "{5h_provenance} {7d} {7d_reset} {7d_provenance} {burn} {ctx} "
                         "{project} {exhaust}");
  statusline->add_option("--plan", status_opts.plan.plan, "Your plan: pro, max5, max20, custom");
  statusline->add_flag_callback("--color", [&status_opts] { status_opts.color = true; }, "Colour");
  statusline->add_flag_callback("--no-color", [&status_opts] { status_opts.color = false; },
                                "No colour");

  std::string settings_path;
  std::string settings_project;
  CLI::App* sl_install = statusline->add_subcommand(
      "install", "Set ccgauge as Claude Code's status line (settings.json; backup first)");
  CLI::App* sl_uninstall =
      statusline->add_subcommand("uninstall", "Remove ccgauge's status line from settings.json");
  for (CLI::App* sub : {sl_install, sl_uninstall}) {
    sub->add_option("--settings", settings_path,
                    "The settings file (default: $CLAUDE_CONFIG_DIR or ~/.claude, settings.json)");
    sub->add_option("--project", settings_project,
                    "Edit <DIR>/.claude/settings.json (this project only) instead");
  }

  // `serve` is the ccgauge-daemon binary (run() execs it before CLI11 sees the arguments); it is
  // listed here for --help.
  app.add_subcommand("serve",
                     "The daemon: live ingestion, REST + WebSocket API, /metrics, /usage, OTLP "
                     "(see ccgauge serve --help)")
      ->allow_extras();

  std::string service_action;
  std::string service_listen = "127.0.0.1:8321";
  bool service_no_start = false;
  CLI::App* service =
      app.add_subcommand("service", "Run the daemon as a systemd user service (deploy/)");
  service->add_option("action", service_action, "install, uninstall or status")
      ->required()
      ->check(CLI::IsMember({"install", "uninstall", "status"}));
  service->add_option("--listen", service_listen, "ADDRESS:PORT for the daemon");
  service->add_flag("--no-start", service_no_start, "Write the unit but do not enable it");

  LiveOptions live_opts;
  CLI::App* live = app.add_subcommand(
      "live", "Full-screen live monitor: limits, burn rate, today, sessions, blocks, tools");
  live->add_flag("--once", live_opts.once, "Print one frame as plain text and exit");
  live->add_option("--view", live_opts.view,
                   "View to show: current, daily, sessions, blocks, tools")
      ->check(CLI::IsMember({"current", "daily", "sessions", "blocks", "tools"}));
  live->add_option("--width", live_opts.width, "Columns of the --once frame (default: the "
                   "terminal's, else 100)")
      ->check(CLI::PositiveNumber);
  live->add_option("--refresh", live_opts.refresh_seconds,
                   "Seconds between redraws of clocks and rates (default 2; new data redraws "
                   "at once)");
  live->add_option("--url", live_opts.daemon_url,
                   "The daemon to follow (default: $CCGAUGE_URL, else 127.0.0.1:8321)");
  live->add_flag("--no-daemon", live_opts.no_daemon,
                 "Watch the transcripts even when a daemon runs");
  live->add_flag("--ascii", live_opts.ascii, "ASCII drawing only");
  add_plan_options(*live, live_opts.plan);
  live->add_option("-z,--timezone", live_opts.timezone, "IANA time zone for dates and clocks");
  live->add_option("--ledger", live_opts.ledger_path, "Ledger file");
  live->add_flag_callback("--color", [&live_opts] { live_opts.color = true; }, "Colour");
  live->add_flag_callback("--no-color", [&live_opts] { live_opts.color = false; }, "No colour");
  live->add_flag(
      "--single-thread", [&live_opts](std::int64_t) { live_opts.threads = 1; },
      "Read transcripts on one thread");

  HookCommandOptions hook_opts;
  CLI::App* hook = app.add_subcommand(
      "hook", "The command Claude Code's hooks run: records the hook JSON on stdin, exits 0");
  hook->add_option("--ledger", hook_opts.ledger_path, "Ledger file");
  hook->add_flag("--tool-input", hook_opts.tool_input,
                 "Keep a summary of each tool's input (the Bash command, the file path, ...)");

  HooksSettingsOptions hooks_opts;
  CLI::App* hooks = app.add_subcommand(
      "hooks", "Install, remove or show ccgauge's hooks in Claude Code's settings.json");
  hooks->require_subcommand(1);
  CLI::App* hooks_install = hooks->add_subcommand(
      "install", "Register `ccgauge hook` on the monitoring events (backup first; idempotent)");
  CLI::App* hooks_uninstall =
      hooks->add_subcommand("uninstall", "Remove ccgauge's hooks (and only ccgauge's)");
  CLI::App* hooks_status = hooks->add_subcommand("status", "Which events have ccgauge's hook");
  for (CLI::App* sub : {hooks_install, hooks_uninstall, hooks_status}) {
    sub->add_option("--settings", hooks_opts.settings_path,
                    "The settings file (default: $CLAUDE_CONFIG_DIR or ~/.claude, settings.json)");
    sub->add_option("--project", hooks_opts.project_dir,
                    "Edit <DIR>/.claude/settings.json (this project only) instead");
  }
  hooks_install->add_option("--events", hooks_opts.events,
                            "Comma-separated hook events, or all (default: the recommended set)");
  hooks_install->add_flag("--tool-input", hooks_opts.tool_input,
                          "Record a summary of each tool's input (commands, paths)");

  ToolsCommandOptions tools_opts;
  CLI::App* tools = app.add_subcommand(
      "tools", "Tool calls from hooks: failures, durations, permission prompts, interrupts");
  tools->add_flag("-j,--json", tools_opts.json, "Print JSON");
  tools->add_option("--by", tools_opts.by, "Group by tool, session or project")
      ->check(CLI::IsMember({"tool", "session", "project"}));
  tools->add_option("-s,--since", tools_opts.since, "Keep calls on or after this local date");
  tools->add_option("-u,--until", tools_opts.until, "Keep calls on or before this local date");
  tools->add_option("-p,--project", tools_opts.project,
                    "Only this project (its path or directory name)");
  tools->add_option("--session", tools_opts.session, "Only this session");
  tools->add_option("-z,--timezone", tools_opts.timezone, "IANA time zone for dates");
  tools->add_option("--ledger", tools_opts.ledger_path, "Ledger file");

  CLI::App* emit = app.add_subcommand(
      "emit", "Report a harness event (start, end, ...) of a task run; see `ccgauge emit --help`");
  emit->prefix_command();
  emit->allow_extras();

  HarnessCommandOptions harness_opts;
  CLI::App* harness = app.add_subcommand(
      "harness", "Harness runs with their sessions' tokens and cost; success rate per label");
  harness->add_flag("-j,--json", harness_opts.json, "Print JSON");
  harness->add_option("--label", harness_opts.label, "Only runs with this label");
  harness->add_option("-m,--mode", harness_opts.mode, "Cost mode: auto, calculate, display")
      ->check(CLI::IsMember({"auto", "calculate", "display"}));
  harness->add_option("--ledger", harness_opts.ledger_path, "Ledger file");

  ActivityCommandOptions activity_opts;
  CLI::App* activity = app.add_subcommand(
      "activity",
      "Lines of code, commits, PRs, active time, decisions and errors (from OpenTelemetry)");
  activity->add_option("-s,--since", activity_opts.since, "From this local date (YYYYMMDD)");
  activity->add_option("-u,--until", activity_opts.until, "Until this local date (YYYYMMDD)");
  activity->add_option("-z,--timezone", activity_opts.timezone, "IANA time zone for dates");
  activity->add_option("--by", activity_opts.by, "Rows per day, project, tool, host or user")
      ->check(CLI::IsMember({"day", "project", "tool", "host", "user"}));
  activity->add_option("--host", activity_opts.host, "Only this host (host.name)");
  activity->add_option("--user", activity_opts.user, "Only this user (e-mail, account UUID)");
  activity->add_flag("-j,--json", activity_opts.json, "Print JSON");
  activity->add_option("--ledger", activity_opts.ledger_path, "Ledger file");

  std::string demo_dir;
  std::string demo_size = "20MiB";
  std::uint64_t demo_seed = 42;
  CLI::App* demo =
      app.add_subcommand("demo", "Generate a sample Claude Code data set and report on it");
  demo->add_option("--dir", demo_dir, "Where to write it (default: a new temporary directory)");
  demo->add_option("--size", demo_size, "How much transcript data (e.g. 5MiB, 200MiB)");
  demo->add_option("--seed", demo_seed, "Seed; the same seed gives the same data");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  for (std::size_t i = 0; i < std::size(periods); ++i) {
    PeriodState& st = states[i];
    if (*st.cmd) {
      finish_common(st.common, st.json, st.csv);
      return run_period_report(periods[i].kind, st.common, st.start_of_week, st.id);
    }
  }
  if (*blocks) {
    finish_common(blocks_common, blocks_json, blocks_csv);
    return run_blocks_report(blocks_common, blocks_opts);
  }
  if (*doctor) {
    finish_common(doctor_common, doctor_json, doctor_csv);
    return run_doctor(doctor_common);
  }
  if (*limits) {
    finish_common(limits_common, limits_json, false);
    return run_limits(limits_common, limits_opts);
  }
  if (*sl_install || *sl_uninstall) {
    return run_statusline_settings(sl_install->parsed(), settings_path, settings_project);
  }
  if (*statusline) {
    return run_statusline(status_opts);
  }
  if (*service) {
    return run_service(service_action, service_listen, !service_no_start);
  }
  if (*live) {
    return run_live(live_opts);
  }
  if (*demo) {
    return run_demo(demo_dir, demo_size, demo_seed);
  }
  if (*activity) {
    return run_activity(activity_opts);
  }
  if (*hook) {
    return run_hook(hook_opts);
  }
  if (*hooks) {
    hooks_opts.action = hooks_install->parsed()     ? HooksAction::kInstall
                        : hooks_uninstall->parsed() ? HooksAction::kUninstall
                                                    : HooksAction::kStatus;
    return run_hooks_settings(hooks_opts);
  }
  if (*tools) {
    return run_tools(tools_opts);
  }
  if (*emit) {
    return run_emit(emit->remaining());
  }
  if (*harness) {
    return run_harness(harness_opts);
  }
  // Bare `ccgauge` is `ccgauge daily`, as in ccusage.
  CommonOptions defaults;
  return run_period_report(analytics::PeriodKind::kDaily, defaults, "sunday", std::nullopt);
}

// `statusline`, `hook` and `emit` run on every screen update, hook event and harness step: they
// are reached without building the CLI11 tree (fast_args.h). `emit` parses its own (run_emit).
std::optional<int> run_fast(int argc, char** argv) {
  if (auto o = statusline_fast_args(argc, argv)) {
    return run_statusline(*o);
  }
  if (auto o = hook_fast_args(argc, argv)) {
    return run_hook(*o);
  }
  if (argc >= 2 && std::string_view(argv[1]) == "emit") {
    return run_emit(std::vector<std::string>(argv + 2, argv + argc));
  }
  return std::nullopt;
}

}  // namespace

int run(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "serve") {
    return exec_daemon(argc, argv);
  }
  try {
    if (auto rc = run_fast(argc, argv)) {
      return *rc;
    }
    return run_parsed(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ccgauge: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace ccgauge::cli

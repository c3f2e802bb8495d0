#pragma once
// The status line's and the hook's work in a form the daemon can do for `ccgauge statusline`
// and `ccgauge hook`. While `ccgauge serve` runs, the `ccgauge` launcher (launcher_main.cpp)
// hands the command's input to the daemon over a Unix socket next to the spool
// (ledger::statusline_socket_for) and prints the daemon's answer: the daemon has the ledger
// open, its schema parsed and its pages cached, and the launcher links no shared C++ library,
// so the call costs little more than a process start. Without a daemon, or when it does not
// answer in time, the launcher runs the full command, which does the same work itself
// (statusline.cpp, hooks_commands.cpp).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cli/commands.h"
#include "cli/environment.h"
#include "core/result.h"
#include "core/types.h"

namespace ccgauge::ledger {
class Ledger;
}

namespace ccgauge::cli {

// One status line call, with everything the caller's flags and environment decided.
struct StatusLineJob {
  Instant now{};
  std::string timezone;        // the zone's name as the caller's --timezone, $TZ or system say
  bool colour = false;
  std::string format;          // a --format template; empty: the default line
  PlanFlags plan;              // --plan, else $CCGAUGE_PLAN
  std::string plan_file;       // the caller's config.json, for the rest of the plan
  std::string input;           // Claude Code's status line JSON, as read from stdin
};
// The job for these options and this input, read in the caller's environment.
StatusLineJob statusline_job(const StatusLineOptions& options, std::string input);

// One hook call.
struct HookJob {
  Instant now{};
  bool tool_input = false;     // --tool-input or $CCGAUGE_HOOK_TOOL_INPUT=1
  std::string input;           // the hook's JSON, as read from stdin
};
HookJob hook_job(const HookCommandOptions& options, std::string input);
// Parses the hook's input and records it (hooks_commands.cpp): into the spool when a daemon
// drains it, else into the ledger, else into the spool for later. Logs what went wrong.
void record_hook(const std::string& ledger_path, const HookJob& job);

// On the socket: one line of JSON with the job's kind and settings, then the input to the end.
// The daemon answers "ok\n" and the line (nothing for a hook), or "error\n" and why.
std::string encode_job(const StatusLineJob& job);
std::string encode_job(const HookJob& job);
Result<std::variant<StatusLineJob, HookJob>> decode_job(std::string_view bytes);

// The daemon's answer to a job sent to the socket at `socket_path`; none when no daemon
// listens there, it did not answer in time (a second), or it answered with an error.
std::optional<std::string> ask_daemon(const std::string& socket_path, const std::string& request);

// Records what Claude Code reported in the ledger, has `catch_up` read the session's transcript
// (given its path; not called without one), and renders the line. An error means no line: the
// caller shows its fallback.
Result<std::string> answer_statusline(
    ledger::Ledger& ledger, const StatusLineJob& job,
    const std::function<void(const std::string& transcript)>& catch_up);

}  // namespace ccgauge::cli

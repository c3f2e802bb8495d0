#pragma once
// The status line's work in a form the daemon can do for `ccgauge statusline`. While
// `ccgauge serve` runs, the command hands its input to the daemon over a Unix socket next to
// the spool (ledger::statusline_socket_for) and prints the daemon's answer: the daemon has the
// ledger open, its schema parsed and its pages cached, so the command spends its time starting
// and nothing else. Without a daemon, or when it does not answer in time, the command does the
// same work itself (statusline.cpp).

#include <functional>
#include <string>
#include <string_view>

#include "analytics/limits.h"
#include "core/result.h"
#include "core/types.h"

namespace ccgauge::ledger {
class Ledger;
}

namespace ccgauge::cli {

// One status line call, with everything the caller's flags and environment decided.
struct StatusLineJob {
  Instant now{};
  std::string timezone;        // as --timezone: empty for $TZ, then the system's
  bool colour = false;
  std::string format;          // a --format template; empty: the default line
  analytics::PlanLimits plan;
  std::string input;           // Claude Code's status line JSON, as read from stdin
};

// On the socket: one line of JSON with the job's settings, then the input to the end.
std::string encode_statusline_job(const StatusLineJob& job);
Result<StatusLineJob> decode_statusline_job(std::string_view bytes);

// Records what Claude Code reported in the ledger, has `catch_up` read the session's transcript
// (given its path; not called without one), and renders the line. An error means no line: the
// caller shows its fallback.
Result<std::string> answer_statusline(
    ledger::Ledger& ledger, const StatusLineJob& job,
    const std::function<void(const std::string& transcript)>& catch_up);

}  // namespace ccgauge::cli

#pragma once
// The JSON Claude Code hands its status line command on stdin (research: telemetry.md 4.3).
// Every field is optional and read defensively: Claude Code's versions differ, and a status line
// must answer whatever it is given.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ccgauge::ingest {

// One official rate-limit window as Claude Code reports it.
struct RateWindow {
  std::optional<double> used_percent;            // 0..100
  std::optional<std::int64_t> resets_at_epoch_s;
};

struct StatusLineInput {
  std::string session_id;
  std::string transcript_path;
  std::string cwd;
  std::string model_id;
  std::string model_display_name;
  std::optional<double> session_cost_usd;        // cost.total_cost_usd (cumulative per session)
  std::optional<std::int64_t> context_tokens;    // context_window.total_input_tokens
  std::optional<std::int64_t> context_window_size;
  std::optional<double> context_used_percent;    // context_window.used_percentage
  std::optional<RateWindow> five_hour;           // rate_limits.five_hour
  std::optional<RateWindow> seven_day;           // rate_limits.seven_day
};

// Parses the status line JSON. Unknown fields are ignored; a field of the wrong type counts as
// absent. `resets_at` may be epoch seconds (a number or numeric text; milliseconds are
// recognised by size) or ISO 8601 text. Only input that is not a JSON object is an error.
Result<StatusLineInput> parse_statusline_input(std::string_view json);

}  // namespace ccgauge::ingest

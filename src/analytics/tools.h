#pragma once
// Tool activity from Claude Code's hooks (research telemetry.md 3): calls, failures, durations
// (PreToolUse/PostToolUse pairs by tool_use_id), permission prompts and interrupts, per tool,
// per session and per project. Pure values; the ledger's hook events feed them
// (ledger/tools_reader.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace ccgauge::analytics {

struct ToolStat {
  std::string tool;     // tool_name ("Bash", "Edit", "mcp__github__create_issue", ...)
  std::string session;  // set when grouped by session
  std::string project;  // set when grouped by project
  std::int64_t calls = 0;               // PreToolUse (or PostToolUse without a Pre)
  std::int64_t failures = 0;            // PostToolUseFailure, or a tool_response with an error
  std::int64_t permission_prompts = 0;  // PermissionRequest / Notification permission_prompt
  std::int64_t denied = 0;              // PermissionDenied
  std::int64_t interrupts = 0;          // calls that never finished (no Post before Stop/end)
  std::int64_t timed_calls = 0;         // calls with both Pre and Post seen
  std::int64_t total_duration_ms = 0;   // over timed_calls
  std::int64_t max_duration_ms = 0;
  std::optional<Instant> last_used;
};

enum class ToolGrouping { kTool, kSession, kProject };

struct ToolsQuery {
  std::optional<Instant> from;
  std::optional<Instant> to;
  ToolGrouping grouping = ToolGrouping::kTool;
  std::optional<std::string> project;
  std::optional<std::string> session;
};

struct ToolsReport {
  std::vector<ToolStat> rows;  // by calls, descending
  ToolStat totals;             // tool = "total"
};

}  // namespace ccgauge::analytics

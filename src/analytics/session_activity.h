#pragma once
// What a Claude Code session is doing now, from its hook events (research telemetry.md 3.3):
// started, working (on a prompt, in a tool, in a subagent, compacting), waiting for a permission,
// idle (its turn is over, waiting for the user), or ended. The daemon feeds a session's recent
// hook events in time order and shows the result in /api/v1/sessions?active=1 and on the
// WebSocket. Pure values; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace ccgauge::analytics {

// One hook event, as much of it as the status needs.
struct HookSignal {
  Instant instant{};
  std::string_view name;               // hook_event_name
  std::string_view tool;               // tool_name, when the event has one
  std::string_view notification_type;  // Notification's type
};

struct SessionActivity {
  // "started", "working", "waiting", "idle" or "ended".
  std::string status;
  // What it does (working), waits for (waiting) or why it stopped (idle, ended): "prompt",
  // "tool", "thinking", "subagent", "compacting", "permission", "input", "done", "error",
  // "ended"; or, for an event this table does not know, the event's name.
  std::string activity;
  std::string tool;  // the tool in use or waiting for a permission; empty otherwise
  Instant started{};       // its first hook event seen
  Instant last{};          // its newest hook event
  std::int64_t tool_calls = 0;  // PreToolUse events seen
  std::int64_t prompts = 0;     // UserPromptSubmit events seen

  bool ended() const { return status == "ended"; }
};

// Folds one event (given in time order) into the session's activity.
void apply_hook_signal(SessionActivity& activity, const HookSignal& signal);

}  // namespace ccgauge::analytics

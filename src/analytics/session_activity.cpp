#include "analytics/session_activity.h"

#include <algorithm>

namespace ccgauge::analytics {
namespace {

void set(SessionActivity& a, std::string_view status, std::string_view activity,
         std::string_view tool = {}) {
  a.status = status;
  a.activity = activity;
  a.tool = tool;
}

}  // namespace

void apply_hook_signal(SessionActivity& a, const HookSignal& s) {
  if (a.status.empty()) {
    a.started = s.instant;
    a.status = "started";
  }
  a.last = std::max(a.last, s.instant);
  std::string_view n = s.name;
  if (n == "SessionStart") {
    set(a, "started", "");
  } else if (n == "SessionEnd") {
    set(a, "ended", "ended");
  } else if (n == "UserPromptSubmit" || n == "UserPromptExpansion") {
    ++a.prompts;
    set(a, "working", "prompt");
  } else if (n == "PreToolUse") {
    ++a.tool_calls;
    set(a, "working", "tool", s.tool);
  } else if (n == "PostToolUse" || n == "PostToolUseFailure" || n == "PostToolBatch" ||
             n == "PermissionDenied") {
    set(a, "working", "thinking");
  } else if (n == "PermissionRequest") {
    set(a, "waiting", "permission", s.tool);
  } else if (n == "Notification") {
    std::string_view type = s.notification_type;
    if (type == "permission_prompt") {
      // The prompt names no tool; the one announced by PreToolUse is the one waiting.
      set(a, "waiting", "permission", a.activity == "tool" ? a.tool : std::string());
    } else if (type == "idle_prompt") {
      set(a, "idle", "input");
    } else if (type == "elicitation_dialog" || type == "elicitation_url_dialog" ||
               type == "agent_needs_input") {
      set(a, "waiting", "input");
    }
    // Other notifications (auth_success, agent_completed, ...) change nothing.
  } else if (n == "Stop") {
    set(a, "idle", "done");
  } else if (n == "StopFailure") {
    set(a, "idle", "error");
  } else if (n == "SubagentStart" || n == "SubagentStop") {
    set(a, "working", "subagent");
  } else if (n == "PreCompact") {
    set(a, "working", "compacting");
  } else if (n == "PostCompact") {
    set(a, "working", "thinking");
  } else if (a.status != "ended") {
    // A newer or rarer event (ConfigChange, CwdChanged, TaskCreated, ...): the session is
    // alive; its status stays, the event is its latest activity.
    a.activity = n;
  }
}

}  // namespace ccgauge::analytics

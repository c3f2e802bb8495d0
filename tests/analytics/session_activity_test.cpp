// A session's status from its hook events, in the order Claude Code sends them.

#include "analytics/session_activity.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ccgauge::analytics {
namespace {

struct Step {
  const char* name;
  const char* tool;
  const char* notification_type;
  const char* status;    // expected after the event
  const char* activity;  // expected after the event
  const char* tool_now;  // expected tool after the event
};

TEST(SessionActivity, FollowsATurnFromStartToEnd) {
  const std::vector<Step> steps = {
      {"SessionStart", "", "", "started", "", ""},
      {"UserPromptSubmit", "", "", "working", "prompt", ""},
      {"PreToolUse", "Bash", "", "working", "tool", "Bash"},
      {"Notification", "", "permission_prompt", "waiting", "permission", "Bash"},
      {"PostToolUse", "Bash", "", "working", "thinking", ""},
      {"PermissionRequest", "Edit", "", "waiting", "permission", "Edit"},
      {"PostToolUseFailure", "Edit", "", "working", "thinking", ""},
      {"Notification", "", "auth_success", "working", "thinking", ""},
      {"SubagentStart", "", "", "working", "subagent", ""},
      {"PreCompact", "", "", "working", "compacting", ""},
      {"ConfigChange", "", "", "working", "ConfigChange", ""},
      {"Stop", "", "", "idle", "done", ""},
      {"Notification", "", "idle_prompt", "idle", "input", ""},
      {"StopFailure", "", "", "idle", "error", ""},
      {"SessionEnd", "", "", "ended", "ended", ""},
      {"ConfigChange", "", "", "ended", "ended", ""},
      {"SessionStart", "", "", "started", "", ""},
  };
  SessionActivity a;
  Instant t{};
  for (const Step& step : steps) {
    t += std::chrono::seconds(1);
    apply_hook_signal(a, HookSignal{t, step.name, step.tool, step.notification_type});
    EXPECT_EQ(a.status, step.status) << step.name;
    EXPECT_EQ(a.activity, step.activity) << step.name;
    EXPECT_EQ(a.tool, step.tool_now) << step.name;
  }
  EXPECT_EQ(a.tool_calls, 1);
  EXPECT_EQ(a.prompts, 1);
  EXPECT_EQ(a.started, Instant{} + std::chrono::seconds(1));
  EXPECT_EQ(a.last, t);
  EXPECT_FALSE(a.ended());
}

TEST(SessionActivity, ASessionSeenMidwayStartsWhereItIs) {
  SessionActivity a;
  Instant t = Instant{} + std::chrono::hours(1);
  apply_hook_signal(a, HookSignal{t, "PreToolUse", "Read", ""});
  EXPECT_EQ(a.status, "working");
  EXPECT_EQ(a.tool, "Read");
  EXPECT_EQ(a.started, t);
  // An unknown event of a session never seen before: alive, status not yet known better.
  SessionActivity b;
  apply_hook_signal(b, HookSignal{t, "SomeFutureEvent", "", ""});
  EXPECT_EQ(b.status, "started");
  EXPECT_EQ(b.activity, "SomeFutureEvent");
}

}  // namespace
}  // namespace ccgauge::analytics

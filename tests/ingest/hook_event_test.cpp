// Hook payloads (tests/data/hooks/<Event>.json, shaped as telemetry.md 3.4 documents them, one
// per hook event of 3.3) parsed into what the monitor keeps, and harness events validated.

#include "ingest/hooks/hook_event.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "ingest/hooks/harness_event.h"
#include "tests/support/run_binary.h"

namespace ccgauge::ingest {
namespace {

const std::string kSession = "3f1c2a9e-5b7d-4e21-9c0a-7d2b8e4f6a13";

std::string payload(const std::string& name) {
  return testing::slurp(std::string(CCG_SOURCE_DIR) + "/tests/data/hooks/" + name + ".json");
}

HookEvent parse_file(const std::string& name, const HookParseOptions& options = {}) {
  auto event = parse_hook_event(payload(name), options);
  EXPECT_TRUE(event) << name << ": " << (event ? "" : event.error().message);
  return event ? *event : HookEvent{};
}

std::map<std::string, std::string> facts_of(const HookEvent& e) {
  return {e.facts.begin(), e.facts.end()};
}

// Every event of telemetry.md 3.3, with the facts its payload must yield.
struct Expected {
  std::string event;
  std::map<std::string, std::string> facts;
};

const std::vector<Expected>& expectations() {
  static const std::vector<Expected> all = {
      {"PreToolUse", {{"effort", "\"high\""}}},
      {"PostToolUse", {}},
      {"PostToolUseFailure", {}},
      {"PostToolBatch", {{"tool_calls", "2"}}},
      {"PermissionRequest", {{"permission_suggestions", "1"}}},
      {"PermissionDenied", {}},
      {"Notification", {{"message_chars", "40"}}},
      {"UserPromptSubmit", {{"prompt_chars", "55"}}},
      {"UserPromptExpansion",
       {{"expansion_type", "\"slash_command\""},
        {"command_name", "\"review\""},
        {"command_source", "\"project\""},
        {"prompt_chars", "54"}}},
      {"SessionStart",
       {{"seconds_since_last_response", "5412"},
        {"context_tokens", "48213"},
        {"prompt_cache_likely_expired", "true"},
        {"estimated_cache_write_usd", "0.3014"}}},
      {"SessionEnd", {}},
      {"Stop",
       {{"stop_hook_active", "false"}, {"last_assistant_message_chars", "73"},
        {"background_tasks", "1"}}},
      {"StopFailure", {{"last_assistant_message_chars", "0"}}},
      {"SubagentStart", {}},
      {"SubagentStop", {{"stop_hook_active", "false"}, {"last_assistant_message_chars", "30"}}},
      {"PreCompact", {}},
      {"PostCompact", {{"compact_summary_chars", "64"}}},
      {"PreModelSwitch",
       {{"from_model", "\"claude-opus-4-6\""},
        {"requested_model", "\"sonnet\""},
        {"context_tokens", "91234"},
        {"prompt_cache_warm", "true"},
        {"cache_ttl", "\"5m\""},
        {"estimated_cache_write_usd", "0.342"},
        {"pricing", "\"catalog\""}}},
      {"PostModelSwitch", {{"cache_ttl", "\"1h\""}, {"pricing", "\"configured\""}}},
      {"Setup", {}},
      {"TeammateIdle", {{"teammate_name", "\"backend-dev\""}, {"team_name", "\"shop-team\""}}},
      {"TaskCreated", {{"teammate_name", "\"tester\""}, {"task_subject_chars", "21"}}},
      {"TaskCompleted", {{"team_name", "\"shop-team\""}, {"task_subject_chars", "21"}}},
      {"Elicitation",
       {{"mcp_server_name", "\"github\""}, {"mode", "\"form\""}, {"elicitation_id", "\"elic_01\""}}},
      {"ElicitationResult", {{"action", "\"accept\""}, {"mcp_server_name", "\"github\""}}},
      {"ConfigChange", {}},
      {"WorktreeCreate", {{"worktree", "\"fix-cart\""}}},
      {"WorktreeRemove", {}},
      {"InstructionsLoaded",
       {{"memory_type", "\"Project\""}, {"load_reason", "\"session_start\""}}},
      {"CwdChanged", {}},
      {"FileChanged", {{"file_event", "\"change\""}}},
      {"DirectoryAdded", {}},
      {"MessageDisplay", {{"index", "3"}, {"final", "true"}, {"delta_chars", "31"}}},
  };
  return all;
}

TEST(HookEvent, EveryDocumentedEventHasARecordedPayloadThatParses) {
  EXPECT_EQ(expectations().size(), 33u);  // SDK 0.3.330 HOOK_EVENTS
  for (const Expected& x : expectations()) {
    SCOPED_TRACE(x.event);
    HookEvent e = parse_file(x.event);
    EXPECT_EQ(e.name, x.event);
    EXPECT_TRUE(e.known);
    EXPECT_TRUE(is_known_hook_event(x.event));
    EXPECT_EQ(e.session_id, kSession);
    EXPECT_EQ(e.cwd, "/home/dev/shop");
    EXPECT_FALSE(e.transcript_path.empty());
    auto facts = facts_of(e);
    for (const auto& [key, value] : x.facts) {
      EXPECT_EQ(facts[key], value) << key;
    }
    // Conversation text never comes through, whatever the event.
    for (const auto& [key, value] : e.facts) {
      EXPECT_EQ(value.find("factorial"), std::string::npos) << key;
      EXPECT_EQ(value.find("tests pass"), std::string::npos) << key;
    }
  }
}

TEST(HookEvent, ToolEventsCarryToolIdsOutcomesAndDurations) {
  HookEvent pre = parse_file("PreToolUse");
  EXPECT_EQ(pre.tool_name, "Bash");
  EXPECT_EQ(pre.tool_use_id, "toolu_01A8kQz6mYb3Xw2pTnV4cR5d");
  EXPECT_EQ(pre.prompt_id, "b1e0c7a2-1f3d-4c8e-9a65-2d7f0e3b4c91");
  EXPECT_EQ(pre.permission_mode, "default");
  EXPECT_FALSE(pre.success);
  EXPECT_EQ(pre.tool_input_summary, "");  // not opted in

  HookEvent post = parse_file("PostToolUse");
  EXPECT_EQ(post.tool_name, "Write");
  EXPECT_EQ(post.success, true);
  EXPECT_EQ(post.duration_ms, 41);

  HookEvent failure = parse_file("PostToolUseFailure");
  EXPECT_EQ(failure.success, false);
  EXPECT_FALSE(failure.interrupted);
  EXPECT_EQ(failure.duration_ms, 5234);
  EXPECT_EQ(failure.error,
            "Command failed with exit code 2: src/cart.ts(3,41): error TS2304: Cannot find name "
            "'Item'.");

  HookEvent denied = parse_file("PermissionDenied");
  EXPECT_EQ(denied.success, false);
  EXPECT_EQ(denied.permission_mode, "auto");
  EXPECT_EQ(denied.reason, "Piping a downloaded script into a shell is not allowed in auto mode");

  HookEvent request = parse_file("PermissionRequest");
  EXPECT_EQ(request.tool_name, "Bash");
  EXPECT_TRUE(request.tool_use_id.empty());
}

TEST(HookEvent, SessionTurnAndAgentEvents) {
  EXPECT_EQ(parse_file("SessionStart").source, "resume");
  EXPECT_EQ(parse_file("SessionStart").model, "claude-opus-4-6");
  EXPECT_EQ(parse_file("SessionEnd").reason, "prompt_input_exit");
  HookEvent limit = parse_file("StopFailure");
  EXPECT_EQ(limit.error, "rate_limit");
  EXPECT_EQ(limit.success, false);
  EXPECT_EQ(parse_file("Notification").notification_type, "permission_prompt");
  EXPECT_EQ(parse_file("UserPromptSubmit").source, "user");
  HookEvent agent = parse_file("SubagentStop");
  EXPECT_EQ(agent.agent_id, "a7c91e04");
  EXPECT_EQ(agent.agent_type, "Explore");
  EXPECT_EQ(parse_file("PreCompact").trigger, "auto");
  EXPECT_EQ(parse_file("Setup").trigger, "init");
  EXPECT_EQ(parse_file("PostModelSwitch").model, "claude-sonnet-4-5");
  EXPECT_EQ(parse_file("TaskCompleted").task_id, "task-7");
  EXPECT_EQ(parse_file("ConfigChange").source, "project_settings");
}

TEST(HookEvent, ToolInputSummaryOnlyWhenOptedIn) {
  HookParseOptions opted;
  opted.tool_input_summary = true;
  EXPECT_EQ(parse_file("PreToolUse", opted).tool_input_summary,
            "npm test -- --runInBand 2>&1 | tail -50");
  EXPECT_EQ(parse_file("PostToolUse", opted).tool_input_summary, "/home/dev/shop/src/cart.ts");
  // Long commands are cut to 200 bytes, never inside a UTF-8 character.
  std::string command(199, 'x');
  command += "é and more";
  auto e = parse_hook_event(R"({"hook_event_name":"PreToolUse","tool_name":"Bash",)"
                            R"("tool_input":{"command":")" + command + R"("}})",
                            opted);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tool_input_summary, std::string(199, 'x'));
  // Never the file content.
  EXPECT_EQ(parse_file("PostToolUse", opted).tool_input_summary.find("reduce"), std::string::npos);
}

TEST(HookEvent, ToolResponseErrorsAndInterrupts) {
  auto e = parse_hook_event(
      R"({"hook_event_name":"PostToolUse","tool_name":"Bash","tool_response":)"
      R"({"stdout":"","stderr":"","interrupted":true}})");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->interrupted);
  e = parse_hook_event(R"({"hook_event_name":"PostToolUse","tool_name":"mcp__github__x",)"
                       R"("tool_response":{"isError":true,"content":[]}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->success, false);
  e = parse_hook_event(R"({"hook_event_name":"PostToolUseFailure","tool_name":"Bash",)"
                       R"("error":"Interrupted by user","is_interrupt":true})");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->interrupted);
  EXPECT_EQ(e->success, false);
  // Wrong types count as absent.
  e = parse_hook_event(R"({"hook_event_name":"PostToolUse","tool_name":7,"duration_ms":"x"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tool_name, "");
  EXPECT_FALSE(e->duration_ms);
}

TEST(HookEvent, UnknownEventsKeepTheirNameAndSmallScalarsOnly) {
  HookEvent e = parse_file("unknown-PostPlanApproval");
  EXPECT_EQ(e.name, "PostPlanApproval");
  EXPECT_FALSE(e.known);
  EXPECT_FALSE(is_known_hook_event("PostPlanApproval"));
  EXPECT_EQ(e.session_id, kSession);
  auto facts = facts_of(e);
  EXPECT_EQ(facts["plan_id"], "\"plan_42\"");
  EXPECT_EQ(facts["approved"], "true");
  EXPECT_EQ(facts["steps"], "7");
  EXPECT_EQ(facts["mode"], "\"auto\"");
  EXPECT_FALSE(facts.contains("note"));      // free text
  EXPECT_FALSE(facts.contains("reviewer"));  // an object
  EXPECT_FALSE(facts.contains("session_id"));
}

TEST(HookEvent, GarbageIsAClearError) {
  const std::map<std::string, std::string> garbage = {
      {"garbage-not-json", "not JSON"},
      {"garbage-array", "not a JSON object"},
      {"garbage-no-event-name", "no hook_event_name"},
      {"garbage-truncated", "not JSON"},
      {"garbage-empty", "not JSON"},
  };
  for (const auto& [file, message] : garbage) {
    auto e = parse_hook_event(payload(file));
    ASSERT_FALSE(e) << file;
    EXPECT_EQ(e.error().code, Errc::kInvalidInput);
    EXPECT_NE(e.error().message.find(message), std::string::npos) << e.error().message;
  }
}

TEST(HookEvent, CutUtf8NeverSplitsACharacter) {
  EXPECT_EQ(cut_utf8("abc", 5), "abc");
  EXPECT_EQ(cut_utf8("ab€", 4), "ab");  // € is 3 bytes
  EXPECT_EQ(cut_utf8("ab€", 5), "ab€");
  EXPECT_EQ(cut_utf8("", 0), "");
}

// --- Harness events -----------------------------------------------------------------------------

TEST(HarnessEvent, ParsesTheDocumentedShape) {
  auto e = parse_harness_event(
      R"({"source":"nightly.sh","event":"end","task_id":"T-17","label":"refactor",)"
      R"("project":"/src/app","session_id":"s-1","duration_ms":81234.4,"success":true,)"
      R"("error":null,"timestamp":"2026-03-02T12:00:00Z","event_id":"e1","attempt":2,)"
      R"("nested":{"x":1}})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->source, "nightly.sh");
  EXPECT_EQ(e->event, "end");
  EXPECT_EQ(e->task_id, "T-17");
  EXPECT_EQ(e->label, "refactor");
  EXPECT_EQ(e->project, "/src/app");
  EXPECT_EQ(e->session_id, "s-1");
  EXPECT_EQ(e->duration_ms, 81234);
  EXPECT_EQ(e->success, true);
  EXPECT_EQ(e->error, "");
  EXPECT_EQ(format_iso_ms(*e->timestamp), "2026-03-02T12:00:00.000Z");
  EXPECT_EQ(e->event_id, "e1");
  ASSERT_EQ(e->extra.size(), 1u);  // the nested object is not kept
  EXPECT_EQ(e->extra[0], (std::pair<std::string, std::string>{"attempt", "2"}));
  // Written back, it reads the same.
  auto again = parse_harness_event(harness_event_json(*e));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->task_id, "T-17");
  EXPECT_EQ(again->timestamp, e->timestamp);
  EXPECT_EQ(again->extra, e->extra);
}

TEST(HarnessEvent, EpochTimestampsAndNumericIds) {
  auto e = parse_harness_event(R"({"event":"start","task_id":17,"timestamp":1772452800})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->task_id, "17");
  EXPECT_EQ(format_iso_ms(*e->timestamp), "2026-03-02T12:00:00.000Z");
  e = parse_harness_event(R"({"event":"start","timestamp":1772452800123})");
  ASSERT_TRUE(e);
  EXPECT_EQ(format_iso_ms(*e->timestamp), "2026-03-02T12:00:00.123Z");
}

TEST(HarnessEvent, InvalidEventsSayWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nope", "not JSON"},
      {"[]", "must be a JSON object"},
      {"{}", "\"event\" is required"},
      {R"({"event":""})", "\"event\" is required"},
      {R"({"event":3})", "\"event\" must be a string"},
      {R"({"event":"end","success":"yes"})", "\"success\" must be true or false"},
      {R"({"event":"end","duration_ms":-5})", "non-negative"},
      {R"({"event":"end","duration_ms":"5"})", "\"duration_ms\" must be a number"},
      {R"({"event":"end","timestamp":"yesterday"})", "not an ISO 8601 time"},
      {R"({"event":"end","error":42})", "\"error\" must be a string"},
      {R"({"event":"end","task_id":")" + std::string(600, 'x') + R"("})", "longer than 512"},
  };
  for (const auto& [json, message] : cases) {
    auto e = parse_harness_event(json);
    ASSERT_FALSE(e) << json;
    EXPECT_EQ(e.error().code, Errc::kInvalidInput);
    EXPECT_NE(e.error().message.find(message), std::string::npos)
        << json << " -> " << e.error().message;
  }
}

}  // namespace
}  // namespace ccgauge::ingest

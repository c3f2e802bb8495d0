#pragma once
// The JSON Claude Code hands a hook command on stdin (research: telemetry.md 3.3, 3.4), for every
// hook event. Fields are read defensively: Claude Code's versions differ, and a hook must record
// whatever it is given. What is kept is what a monitor needs: who (session, agent), where (cwd),
// what (event, tool, outcome, duration) and a few small facts per event. Conversation text
// (prompts, assistant messages, tool input and output, file contents) is never kept; of the
// tool input only a short summary, and only when the user opted in.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace ccgauge::ingest {

// Text fields kept from a payload are cut to this many bytes (at a UTF-8 character boundary).
inline constexpr std::size_t kMaxHookTextBytes = 200;

struct HookParseOptions {
  // Keep a summary of the tool input: the Bash command, the file path of Read/Write/Edit, the
  // pattern of Grep/Glob, the URL of WebFetch, the query of WebSearch, the subagent type and
  // description of Task/Agent; cut to kMaxHookTextBytes. Off by default: commands and paths
  // can be private.
  bool tool_input_summary = false;
};

struct HookEvent {
  // hook_event_name as sent. An event this version does not know keeps its name, with its
  // small scalar fields in `facts` (see parse_hook_event).
  std::string name;
  bool known = true;  // one of the events of telemetry.md 3.3

  // Common fields (BaseHookInput); empty when not sent.
  std::string session_id;
  std::string transcript_path;
  std::string cwd;
  std::string permission_mode;
  std::string agent_id;    // only inside a subagent
  std::string agent_type;  // subagent type, or the --agent name on the main thread
  std::string prompt_id;   // = OTel prompt.id (v2.1.196+)

  // Tool events (PreToolUse, PostToolUse, PostToolUseFailure, PermissionRequest,
  // PermissionDenied).
  std::string tool_name;
  std::string tool_use_id;
  std::string tool_input_summary;  // only with HookParseOptions::tool_input_summary

  // The outcome, where the event tells one: PostToolUse true (false when its tool_response
  // reports an error), PostToolUseFailure false, PermissionDenied false, StopFailure false.
  std::optional<bool> success;
  // The call was interrupted by the user (PostToolUseFailure is_interrupt, or a tool_response
  // with "interrupted": true).
  bool interrupted = false;
  // PostToolUseFailure's error, a tool_response's error text, StopFailure's error kind
  // ("rate_limit", "overloaded", ...); cut to kMaxHookTextBytes.
  std::string error;
  // PostToolUse/PostToolUseFailure duration_ms (v2.1.119+; excludes permission and hook time).
  std::optional<std::int64_t> duration_ms;

  std::string notification_type;  // Notification: permission_prompt, idle_prompt, ...
  std::string reason;             // SessionEnd reason; PermissionDenied reason (cut)
  std::string source;   // SessionStart, UserPromptSubmit, ConfigChange, DirectoryAdded source
  std::string trigger;  // PreCompact, PostCompact, Setup trigger
  std::string model;    // SessionStart model; Pre/PostModelSwitch to_model
  std::string task_id;  // TaskCreated, TaskCompleted

  // Other small facts, in payload order: each a key and its value as compact JSON text
  // ("3", "true", "\"auto\""). Counts and lengths of text fields stand in for the text
  // ("prompt_chars": 57, "background_tasks": 2). Never free text.
  std::vector<std::pair<std::string, std::string>> facts;
};

// Parses one hook payload. Unknown fields are ignored; a field of the wrong type counts as
// absent. For an event this version does not know, every top-level number, boolean and short
// identifier-like string (at most 64 characters of letters, digits and `_.:-`) becomes a fact.
// Errors: input that is not JSON, not an object, or has no hook_event_name string.
Result<HookEvent> parse_hook_event(std::string_view json, const HookParseOptions& options = {});

// Whether `name` is one of the hook events of telemetry.md 3.3 (SDK 0.3.330 HOOK_EVENTS).
bool is_known_hook_event(std::string_view name);

// `text` cut to at most `max_bytes`, never inside a UTF-8 sequence.
std::string_view cut_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace ccgauge::ingest

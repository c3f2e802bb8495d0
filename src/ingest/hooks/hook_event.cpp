#include "ingest/hooks/hook_event.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/json_writer.h"

namespace ccgauge::ingest {
namespace {

namespace dom = simdjson::dom;

// How a payload field becomes a fact.
enum class FactKind {
  kText,   // a short string (an enum value or a name), cut to kMaxHookTextBytes
  kChars,  // free text: only its length, as "<fact>_chars"
  kCount,  // an array: only its length
  kScalar  // a number or a boolean, as sent
};

struct FactSpec {
  std::string_view path;  // a top-level key, or "parent.child"
  FactKind kind;
  std::string_view fact;  // the fact's name; empty: the last component of `path`
};

struct EventSpec {
  std::string_view name;
  std::vector<FactSpec> facts;
};

// Every event of telemetry.md 3.3 (SDK 0.3.330 HOOK_EVENTS) with the facts kept from its
// event-specific fields (3.4). Fields that map to HookEvent members are read for every event
// and are not listed here.
const std::vector<EventSpec>& event_specs() {
  static const FactSpec kToolFacts[] = {{"mcp_server.name", FactKind::kText, "mcp_server"},
                                        {"effort.level", FactKind::kText, "effort"}};
  auto tool = [](std::vector<FactSpec> extra) {
    std::vector<FactSpec> facts(std::begin(kToolFacts), std::end(kToolFacts));
    facts.insert(facts.end(), extra.begin(), extra.end());
    return facts;
  };
  const std::vector<FactSpec> model_switch = {
      {"from_model", FactKind::kText, ""},       {"requested_model", FactKind::kText, ""},
      {"context_tokens", FactKind::kScalar, ""}, {"prompt_cache_warm", FactKind::kScalar, ""},
      {"cache_ttl", FactKind::kText, ""},        {"estimated_cache_write_usd", FactKind::kScalar, ""},
      {"pricing", FactKind::kText, ""}};
  const std::vector<FactSpec> task = {{"teammate_name", FactKind::kText, ""},
                                      {"team_name", FactKind::kText, ""},
                                      {"task_subject", FactKind::kChars, ""}};
  static const std::vector<EventSpec> specs = {
      {"PreToolUse", tool({})},
      {"PostToolUse", tool({})},
      {"PostToolUseFailure", tool({})},
      {"PostToolBatch", {{"tool_calls", FactKind::kCount, ""}}},
      {"PermissionRequest", tool({{"permission_suggestions", FactKind::kCount, ""}})},
      {"PermissionDenied", tool({})},
      {"Notification", {{"message", FactKind::kChars, ""}}},
      {"UserPromptSubmit", {{"prompt", FactKind::kChars, ""}}},
      {"UserPromptExpansion",
       {{"expansion_type", FactKind::kText, ""},
        {"command_name", FactKind::kText, ""},
        {"command_source", FactKind::kText, ""},
        {"prompt", FactKind::kChars, ""}}},
      {"SessionStart",
       {{"seconds_since_last_response", FactKind::kScalar, ""},
        {"context_tokens", FactKind::kScalar, ""},
        {"prompt_cache_likely_expired", FactKind::kScalar, ""},
        {"estimated_cache_write_usd", FactKind::kScalar, ""}}},
      {"SessionEnd", {}},
      {"Stop",
       {{"stop_hook_active", FactKind::kScalar, ""},
        {"last_assistant_message", FactKind::kChars, ""},
        {"background_tasks", FactKind::kCount, ""},
        {"session_crons", FactKind::kCount, ""}}},
      {"StopFailure", {{"last_assistant_message", FactKind::kChars, ""}}},
      {"SubagentStart", {}},
      {"SubagentStop",
       {{"stop_hook_active", FactKind::kScalar, ""},
        {"last_assistant_message", FactKind::kChars, ""},
        {"background_tasks", FactKind::kCount, ""}}},
      {"PreCompact", {{"custom_instructions", FactKind::kChars, ""}}},
      {"PostCompact", {{"compact_summary", FactKind::kChars, ""}}},
      {"PreModelSwitch", model_switch},
      {"PostModelSwitch", model_switch},
      {"Setup", {}},
      {"TeammateIdle", {{"teammate_name", FactKind::kText, ""}, {"team_name", FactKind::kText, ""}}},
      {"TaskCreated", task},
      {"TaskCompleted", task},
      {"Elicitation",
       {{"mcp_server_name", FactKind::kText, ""},
        {"mode", FactKind::kText, ""},
        {"elicitation_id", FactKind::kText, ""}}},
      {"ElicitationResult",
       {{"mcp_server_name", FactKind::kText, ""},
        {"mode", FactKind::kText, ""},
        {"action", FactKind::kText, ""},
        {"elicitation_id", FactKind::kText, ""}}},
      {"ConfigChange", {}},
      {"WorktreeCreate", {{"name", FactKind::kText, "worktree"}}},
      {"WorktreeRemove", {}},
      {"InstructionsLoaded",
       {{"memory_type", FactKind::kText, ""}, {"load_reason", FactKind::kText, ""}}},
      {"CwdChanged", {}},
      {"FileChanged", {{"event", FactKind::kText, "file_event"}}},
      {"DirectoryAdded", {}},
      {"MessageDisplay",
       {{"index", FactKind::kScalar, ""},
        {"final", FactKind::kScalar, ""},
        {"delta", FactKind::kChars, ""}}},
  };
  return specs;
}

const EventSpec* find_spec(std::string_view name) {
  for (const EventSpec& spec : event_specs()) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

// Keys read into HookEvent members for every event; an unknown event's facts leave them out.
constexpr std::array<std::string_view, 19> kMemberKeys = {
    "session_id", "transcript_path", "cwd",     "hook_event_name", "permission_mode",
    "agent_id",   "agent_type",      "prompt_id", "tool_name",     "tool_use_id",
    "tool_input", "tool_response",   "error",   "duration_ms",     "notification_type",
    "reason",     "source",          "trigger", "model"};

std::string text_at(dom::element parent, std::string_view key) {
  std::string_view s;
  if (parent[key].get_string().get(s) == simdjson::SUCCESS) {
    return std::string(s);
  }
  return {};
}

std::string cut_text_at(dom::element parent, std::string_view key) {
  std::string_view s;
  if (parent[key].get_string().get(s) == simdjson::SUCCESS) {
    return std::string(cut_utf8(s, kMaxHookTextBytes));
  }
  return {};
}

// A number or a boolean as compact JSON text; nullopt for anything else.
std::optional<std::string> scalar_text(dom::element e) {
  switch (e.type()) {
    case dom::element_type::INT64:
      return std::to_string(e.get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return std::to_string(e.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: {
      double d = e.get_double().value_unsafe();
      return std::isfinite(d) ? std::optional<std::string>(fmt::format("{}", d)) : std::nullopt;
    }
    case dom::element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    default:
      return std::nullopt;
  }
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  json_escape_to(out, text);
  out += '"';
  return out;
}

// A string an unknown event may carry as a fact: short, and shaped like an identifier or an
// enum value, so that free text never slips through.
bool is_identifier_like(std::string_view s) {
  if (s.empty() || s.size() > 64) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '-';
  });
}

std::optional<dom::element> element_at_path(dom::element root, std::string_view path) {
  dom::element e = root;
  while (!path.empty()) {
    std::size_t dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    if (!e.is_object() || e[key].get(e) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return e;
}

void add_fact(HookEvent& event, dom::element root, const FactSpec& spec) {
  auto e = element_at_path(root, spec.path);
  if (!e) {
    return;
  }
  std::string name(spec.fact.empty() ? spec.path.substr(spec.path.rfind('.') + 1) : spec.fact);
  std::string_view s;
  dom::array array;
  switch (spec.kind) {
    case FactKind::kText:
      if (e->get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
        event.facts.emplace_back(std::move(name), quoted(cut_utf8(s, kMaxHookTextBytes)));
      }
      break;
    case FactKind::kChars:
      if (e->get_string().get(s) == simdjson::SUCCESS) {
        event.facts.emplace_back(name + "_chars", std::to_string(s.size()));
      }
      break;
    case FactKind::kCount:
      if (e->get_array().get(array) == simdjson::SUCCESS) {
        event.facts.emplace_back(std::move(name), std::to_string(array.size()));
      }
      break;
    case FactKind::kScalar:
      if (auto text = scalar_text(*e)) {
        event.facts.emplace_back(std::move(name), std::move(*text));
      }
      break;
  }
}

void add_unknown_facts(HookEvent& event, dom::object root) {
  constexpr std::size_t kMaxFacts = 32;
  for (dom::key_value_pair field : root) {
    if (event.facts.size() == kMaxFacts) {
      return;
    }
    if (std::find(kMemberKeys.begin(), kMemberKeys.end(), field.key) != kMemberKeys.end() ||
        !is_identifier_like(field.key)) {
      continue;
    }
    std::string_view s;
    if (auto text = scalar_text(field.value)) {
      event.facts.emplace_back(std::string(field.key), std::move(*text));
    } else if (field.value.get_string().get(s) == simdjson::SUCCESS && is_identifier_like(s)) {
      event.facts.emplace_back(std::string(field.key), quoted(s));
    }
  }
}

std::optional<std::int64_t> duration_at(dom::element root, std::string_view key) {
  dom::element e;
  if (root[key].get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d) && d >= 0 && d < 1e15) {
    return static_cast<std::int64_t>(std::llround(d));
  }
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS && i >= 0) {
    return i;
  }
  return std::nullopt;
}

bool flag_at(dom::element parent, std::string_view key) {
  bool b = false;
  return parent[key].get_bool().get(b) == simdjson::SUCCESS && b;
}

// What a PostToolUse's tool_response says about the call: Write's {"success": false}, an MCP
// result's "isError", an "is_error" flag, an "error" text, Bash's "interrupted".
void read_tool_response(HookEvent& event, dom::element root) {
  event.success = true;
  dom::element response;
  if (root["tool_response"].get(response) != simdjson::SUCCESS || !response.is_object()) {
    return;
  }
  bool ok = true;
  if (response["success"].get_bool().get(ok) == simdjson::SUCCESS && !ok) {
    event.success = false;
  }
  if (flag_at(response, "isError") || flag_at(response, "is_error")) {
    event.success = false;
  }
  std::string error = cut_text_at(response, "error");
  if (!error.empty()) {
    event.success = false;
    event.error = std::move(error);
  }
  if (flag_at(response, "interrupted")) {
    event.interrupted = true;
  }
}

// The summary of a tool's input that HookParseOptions::tool_input_summary keeps.
std::string tool_input_summary(std::string_view tool, dom::element root) {
  dom::element input;
  if (root["tool_input"].get(input) != simdjson::SUCCESS || !input.is_object()) {
    return {};
  }
  std::string summary;
  if (tool == "Bash") {
    summary = text_at(input, "command");
  } else if (tool == "Read" || tool == "Write" || tool == "Edit" || tool == "MultiEdit") {
    summary = text_at(input, "file_path");
  } else if (tool == "NotebookEdit") {
    summary = text_at(input, "notebook_path");
  } else if (tool == "Grep" || tool == "Glob") {
    summary = text_at(input, "pattern");
  } else if (tool == "WebFetch") {
    summary = text_at(input, "url");
  } else if (tool == "WebSearch") {
    summary = text_at(input, "query");
  } else if (tool == "Task" || tool == "Agent") {
    summary = text_at(input, "subagent_type");
    std::string description = text_at(input, "description");
    if (!description.empty()) {
      summary += summary.empty() ? description : ": " + description;
    }
  }
  return std::string(cut_utf8(summary, kMaxHookTextBytes));
}

void read_common(HookEvent& event, dom::element root) {
  event.session_id = text_at(root, "session_id");
  event.transcript_path = text_at(root, "transcript_path");
  event.cwd = text_at(root, "cwd");
  event.permission_mode = text_at(root, "permission_mode");
  event.agent_id = text_at(root, "agent_id");
  event.agent_type = text_at(root, "agent_type");
  event.prompt_id = text_at(root, "prompt_id");
  event.tool_name = text_at(root, "tool_name");
  event.tool_use_id = text_at(root, "tool_use_id");
  event.duration_ms = duration_at(root, "duration_ms");
  event.notification_type = cut_text_at(root, "notification_type");
  event.reason = cut_text_at(root, "reason");
  event.source = cut_text_at(root, "source");
  event.trigger = cut_text_at(root, "trigger");
  event.model = cut_text_at(root, "model");
  event.task_id = cut_text_at(root, "task_id");
}

void read_outcome(HookEvent& event, dom::element root) {
  const std::string& name = event.name;
  if (name == "PostToolUse") {
    read_tool_response(event, root);
  } else if (name == "PostToolUseFailure") {
    event.success = false;
    event.error = cut_text_at(root, "error");
    event.interrupted = flag_at(root, "is_interrupt");
  } else if (name == "PermissionDenied") {
    event.success = false;
  } else if (name == "StopFailure") {
    event.success = false;
    event.error = cut_text_at(root, "error");
  } else if (name == "PreModelSwitch" || name == "PostModelSwitch") {
    event.model = cut_text_at(root, "to_model");
  }
}

}  // namespace

std::string_view cut_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  std::size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

bool is_known_hook_event(std::string_view name) { return find_spec(name) != nullptr; }

Result<HookEvent> parse_hook_event(std::string_view json, const HookParseOptions& options) {
  dom::parser parser;
  dom::element root;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    return fail(Errc::kInvalidInput,
                fmt::format("hook input is not JSON: {}", simdjson::error_message(e)));
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return fail(Errc::kInvalidInput, "hook input is not a JSON object");
  }
  HookEvent event;
  std::string_view name;
  if (root["hook_event_name"].get_string().get(name) != simdjson::SUCCESS || name.empty()) {
    return fail(Errc::kInvalidInput, "hook input has no hook_event_name");
  }
  event.name = std::string(cut_utf8(name, kMaxHookTextBytes));
  read_common(event, root);
  read_outcome(event, root);
  if (options.tool_input_summary && !event.tool_name.empty()) {
    event.tool_input_summary = tool_input_summary(event.tool_name, root);
  }
  if (const EventSpec* spec = find_spec(event.name)) {
    for (const FactSpec& fact : spec->facts) {
      add_fact(event, root, fact);
    }
  } else {
    event.known = false;
    add_unknown_facts(event, object);
  }
  return event;
}

}  // namespace ccgauge::ingest

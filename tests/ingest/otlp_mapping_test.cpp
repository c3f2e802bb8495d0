#include "ingest/otlp/mapping.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/time.h"
#include "tests/ingest/otlp_payloads.h"

namespace ccgauge::ingest::otlp {
namespace {

using namespace ccgauge::testing::otlp;

std::string attr(const Attributes& attributes, std::string_view key) {
  const std::string* v = find_attribute(attributes, key);
  return v != nullptr ? *v : "<absent>";
}

MappedLogs map_protobuf(const pb_collector_logs::ExportLogsServiceRequest& request,
                        MappingOptions options = {}) {
  auto decoded = decode_logs_protobuf(serialize(request));
  EXPECT_TRUE(decoded) << decoded.error().message;
  return decoded ? map_logs(*decoded, options) : MappedLogs{};
}

MappedLogs map_fixture(const std::string& name, MappingOptions options = {}) {
  auto decoded = decode_logs_json(read_fixture(name));
  EXPECT_TRUE(decoded) << decoded.error().message;
  return decoded ? map_logs(*decoded, options) : MappedLogs{};
}

// Every event of research/telemetry.md §1.6, each with a few of its own attributes in the types
// Claude Code 2.1.330 sends.
struct EventCase {
  std::string name;
  std::vector<Attr> extra;
};

std::vector<EventCase> every_event() {
  return {
      {"user_prompt",
       {S("prompt_length", "11"), S("prompt", "fix the bug"), S("prompt_text", "fix the bug"),
        S("message.uuid", "m-1"), S("command_name", "review"), S("command_source", "builtin")}},
      {"assistant_response",
       {I("response_length", 5), S("response", "Done."), S("model", "claude-opus-4-6"),
        S("request_id", "req_1")}},
      {"tool_result",
       {S("tool_name", "Bash"), S("tool_use_id", "toolu_1"), S("success", "true"),
        S("duration_ms", "1234"), S("decision_type", "accept"), S("decision_source", "config"),
        S("tool_result_size_bytes", "512")}},
      {"api_request",
       {S("model", "claude-opus-4-6"), D("cost_usd", 0.0421), I("cost_usd_micros", 42100),
        I("duration_ms", 5120), I("ttft_ms", 800), I("input_tokens", 3), I("output_tokens", 250),
        I("cache_read_tokens", 14723), I("cache_creation_tokens", 1200),
        I("cache_creation_5m_tokens", 200), I("cache_creation_1h_tokens", 1000),
        S("request_id", "req_011CTest"), S("client_request_id", "c-1"), S("speed", "fast"),
        S("query_source", "repl_main_thread"), S("effort", "high"), S("agent.name", "custom")}},
      {"api_error",
       {S("model", "claude-opus-4-6"), S("error", "Overloaded"), I("status_code", 529),
        I("duration_ms", 100), I("attempt", 11), S("request_id", "req_2")}},
      {"api_retries_exhausted",
       {S("model", "claude-opus-4-6"), S("error", "Overloaded"), S("status_code", "529"),
        S("total_attempts", "11"), S("total_retry_duration_ms", "60000")}},
      {"api_refusal",
       {S("model", "claude-opus-4-6"), S("request_id", "req_3"), B("has_category", true),
        I("attempt", 1)}},
      {"api_request_body",
       {S("body", R"({"messages":[]})"), I("body_length", 15), B("body_truncated", false)}},
      {"api_response_body", {S("body", R"({"content":[]})"), B("body_truncated", false)}},
      {"tool_decision",
       {S("tool_name", "Edit"), S("decision", "reject"), S("source", "user_reject"),
        S("tool_source", "builtin")}},
      {"permission_mode_changed",
       {S("from_mode", "default"), S("to_mode", "plan"), S("trigger", "shift_tab")}},
      {"auth", {S("action", "login"), S("success", "true"), S("auth_method", "oauth")}},
      {"mcp_server_connection",
       {S("status", "connected"), S("transport_type", "stdio"), S("duration_ms", "80"),
        B("is_plugin", false)}},
      {"internal_error", {S("error_name", "TypeError"), S("error_code", "E1")}},
      {"plugin_installed",
       {B("marketplace.is_official", true), S("install.trigger", "cli"), S("plugin.name", "p"),
        S("plugin.version", "1.0.0")}},
      {"plugin_loaded",
       {S("plugin.name", "p"), S("plugin.scope", "user"), B("has_hooks", true),
        I("skill_path_count", 2), S("safe_mode", "false")}},
      {"skill_activated", {S("skill.name", "custom_skill"), S("invocation_trigger", "user-slash")}},
      {"at_mention", {S("mention_type", "file"), B("success", true)}},
      {"hook_registered", {S("hook_event", "PreToolUse"), S("hook_type", "command")}},
      {"hook_execution_start",
       {S("hook_event", "PreToolUse"), S("hook_name", "PreToolUse:Write"), I("num_hooks", 1)}},
      {"hook_execution_complete",
       {S("hook_event", "PreToolUse"), I("num_success", 1), I("num_blocking", 0),
        I("total_duration_ms", 12)}},
      {"hook_plugin_metrics", {S("plugin_id", "p1"), S("hook_event", "Stop"), I("my_counter", 3)}},
      {"compaction",
       {S("trigger", "auto"), S("success", "true"), S("pre_tokens", "150000"),
        S("post_tokens", "20000"), S("duration_ms", "9000")}},
      {"subagent_completed",
       {S("agent_type", "general-purpose"), I("total_tokens", 4000), I("total_tool_uses", 7),
        S("model", "claude-sonnet-4-5")}},
      {"feedback_survey",
       {S("event_type", "appeared"), S("survey_type", "session"), B("enabled_via_override", true)}},
      {"retention_sweep", {S("result", "ok"), I("period_days", 30), I("transcripts_deleted", 4)}},
      {"safety_event",
       {S("tool_class", "shell"), S("tool_name", "Bash"), S("sandbox_violation_count", "1"),
        S("sandbox_enabled", "true")}},
      {"managed_settings_resolved",
       {S("managed_settings.resolved_sha256", "abc"), S("managed_settings.trigger", "startup")}},
      {"system_prompt", {S("system_prompt_hash", "h"), I("system_prompt_length", 9000)}},
      {"tool", {S("tool_name", "Read"), S("tool_hash", "t")}},
  };
}

pb_collector_logs::ExportLogsServiceRequest every_event_request() {
  auto request = logs_request();
  std::int64_t sequence = 0;
  for (const EventCase& c : every_event()) {
    add_event(request, c.name, sequence++, c.extra);
  }
  return request;
}

TEST(OtlpMapLogs, EveryClaudeCodeEventBecomesAnEvent) {
  MappedLogs out = map_protobuf(every_event_request());
  std::vector<EventCase> cases = every_event();
  EXPECT_EQ(out.rejected.count, 0) << out.rejected.message();
  ASSERT_EQ(out.events.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const TelemetryEvent& e = out.events[i];
    EXPECT_EQ(e.name, cases[i].name);
    EXPECT_EQ(e.instant, from_epoch_ms(1763700012345 + static_cast<std::int64_t>(i) * 1000));
    EXPECT_EQ(e.session_id, "2ff46cd5-0000-4000-8000-000000000001");
    EXPECT_EQ(e.prompt_id, "550e8400-e29b-41d4-a716-446655440000");
    ASSERT_TRUE(e.sequence);
    EXPECT_EQ(*e.sequence, static_cast<std::int64_t>(i));
    EXPECT_EQ(e.origin->service_name, "claude-code");
    EXPECT_EQ(e.origin->service_version, "2.1.330");
    EXPECT_EQ(e.origin->host, "devbox");
    EXPECT_EQ(e.origin->user_id, std::string(64, 'a'));
    EXPECT_EQ(e.origin->user_email, "dev@example.com");
    EXPECT_EQ(e.origin->user_account_uuid, "acct-uuid");
    EXPECT_EQ(e.origin->organization_id, "org-uuid");
    EXPECT_EQ(e.origin->terminal_type, "tmux");
    EXPECT_EQ(attr(e.origin->resource, "repo"), "ccgauge");
    EXPECT_EQ(attr(e.attributes, "event.name"), cases[i].name);
  }
  // Event-specific attributes come through, whatever their wire type.
  EXPECT_EQ(out.events[2].model, "");
  EXPECT_EQ(attr(out.events[2].attributes, "duration_ms"), "1234");
  EXPECT_EQ(out.events[4].model, "claude-opus-4-6");
  EXPECT_EQ(attribute_int(out.events[4].attributes, "status_code"), 529);
  EXPECT_EQ(attribute_int(out.events[5].attributes, "status_code"), 529);
  EXPECT_EQ(attribute_bool(out.events[15].attributes, "has_hooks"), true);
  EXPECT_EQ(attribute_bool(out.events[15].attributes, "safe_mode"), false);
  EXPECT_EQ(attribute_int(out.events[22].attributes, "pre_tokens"), 150000);
  EXPECT_TRUE(out.limits.empty());
}

TEST(OtlpMapLogs, ApiRequestBecomesAUsageRecord) {
  MappedLogs out = map_protobuf(every_event_request());
  ASSERT_EQ(out.usage.size(), 1u);
  const UsageRecord& r = out.usage[0];
  EXPECT_EQ(r.instant, from_epoch_ms(1763700012345 + 3000));
  EXPECT_EQ(r.message_id, "");
  EXPECT_EQ(r.request_id, "req_011CTest");
  EXPECT_EQ(r.session_id, "2ff46cd5-0000-4000-8000-000000000001");
  EXPECT_EQ(r.model, "claude-opus-4-6");
  EXPECT_EQ(r.tokens.input, 3);
  EXPECT_EQ(r.tokens.output, 250);
  EXPECT_EQ(r.tokens.cache_read, 14723);
  EXPECT_EQ(r.tokens.cache_write_5m, 200);  // the 5m/1h breakdown wins over the total
  EXPECT_EQ(r.tokens.cache_write_1h, 1000);
  EXPECT_EQ(r.speed, Speed::kFast);
  EXPECT_EQ(r.agent, Agent::kMain);
  EXPECT_FALSE(r.sidechain);
  ASSERT_TRUE(r.reported_cost);
  EXPECT_EQ(*r.reported_cost, 42'100'000);  // 0.0421 USD in nanodollars
  // The event is kept as well, with what the usage record has no field for.
  EXPECT_EQ(attribute_int(out.events[3].attributes, "duration_ms"), 5120);
  EXPECT_EQ(attribute_int(out.events[3].attributes, "ttft_ms"), 800);
}

TEST(OtlpMapLogs, NumbersAsStringsIntsOrDoublesGiveTheSameRecord) {
  MappedLogs out = map_fixture("logs_api_request_variants.json");
  ASSERT_EQ(out.usage.size(), 3u);
  const UsageRecord& old_strings = out.usage[0];  // 2.1.112: every number a string
  const UsageRecord& numbers = out.usage[1];      // 2.1.122+: ints and doubles
  EXPECT_EQ(old_strings.tokens, numbers.tokens);
  EXPECT_EQ(old_strings.reported_cost, numbers.reported_cost);
  EXPECT_EQ(old_strings.tokens.input, 45);
  EXPECT_EQ(old_strings.tokens.output, 678);
  EXPECT_EQ(old_strings.tokens.cache_read, 9000);
  EXPECT_EQ(old_strings.tokens.cache_write_5m, 100);  // no breakdown: all 5-minute
  EXPECT_EQ(old_strings.tokens.cache_write_1h, 0);
  EXPECT_EQ(*old_strings.reported_cost, 12'300'000);
  EXPECT_EQ(old_strings.speed, Speed::kStandard);
  // cost_usd of exactly 0 arrives as an int.
  const UsageRecord& zero = out.usage[2];
  ASSERT_TRUE(zero.reported_cost);
  EXPECT_EQ(*zero.reported_cost, 0);
  EXPECT_EQ(zero.tokens.cache_write_5m, 100);
  EXPECT_EQ(zero.tokens.cache_write_1h, 200);
  EXPECT_EQ(zero.agent, Agent::kSubagent);
  EXPECT_TRUE(zero.sidechain);
  // A boolean where a token count belongs: the record is rejected whole, with the reason.
  EXPECT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.rejected.count, 1);
  EXPECT_NE(out.rejected.message().find("output_tokens 'true'"), std::string::npos)
      << out.rejected.message();
}

TEST(OtlpMapLogs, CostFromMicrosWhenCostUsdIsAbsent) {
  auto request = logs_request();
  add_event(request, "api_request", 1, {I("cost_usd_micros", 1500), I("input_tokens", 2)});
  MappedLogs out = map_protobuf(request);
  ASSERT_EQ(out.usage.size(), 1u);
  EXPECT_EQ(out.usage[0].reported_cost, 1'500'000);
  auto none = logs_request();
  add_event(none, "api_request", 1, {I("input_tokens", 2)});
  MappedLogs without = map_protobuf(none);
  ASSERT_EQ(without.usage.size(), 1u);
  EXPECT_FALSE(without.usage[0].reported_cost);
}

TEST(OtlpMapLogs, NegativeOrUnreadableUsageIsRejected) {
  auto request = logs_request();
  add_event(request, "api_request", 1, {I("input_tokens", -5)});
  add_event(request, "api_request", 2, {S("cost_usd", "cheap")});
  add_event(request, "api_request", 3, {D("cost_usd", -1.0)});
  add_event(request, "api_request", 4, {D("input_tokens", 12.0)});
  MappedLogs out = map_protobuf(request);
  EXPECT_EQ(out.rejected.count, 3);
  ASSERT_EQ(out.usage.size(), 1u);
  EXPECT_EQ(out.usage[0].tokens.input, 12);
  EXPECT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.rejected.reasons.size(), 3u);
}

TEST(OtlpMapLogs, PromptTextOnlyWhenOptedIn) {
  auto request = logs_request();
  add_event(
      request, "user_prompt", 1,
      {S("prompt_length", "11"), S("prompt", "fix the bug"), S("prompt_text", "fix the bug")});
  add_event(request, "user_prompt", 2, {S("prompt", "h\xC3\xA9llo \xF0\x9F\x98\x80")});
  add_event(request, "user_prompt", 3, {S("prompt_length", "4"), S("prompt", "<REDACTED>")});
  add_event(request, "assistant_response", 4, {S("response", "Done.")});
  add_event(request, "api_request_body", 5, {S("body", "{}"), I("body_length", 2)});

  MappedLogs off = map_protobuf(request);
  ASSERT_EQ(off.events.size(), 5u);
  EXPECT_EQ(attr(off.events[0].attributes, "prompt"), "<absent>");
  EXPECT_EQ(attr(off.events[0].attributes, "prompt_text"), "<absent>");
  EXPECT_EQ(attr(off.events[0].attributes, "prompt_length"), "11");
  EXPECT_EQ(attr(off.events[1].attributes, "prompt"), "<absent>");
  // Length computed as Claude Code counts it (UTF-16 units): h é l l o space + one emoji (2).
  EXPECT_EQ(attr(off.events[1].attributes, "prompt_length"), "8");
  EXPECT_EQ(attr(off.events[2].attributes, "prompt"), "<REDACTED>");
  EXPECT_EQ(attr(off.events[3].attributes, "response"), "<absent>");
  EXPECT_EQ(attr(off.events[3].attributes, "response_length"), "5");
  EXPECT_EQ(attr(off.events[4].attributes, "body"), "<absent>");
  EXPECT_EQ(attr(off.events[4].attributes, "body_length"), "2");
  for (const TelemetryEvent& e : off.events) {
    for (const auto& [key, value] : e.attributes) {
      EXPECT_EQ(value.find("fix the bug"), std::string::npos) << key;
    }
  }

  MappedLogs on = map_protobuf(request, MappingOptions{.include_prompt_text = true});
  ASSERT_EQ(on.events.size(), 5u);
  EXPECT_EQ(attr(on.events[0].attributes, "prompt"), "fix the bug");
  EXPECT_EQ(attr(on.events[0].attributes, "prompt_text"), "fix the bug");
  EXPECT_EQ(attr(on.events[1].attributes, "prompt"), "h\xC3\xA9llo \xF0\x9F\x98\x80");
  EXPECT_EQ(attr(on.events[1].attributes, "prompt_length"), "<absent>");
  EXPECT_EQ(attr(on.events[3].attributes, "response"), "Done.");
  EXPECT_EQ(attr(on.events[4].attributes, "body"), "{}");
}

TEST(OtlpMapLogs, JsonPromptFixtureHonoursTheOption) {
  MappedLogs off = map_fixture("logs_claude_code.json");
  ASSERT_EQ(off.events.size(), 2u);
  EXPECT_EQ(off.events[1].name, "user_prompt");
  EXPECT_EQ(attr(off.events[1].attributes, "prompt"), "<absent>");
  EXPECT_EQ(attr(off.events[1].attributes, "prompt_length"), "11");
  MappedLogs on = map_fixture("logs_claude_code.json", {.include_prompt_text = true});
  EXPECT_EQ(attr(on.events[1].attributes, "prompt"), "fix the bug");
  ASSERT_EQ(off.usage.size(), 1u);
  EXPECT_EQ(off.usage[0].tokens.cache_write_5m, 1200);
  EXPECT_EQ(off.events[0].origin->host, "devbox");
  EXPECT_EQ(off.events[0].origin->user_email, "dev@example.com");
}

TEST(OtlpMapLogs, TimesNamesAndRejections) {
  MappedLogs out = map_fixture("logs_edge_cases.json");
  // Accepted: event.timestamp as the only time, event.name without a body, a record without
  // attributes, the event_name field. Rejected: no time at all, a non-string body, a body that
  // is prose, and a record with nothing.
  ASSERT_EQ(out.events.size(), 4u);
  EXPECT_EQ(out.events[0].name, "tool_decision");
  EXPECT_EQ(out.events[0].instant, *parse_timestamp("2026-11-21T04:40:12.345Z"));
  EXPECT_EQ(out.events[1].name, "auth");
  EXPECT_EQ(out.events[1].instant, from_epoch_ms(1763700012345));  // observed time
  EXPECT_EQ(out.events[2].name, "tool_result");
  EXPECT_EQ(out.events[3].name, "permission_mode_changed");
  EXPECT_EQ(out.rejected.count, 4);
  std::string message = out.rejected.message();
  EXPECT_NE(message.find("without a time"), std::string::npos) << message;
  EXPECT_NE(message.find("unusable body"), std::string::npos) << message;
  EXPECT_EQ(message.substr(0, 12), "4 rejected: ");
}

TEST(OtlpMapLogs, UnknownEventsAreKeptAsGenericEvents) {
  MappedLogs out = map_fixture("logs_unknown_event.json");
  EXPECT_EQ(out.rejected.count, 0);
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].name, "quantum_flux_calibrated");
  EXPECT_EQ(out.events[0].session_id, "s9");
  EXPECT_EQ(attribute_double(out.events[0].attributes, "flux_level"), 1.21);
  EXPECT_EQ(out.events[1].name, "my_tool.started");  // not Claude Code's: kept as named
  EXPECT_TRUE(out.usage.empty());
}

TEST(OtlpMapLogs, UsageLimitMessageGivesALimitSample) {
  auto request = logs_request();
  add_event(request, "api_error", 1,
            {S("error", "Claude AI usage limit reached|1738425600"), I("status_code", 429)});
  MappedLogs out = map_protobuf(request);
  ASSERT_EQ(out.limits.size(), 1u);
  EXPECT_EQ(out.limits[0].source, "otlp");
  EXPECT_EQ(out.limits[0].window, "five_hour");
  EXPECT_EQ(out.limits[0].resets_at_epoch_s, 1738425600);
  EXPECT_FALSE(out.limits[0].used_percent);
  EXPECT_EQ(out.limits[0].session_id, "2ff46cd5-0000-4000-8000-000000000001");
  EXPECT_EQ(out.events.size(), 1u);
}

TEST(OtlpMapLogs, RecordAttributesWinOverTheResource) {
  auto request = logs_request();
  add_attrs(request.mutable_resource_logs(0)->mutable_resource()->mutable_attributes(),
            {S("user.email", "resource@example.com"), S("terminal.type", "vscode")});
  pb_logs::LogRecord* r =
      request.mutable_resource_logs(0)->mutable_scope_logs(0)->add_log_records();
  r->set_time_unix_nano(kT0);
  r->mutable_body()->set_string_value("claude_code.auth");
  add_attrs(r->mutable_attributes(), {S("user.email", "record@example.com")});
  MappedLogs out = map_protobuf(request);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].origin->user_email, "record@example.com");
  EXPECT_EQ(out.events[0].origin->terminal_type, "vscode");
}

TEST(OtlpAttributes, CoercionAcrossTypes) {
  Attributes a = {{"i", "45"},  {"d", "45.0"},   {"e", "4.5e1"}, {"f", "2.6"},  {"t", "TRUE"},
                  {"one", "1"}, {"no", "false"}, {"x", "abc"},   {"empty", ""}, {"big", "1e30"}};
  EXPECT_EQ(attribute_int(a, "i"), 45);
  EXPECT_EQ(attribute_int(a, "d"), 45);
  EXPECT_EQ(attribute_int(a, "e"), 45);
  EXPECT_EQ(attribute_int(a, "f"), 3);
  EXPECT_EQ(attribute_int(a, "x"), std::nullopt);
  EXPECT_EQ(attribute_int(a, "empty"), std::nullopt);
  EXPECT_EQ(attribute_int(a, "big"), std::nullopt);
  EXPECT_EQ(attribute_int(a, "missing"), std::nullopt);
  EXPECT_EQ(attribute_double(a, "i"), 45.0);
  EXPECT_EQ(attribute_double(a, "f"), 2.6);
  EXPECT_EQ(attribute_bool(a, "t"), true);
  EXPECT_EQ(attribute_bool(a, "one"), true);
  EXPECT_EQ(attribute_bool(a, "no"), false);
  EXPECT_EQ(attribute_bool(a, "x"), std::nullopt);
}

TEST(OtlpAttributes, JsonAttributeTypeFixtureCoerces) {
  auto decoded = decode_logs_json(read_fixture("logs_attribute_types.json"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  MappedLogs out = map_logs(*decoded);
  ASSERT_EQ(out.events.size(), 1u);
  const Attributes& a = out.events[0].attributes;
  EXPECT_EQ(attribute_int(a, "i_num"), 45);
  EXPECT_EQ(attribute_int(a, "i_str"), 45);
  EXPECT_EQ(attribute_int(a, "d_int"), 3);
  EXPECT_EQ(attribute_double(a, "d_str"), 2.5);
  EXPECT_EQ(attribute_bool(a, "b_true"), true);
  EXPECT_EQ(attribute_bool(a, "b_str"), false);
}

// ---- metrics

TEST(OtlpMapMetrics, EveryClaudeCodeMetric) {
  auto request = metrics_request();
  std::vector<Attr> standard = {S("user.id", std::string(64, 'a')), S("session.id", "s1"),
                                S("user.email", "dev@example.com"),
                                S("organization.id", "org-uuid"), S("terminal.type", "tmux")};
  auto with = [&](std::vector<Attr> extra) {
    std::vector<Attr> all = standard;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };
  add_sum(request, "claude_code.session.count", "", 1, with({S("start_type", "fresh")}));
  add_sum(request, "claude_code.lines_of_code.count", "", 120,
          with({S("type", "added"), S("model", "claude-opus-4-6")}));
  add_sum(request, "claude_code.pull_request.count", "", 1, with({}));
  add_sum(request, "claude_code.commit.count", "", 2, with({}));
  add_sum(request, "claude_code.cost.usage", "USD", 0.0421,
          with({S("model", "claude-opus-4-6"), S("query_source", "main"), S("speed", "fast")}));
  add_sum(request, "claude_code.token.usage", "tokens", 14723,
          with({S("model", "claude-opus-4-6"), S("type", "cacheRead")}));
  add_sum(request, "claude_code.code_edit_tool.decision", "", 3,
          with({S("tool_name", "Edit"), S("decision", "accept"), S("source", "config"),
                S("language", "TypeScript")}));
  add_sum(request, "claude_code.active_time.total", "s", 42.5, with({S("type", "cli")}),
          pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);

  auto decoded = decode_metrics_protobuf(serialize(request));
  ASSERT_TRUE(decoded) << decoded.error().message;
  MappedMetrics out = map_metrics(*decoded);
  EXPECT_EQ(out.rejected.count, 0) << out.rejected.message();
  EXPECT_EQ(out.ignored, 0);
  ASSERT_EQ(out.points.size(), 8u);
  const char* names[] = {"claude_code.session.count",
                         "claude_code.lines_of_code.count",
                         "claude_code.pull_request.count",
                         "claude_code.commit.count",
                         "claude_code.cost.usage",
                         "claude_code.token.usage",
                         "claude_code.code_edit_tool.decision",
                         "claude_code.active_time.total"};
  for (std::size_t i = 0; i < 8; ++i) {
    const MetricPoint& p = out.points[i];
    EXPECT_EQ(p.name, names[i]);
    EXPECT_EQ(p.kind, MetricKind::kSum);
    EXPECT_TRUE(p.monotonic);
    EXPECT_EQ(p.session_id, "s1");
    EXPECT_EQ(p.instant, from_epoch_ms(1763700012345));
    EXPECT_EQ(p.start, from_epoch_ms(1763700012345 - 60000));
    EXPECT_EQ(p.origin.service_name, "claude-code");
    EXPECT_EQ(p.origin.host, "devbox");
    EXPECT_EQ(p.origin.user_email, "dev@example.com");
    EXPECT_EQ(p.origin.organization_id, "org-uuid");
    EXPECT_EQ(p.origin.terminal_type, "tmux");
    EXPECT_EQ(attr(p.origin.resource, "repo"), "ccgauge");
  }
  EXPECT_EQ(out.points[4].unit, "USD");
  EXPECT_DOUBLE_EQ(out.points[4].value, 0.0421);
  EXPECT_EQ(out.points[4].model, "claude-opus-4-6");
  EXPECT_EQ(out.points[4].temporality, MetricTemporality::kDelta);
  EXPECT_EQ(attr(out.points[5].attributes, "type"), "cacheRead");
  EXPECT_EQ(attr(out.points[6].attributes, "language"), "TypeScript");
  EXPECT_EQ(out.points[7].temporality, MetricTemporality::kCumulative);
  EXPECT_DOUBLE_EQ(out.points[7].value, 42.5);
}

TEST(OtlpMapMetrics, JsonFixtureOfClaudeCode) {
  auto decoded = decode_metrics_json(read_fixture("metrics_claude_code.json"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  MappedMetrics out = map_metrics(*decoded);
  EXPECT_EQ(out.rejected.count, 0) << out.rejected.message();
  ASSERT_EQ(out.points.size(), 9u);
  EXPECT_EQ(out.points[1].model, "claude-opus-4-6");
  EXPECT_EQ(attr(out.points[2].attributes, "type"), "removed");
  EXPECT_DOUBLE_EQ(out.points[4].value, 2);
  EXPECT_EQ(out.points[6].origin.user_email, "dev@example.com");
  EXPECT_EQ(out.points[6].origin.user_id, "9f00");
}

TEST(OtlpMapMetrics, OtherKindsAreIgnoredOrRejectedWithReasons) {
  auto decoded = decode_metrics_json(read_fixture("metrics_other_kinds.json"));
  ASSERT_TRUE(decoded) << decoded.error().message;
  MappedMetrics out = map_metrics(*decoded);
  // Gauge kept; histogram, exponential histogram, summary and the no-value flag ignored; sum
  // without temporality, no time, no value and an infinite value rejected.
  ASSERT_EQ(out.points.size(), 1u);
  EXPECT_EQ(out.points[0].name, "queue.depth");
  EXPECT_EQ(out.points[0].kind, MetricKind::kGauge);
  EXPECT_EQ(out.points[0].temporality, MetricTemporality::kUnspecified);
  EXPECT_DOUBLE_EQ(out.points[0].value, 7);
  EXPECT_EQ(out.ignored, 4);
  EXPECT_EQ(out.rejected.count, 4);
  std::string message = out.rejected.message();
  EXPECT_NE(message.find("no.temporality sum without aggregation temporality"), std::string::npos)
      << message;
  EXPECT_NE(message.find("no.time data point without a time"), std::string::npos) << message;
  EXPECT_NE(message.find("no.value data point without a value"), std::string::npos) << message;
  EXPECT_NE(message.find("not.finite"), std::string::npos) << message;
}

}  // namespace
}  // namespace ccgauge::ingest::otlp

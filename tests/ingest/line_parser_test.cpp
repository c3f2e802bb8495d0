#include "ingest/transcripts/line_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "core/time.h"

namespace ccgauge::ingest {
namespace {

// Parses `line` with the padding the parser needs.
ParsedLine parse(const std::string& line) {
  static LineParser parser;
  std::string buffer = line + std::string(kLinePadding, ' ');
  ParsedLine out;
  parser.parse(std::string_view(buffer.data(), line.size()), out);
  return out;
}

const char* kAssistant =
    R"({"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/home/alice/work/web-demo","sessionId":"9f6d","version":"2.1.14","gitBranch":"main","message":{"model":"claude-opus-4-6","id":"msg_01","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls -la","description":"List files"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":4,"cache_creation_input_tokens":24324,"cache_read_input_tokens":28434,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":24324},"output_tokens":375,"service_tier":"standard"}},"requestId":"req_011","type":"assistant","uuid":"273b","timestamp":"2026-03-02T03:03:51.467Z"})";

TEST(LineParser, ReadsARealAssistantLine) {
  ParsedLine p = parse(kAssistant);
  ASSERT_EQ(p.kind, LineKind::kUsage) << p.error;
  const UsageRecord& r = p.record;
  EXPECT_EQ(r.message_id, "msg_01");
  EXPECT_EQ(r.request_id, "req_011");
  EXPECT_EQ(r.session_id, "9f6d");
  EXPECT_EQ(r.model, "claude-opus-4-6");
  EXPECT_EQ(p.cwd, "/home/alice/work/web-demo");
  EXPECT_EQ(r.tokens.input, 4);
  EXPECT_EQ(r.tokens.output, 375);
  EXPECT_EQ(r.tokens.cache_write_5m, 0);
  EXPECT_EQ(r.tokens.cache_write_1h, 24324);
  EXPECT_EQ(r.tokens.cache_read, 28434);
  EXPECT_EQ(format_iso_ms(r.instant), "2026-03-02T03:03:51.467Z");
  EXPECT_FALSE(r.sidechain);
  EXPECT_EQ(r.speed, Speed::kStandard);
}

TEST(LineParser, WithoutBreakdownCacheCreationIsFiveMinute) {
  ParsedLine p = parse(
      R"({"sessionId":"s","timestamp":"2026-03-02T03:03:51Z","message":{"model":"claude-haiku-4-5","id":"m","usage":{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":300,"cache_read_input_tokens":4}},"requestId":"r"})");
  ASSERT_EQ(p.kind, LineKind::kUsage) << p.error;
  EXPECT_EQ(p.record.tokens.cache_write_5m, 300);
  EXPECT_EQ(p.record.tokens.cache_write_1h, 0);
}

TEST(LineParser, ToleratesWhatCcusageDrops) {
  // Spaces after colons, nulls inside tool input, microseconds and an offset, numbers as
  // floats and strings.
  ParsedLine p = parse(
      R"({"sessionId" : "s", "cwd": null, "timestamp" : "2026-03-02T05:03:51.123456+02:00", "message" : {"model" : "claude-sonnet-4-5", "id" : "m", "content":[{"type":"tool_use","id":null,"input":{"model":null}}], "usage" : {"input_tokens" : 10.0, "output_tokens" : "20", "cache_read_input_tokens": null}}, "requestId" : "r", "costUSD": null})");
  ASSERT_EQ(p.kind, LineKind::kUsage) << p.error;
  EXPECT_EQ(p.record.tokens.input, 10);
  EXPECT_EQ(p.record.tokens.output, 20);
  EXPECT_EQ(p.record.tokens.cache_read, 0);
  EXPECT_EQ(format_iso_ms(p.record.instant), "2026-03-02T03:03:51.123Z");
  EXPECT_FALSE(p.record.reported_cost.has_value());
}

TEST(LineParser, ReadsWebRequestsSpeedAndCost) {
  ParsedLine p = parse(
      R"({"sessionId":"s","timestamp":"2026-03-02T03:03:51.000Z","costUSD":0.015,"message":{"model":"claude-opus-4-6","id":"m","usage":{"input_tokens":1,"output_tokens":2,"speed":"fast","server_tool_use":{"web_search_requests":3,"web_fetch_requests":1}}},"requestId":"r"})");
  ASSERT_EQ(p.kind, LineKind::kUsage) << p.error;
  EXPECT_EQ(p.record.speed, Speed::kFast);
  EXPECT_EQ(p.record.tokens.web_search_requests, 3);
  EXPECT_EQ(p.record.tokens.web_fetch_requests, 1);
  ASSERT_TRUE(p.record.reported_cost.has_value());
  EXPECT_EQ(*p.record.reported_cost, 15'000'000);
}

TEST(LineParser, ReadsUsageNestedInAProgressLine) {
  ParsedLine p = parse(
      R"({"sessionId":"session-a","version":"1.2.3","type":"progress","data":{"type":"agent_progress","message":{"type":"assistant","timestamp":"2026-03-10T06:00:01.000Z","message":{"model":"claude-haiku-4-5-20251001","id":"msg_haiku","type":"message","role":"assistant","content":[],"usage":{"input_tokens":20,"output_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"requestId":"req_haiku","uuid":"nested"}},"timestamp":"2026-03-10T06:00:01.001Z"})");
  ASSERT_EQ(p.kind, LineKind::kUsage) << p.error;
  EXPECT_EQ(p.record.message_id, "msg_haiku");
  EXPECT_EQ(p.record.request_id, "req_haiku");
  EXPECT_EQ(p.record.session_id, "session-a");
  EXPECT_TRUE(p.record.sidechain);
  EXPECT_EQ(p.record.agent, Agent::kSubagent);
  EXPECT_EQ(format_iso_ms(p.record.instant), "2026-03-10T06:00:01.000Z");
}

TEST(LineParser, SyntheticLinesCarryNoUsageButALimitReset) {
  ParsedLine p = parse(
      R"({"isSidechain":false,"sessionId":"s","type":"assistant","timestamp":"2025-01-10T09:41:00.000Z","message":{"id":"5d8e","model":"<synthetic>","role":"assistant","usage":{"input_tokens":0,"output_tokens":0},"content":[{"type":"text","text":"Claude AI usage limit reached|1736503200"}]},"isApiErrorMessage":true})");
  EXPECT_EQ(p.kind, LineKind::kSynthetic);
  ASSERT_TRUE(p.limit_reset_epoch_s.has_value());
  EXPECT_EQ(*p.limit_reset_epoch_s, 1736503200);
}

TEST(LineParser, UserLinesThatMentionUsageAreNotUsage) {
  EXPECT_EQ(parse(R"({"type":"user","message":{"role":"user","content":"what is \"usage\"?"},"timestamp":"2026-03-02T03:03:51Z"})").kind,
            LineKind::kNoUsage);
  EXPECT_EQ(parse(R"({"type":"user","message":"a plain string","usage":1,"timestamp":"2026-03-02T03:03:51Z"})").kind,
            LineKind::kNoUsage);
}

TEST(LineParser, MalformedLinesSayWhy) {
  ParsedLine truncated = parse(std::string(kAssistant).substr(0, 200));
  EXPECT_EQ(truncated.kind, LineKind::kMalformed);
  EXPECT_FALSE(truncated.error.empty());
  ParsedLine bad_time = parse(
      R"({"timestamp":"yesterday","message":{"model":"m","id":"m","usage":{"input_tokens":1,"output_tokens":2}}})");
  EXPECT_EQ(bad_time.kind, LineKind::kMalformed);
  EXPECT_NE(bad_time.error.find("yesterday"), std::string::npos);
  ParsedLine negative = parse(
      R"({"timestamp":"2026-03-02T03:03:51Z","message":{"model":"m","id":"m","usage":{"input_tokens":-5,"output_tokens":2}}})");
  EXPECT_EQ(negative.kind, LineKind::kMalformed);
  EXPECT_EQ(parse("[1,2,3]").kind, LineKind::kMalformed);
}

TEST(LineParser, CarriageReturnIsFine) {
  EXPECT_EQ(parse(std::string(kAssistant) + "\r").kind, LineKind::kUsage);
}

TEST(LineParser, PrefilterFindsOnlyUsageKeys) {
  EXPECT_TRUE(may_carry_usage(kAssistant));
  EXPECT_FALSE(may_carry_usage(R"({"type":"user","message":{"content":"usage: x"}})"));
  EXPECT_FALSE(may_carry_usage(R"({"text":"say \"usage\" please"})"));
}

}  // namespace
}  // namespace ccgauge::ingest

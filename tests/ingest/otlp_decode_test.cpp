#include "ingest/otlp/decode.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/otlp/proto_convert.h"
#include "tests/ingest/otlp_payloads.h"

namespace ccgauge::ingest::otlp {
namespace {

using namespace ccgauge::testing::otlp;

std::string attr(const Attributes& attributes, std::string_view key) {
  const std::string* v = find_attribute(attributes, key);
  return v != nullptr ? *v : "<absent>";
}

// ---- gunzip

TEST(OtlpGunzip, RoundTripsAndAcceptsSeveralMembers) {
  std::string body = "hello OTLP " + std::string(100000, 'x');
  auto once = gunzip(gzip(body), 1 << 20);
  ASSERT_TRUE(once) << once.error().message;
  EXPECT_EQ(*once, body);
  auto twice = gunzip(gzip(body, 2), 1 << 20);
  ASSERT_TRUE(twice) << twice.error().message;
  EXPECT_EQ(*twice, body + body);
}

TEST(OtlpGunzip, OutputExactlyAtTheLimitIsAccepted) {
  std::string body(4096, 'a');
  auto out = gunzip(gzip(body), body.size());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->size(), body.size());
  EXPECT_FALSE(gunzip(gzip(body), body.size() - 1));
}

TEST(OtlpGunzip, BombIsABoundedError) {
  // 128 MiB of zeros in about 128 KiB.
  std::string bomb = gzip_zeros(std::size_t{128} << 20);
  ASSERT_LT(bomb.size(), std::size_t{256} << 10);
  auto out = gunzip(bomb, std::size_t{1} << 20);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::kInvalidInput);
  EXPECT_NE(out.error().message.find("limit"), std::string::npos) << out.error().message;
  // The same stream under a limit it fits in inflates completely.
  std::string small = gzip_zeros(std::size_t{3} << 20);
  auto whole = gunzip(small, std::size_t{4} << 20);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->size(), std::size_t{3} << 20);
  EXPECT_EQ(whole->find_first_not_of('\0'), std::string::npos);
}

TEST(OtlpGunzip, TruncatedCorruptAndEmptyAreErrors) {
  std::string packed = gzip(std::string(10000, 'q'));
  auto truncated = gunzip(std::string_view(packed).substr(0, packed.size() / 2), 1 << 20);
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);
  std::string corrupt = packed;
  corrupt[12] = static_cast<char>(corrupt[12] ^ 0x55);
  corrupt[13] = static_cast<char>(corrupt[13] ^ 0x55);
  EXPECT_FALSE(gunzip(corrupt, 1 << 20));
  EXPECT_FALSE(gunzip("not gzip at all", 1 << 20));
  EXPECT_FALSE(gunzip("", 1 << 20));
  EXPECT_FALSE(gunzip(packed + "trailing garbage", 1 << 20));
}

// ---- protobuf

TEST(OtlpDecodeProtobuf, LogsKeepEveryField) {
  auto request = logs_request();
  pb_logs::LogRecord* r = add_event(request, "api_request", 17,
                                    {D("cost_usd", 0.0421), I("input_tokens", 3), B("flag", true)});
  r->set_severity_number(pb_logs::SEVERITY_NUMBER_INFO);
  r->set_severity_text("INFO");
  r->set_trace_id(
      std::string("\x5b\x8e\xff\xf7\x98\x03\x81\x03\xd2\x69\xb6\x33\x81\x3f\xc6\x0c", 16));
  r->set_span_id(std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74", 8));
  pb_common::KeyValue* list = r->add_attributes();
  list->set_key("paths");
  list->mutable_value()->mutable_array_value()->add_values()->set_string_value("/a");
  list->mutable_value()->mutable_array_value()->add_values()->set_int_value(2);
  pb_common::KeyValue* bytes = r->add_attributes();
  bytes->set_key("raw");
  bytes->mutable_value()->set_bytes_value(std::string("\x01\x02\x03", 3));

  auto logs = decode_logs_protobuf(serialize(request));
  ASSERT_TRUE(logs) << logs.error().message;
  ASSERT_EQ(logs->record_count(), 1u);
  const ResourceLogs& resource = logs->resources[0];
  EXPECT_EQ(attr(resource.resource, "service.name"), "claude-code");
  EXPECT_EQ(attr(resource.resource, "repo"), "ccgauge");
  EXPECT_EQ(resource.scopes[0].scope.name, "com.anthropic.claude_code.events");
  EXPECT_EQ(resource.scopes[0].scope.version, "2.1.330");
  const LogRecord& record = resource.scopes[0].records[0];
  EXPECT_EQ(record.time_unix_nano, kT0 + 17 * kSecond);
  EXPECT_EQ(record.observed_time_unix_nano, kT0 + 17 * kSecond);
  EXPECT_EQ(record.severity_number, 9);
  EXPECT_EQ(record.severity_text, "INFO");
  EXPECT_EQ(record.body_kind, ValueKind::kString);
  EXPECT_EQ(record.body, "claude_code.api_request");
  EXPECT_EQ(record.trace_id, "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(record.span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(attr(record.attributes, "event.sequence"), "17");
  EXPECT_EQ(attr(record.attributes, "cost_usd"), "0.0421");
  EXPECT_EQ(attr(record.attributes, "input_tokens"), "3");
  EXPECT_EQ(attr(record.attributes, "flag"), "true");
  EXPECT_EQ(attr(record.attributes, "paths"), R"(["/a",2])");
  EXPECT_EQ(attr(record.attributes, "raw"), "AQID");
}

TEST(OtlpDecodeProtobuf, EmptyBodyIsAnEmptyRequest) {
  auto logs = decode_logs_protobuf("");
  ASSERT_TRUE(logs);
  EXPECT_EQ(logs->record_count(), 0u);
  auto metrics = decode_metrics_protobuf("");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->point_count(), 0u);
  auto traces = decode_traces_protobuf("");
  ASSERT_TRUE(traces);
  EXPECT_EQ(traces->span_count(), 0u);
}

TEST(OtlpDecodeProtobuf, EveryTruncationIsAnError) {
  auto request = logs_request();
  add_event(request, "api_request", 1, {D("cost_usd", 0.5), S("model", "claude-opus-4-6")});
  add_event(request, "user_prompt", 2, {S("prompt_length", "3")});
  std::string bytes = serialize(request);
  ASSERT_TRUE(decode_logs_protobuf(bytes));
  // The request is one length-delimited resource_logs field, so every proper prefix is cut
  // inside it.
  for (std::size_t len = 1; len < bytes.size(); ++len) {
    auto cut = decode_logs_protobuf(std::string_view(bytes).substr(0, len));
    ASSERT_FALSE(cut) << "prefix of " << len << " bytes decoded";
    EXPECT_EQ(cut.error().code, Errc::kInvalidInput);
  }
}

TEST(OtlpDecodeProtobuf, GarbageIsAnError) {
  // A length-delimited field 1 claiming far more bytes than there are.
  EXPECT_FALSE(decode_logs_protobuf(std::string("\x0a\xff\xff\xff\x0f\x01", 6)));
  // Wire type 7 does not exist.
  EXPECT_FALSE(decode_metrics_protobuf(std::string("\x0f\x00", 2)));
  EXPECT_FALSE(
      decode_traces_protobuf(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)));
  auto text = decode_logs_protobuf(read_fixture("logs_claude_code.json"));
  EXPECT_FALSE(text);
}

TEST(OtlpDecodeProtobuf, MetricsKeepKindTemporalityAndValues) {
  auto request = metrics_request();
  add_sum(request, "claude_code.cost.usage", "USD", 0.0421,
          {S("session.id", "s1"), S("model", "claude-opus-4-6")});
  pb_metrics::NumberDataPoint* p = add_sum(request, "claude_code.commit.count", "", 0, {},
                                           pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  p->set_as_int(2);
  pb_metrics::Metric* h =
      request.mutable_resource_metrics(0)->mutable_scope_metrics(0)->add_metrics();
  h->set_name("latency");
  pb_metrics::HistogramDataPoint* hp = h->mutable_histogram()->add_data_points();
  hp->set_count(4);
  hp->set_sum(10.5);
  hp->add_bucket_counts(1);
  hp->add_bucket_counts(3);
  hp->add_explicit_bounds(5);

  auto metrics = decode_metrics_protobuf(serialize(request));
  ASSERT_TRUE(metrics) << metrics.error().message;
  ASSERT_EQ(metrics->point_count(), 3u);
  const std::vector<Metric>& m = metrics->resources[0].scopes[0].metrics;
  EXPECT_EQ(m[0].name, "claude_code.cost.usage");
  EXPECT_EQ(m[0].unit, "USD");
  EXPECT_EQ(m[0].data, MetricData::kSum);
  EXPECT_EQ(m[0].temporality, MetricTemporality::kDelta);
  EXPECT_TRUE(m[0].monotonic);
  EXPECT_TRUE(m[0].points[0].has_value);
  EXPECT_DOUBLE_EQ(m[0].points[0].value, 0.0421);
  EXPECT_EQ(m[0].points[0].start_time_unix_nano, kT0 - 60 * kSecond);
  EXPECT_EQ(m[0].points[0].time_unix_nano, kT0);
  EXPECT_EQ(attr(m[0].points[0].attributes, "model"), "claude-opus-4-6");
  EXPECT_EQ(m[1].temporality, MetricTemporality::kCumulative);
  EXPECT_DOUBLE_EQ(m[1].points[0].value, 2);
  EXPECT_EQ(m[2].data, MetricData::kHistogram);
  EXPECT_EQ(m[2].points[0].count, 4u);
  EXPECT_DOUBLE_EQ(m[2].points[0].value, 10.5);
}

TEST(OtlpDecodeProtobuf, TracesDecode) {
  pb_collector_trace::ExportTraceServiceRequest request;
  pb_trace::ResourceSpans* rs = request.add_resource_spans();
  add_attrs(rs->mutable_resource()->mutable_attributes(), {S("service.name", "claude-code")});
  pb_trace::Span* span = rs->add_scope_spans()->add_spans();
  span->set_name("claude_code.llm_request");
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  span->set_kind(pb_trace::Span::SPAN_KIND_CLIENT);
  span->set_start_time_unix_nano(kT0);
  span->set_end_time_unix_nano(kT0 + kSecond);
  span->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_ERROR);
  add_attrs(span->mutable_attributes(), {I("input_tokens", 3)});
  span->add_events()->set_name("ignored");

  auto traces = decode_traces_protobuf(serialize(request));
  ASSERT_TRUE(traces) << traces.error().message;
  ASSERT_EQ(traces->span_count(), 1u);
  const Span& s = traces->resources[0].scopes[0].spans[0];
  EXPECT_EQ(s.name, "claude_code.llm_request");
  EXPECT_EQ(s.trace_id, "01010101010101010101010101010101");
  EXPECT_EQ(s.span_id, "0202020202020202");
  EXPECT_EQ(s.kind, 3);
  EXPECT_EQ(s.status_code, 2);
  EXPECT_EQ(s.end_time_unix_nano - s.start_time_unix_nano, kSecond);
  EXPECT_EQ(attr(s.attributes, "input_tokens"), "3");
}

TEST(OtlpDecodeProtobuf, InvalidUtf8IsReplacedNotRefused) {
  auto request = logs_request();
  // What protobufjs writes for a lone surrogate (U+D83D as three bytes), and a stray byte.
  add_event(
      request, "user_prompt", 1,
      {S("prompt", std::string("cut \xED\xA0\xBD")), S("error", std::string("bad \xff byte"))});
  auto logs = decode_logs_protobuf(serialize(request));
  ASSERT_TRUE(logs) << logs.error().message;
  const Attributes& a = logs->resources[0].scopes[0].records[0].attributes;
  EXPECT_EQ(attr(a, "prompt"), "cut \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(attr(a, "error"), "bad \xEF\xBF\xBD byte");
}

TEST(OtlpDecodeProtobuf, DeepNestingIsAnError) {
  auto request = logs_request();
  pb_logs::LogRecord* r = add_event(request, "tool_result", 1, {});
  pb_common::AnyValue* v = r->add_attributes()->mutable_value();
  for (int level = 0; level < 40; ++level) {
    v = v->mutable_array_value()->add_values();
  }
  v->set_int_value(1);
  auto logs = decode_logs_protobuf(serialize(request));
  ASSERT_FALSE(logs);
  EXPECT_NE(logs.error().message.find("nested"), std::string::npos) << logs.error().message;
}

// ---- JSON

// The same request as logs_claude_code.json, built with the generated classes.
pb_collector_logs::ExportLogsServiceRequest claude_code_fixture_as_protobuf() {
  pb_collector_logs::ExportLogsServiceRequest request;
  pb_logs::ResourceLogs* rl = request.add_resource_logs();
  add_attrs(rl->mutable_resource()->mutable_attributes(), claude_resource());
  pb_logs::ScopeLogs* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("com.anthropic.claude_code.events");
  sl->mutable_scope()->set_version("2.1.330");
  pb_logs::LogRecord* api = sl->add_log_records();
  api->set_time_unix_nano(kT0);
  api->set_observed_time_unix_nano(kT0);
  api->mutable_body()->set_string_value("claude_code.api_request");
  add_attrs(api->mutable_attributes(),
            {S("user.id", "9f00"), S("session.id", "2ff46cd5-0000-4000-8000-000000000001"),
             S("user.email", "dev@example.com"), S("event.name", "api_request"),
             S("event.timestamp", "2026-11-21T04:40:12.345Z"), I("event.sequence", 17),
             S("prompt.id", "550e8400-e29b-41d4-a716-446655440000"), S("model", "claude-opus-4-6"),
             D("cost_usd", 0.0421), I("cost_usd_micros", 42100), I("duration_ms", 5120),
             I("input_tokens", 3), I("output_tokens", 250), I("cache_read_tokens", 14723),
             I("cache_creation_tokens", 1200), S("request_id", "req_011CTest"), S("speed", "fast"),
             S("query_source", "repl_main_thread")});
  pb_logs::LogRecord* prompt = sl->add_log_records();
  prompt->set_time_unix_nano(kT0 + kSecond);
  prompt->set_observed_time_unix_nano(kT0 + kSecond);
  prompt->mutable_body()->set_string_value("claude_code.user_prompt");
  prompt->set_trace_id(
      std::string("\x5b\x8e\xff\xf7\x98\x03\x81\x03\xd2\x69\xb6\x33\x81\x3f\xc6\x0c", 16));
  prompt->set_span_id(std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74", 8));
  add_attrs(prompt->mutable_attributes(), {S("session.id", "2ff46cd5-0000-4000-8000-000000000001"),
                                           S("event.name", "user_prompt"), I("event.sequence", 18),
                                           S("prompt_length", "11"), S("prompt", "fix the bug")});
  return request;
}

// ---- the logs wire decoder against the generated classes

// What the generated classes and from_proto() make of `bytes`: the reference the hand-written
// decoder must agree with.
Result<DecodedLogs> reference_logs(std::string_view bytes) {
  pb_collector_logs::ExportLogsServiceRequest request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(Errc::kInvalidInput, "not valid protobuf");
  }
  return from_proto(request);
}

// Both decoders accept `bytes` with the same result, or both refuse it.
void expect_same_as_reference(std::string_view bytes, const std::string& what) {
  auto expected = reference_logs(bytes);
  auto actual = decode_logs_protobuf(bytes);
  ASSERT_EQ(expected.has_value(), actual.has_value())
      << what << ": reference " << (expected ? "accepts" : "refuses") << ", wire decoder "
      << (actual ? "accepts" : "refuses: " + actual.error().message);
  if (expected) {
    EXPECT_TRUE(*expected == *actual) << what;
  } else {
    EXPECT_EQ(actual.error().code, Errc::kInvalidInput) << what;
  }
}

// A length-delimited field.
std::string ld(int field, std::string_view payload) {
  std::string out;
  auto varint = [&](std::uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint(static_cast<std::uint64_t>(field) << 3 | 2);
  varint(payload.size());
  out.append(payload);
  return out;
}

// A request of every kind of field the decoder reads: Claude Code events, every value type,
// nested arrays and lists, ids, severities, scope attributes, two resources.
pb_collector_logs::ExportLogsServiceRequest varied_request() {
  auto request = logs_request();
  add_event(request, "api_request", 1,
            {S("model", "claude-opus-4-6"), D("cost_usd", 0.0421), I("input_tokens", 3),
             I("output_tokens", -1), B("flag", false), D("nan", std::nan("")), D("inf", -HUGE_VAL),
             D("zero", -0.0), S("request_id", "req_01")});
  pb_logs::LogRecord* r = add_event(request, "tool_result", 2, {S("tool_name", "Edit")});
  r->set_severity_number(pb_logs::SEVERITY_NUMBER_WARN);
  r->set_severity_text("WARN");
  r->set_trace_id(
      std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16));
  r->set_span_id(std::string("\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", 8));
  r->set_event_name("claude_code.tool_result");
  r->set_flags(1);
  r->set_dropped_attributes_count(2);
  pb_common::AnyValue* list = r->add_attributes()->mutable_value();
  r->mutable_attributes()->rbegin()->set_key("nested");
  pb_common::KeyValueList* kvs = list->mutable_kvlist_value();
  pb_common::KeyValue* a = kvs->add_values();
  a->set_key("a");
  a->mutable_value()->mutable_array_value()->add_values()->set_string_value("x\"y");
  a->mutable_value()->mutable_array_value()->add_values()->set_double_value(1.5);
  a->mutable_value()->mutable_array_value()->add_values();  // empty: null
  pb_common::KeyValue* b = kvs->add_values();
  b->set_key("b");
  b->mutable_value()->set_bytes_value(std::string("\x00\xff", 2));
  kvs->add_values()->set_key("unset");
  pb_common::KeyValue* empty = r->add_attributes();
  empty->set_key("empty");
  empty->mutable_value();
  r->add_attributes()->set_key("no value");
  pb_logs::LogRecord* body_only =
      request.mutable_resource_logs(0)->mutable_scope_logs(0)->add_log_records();
  body_only->set_observed_time_unix_nano(kT0);
  body_only->mutable_body()->mutable_kvlist_value()->add_values()->set_key("k");
  pb_logs::ScopeLogs* scope = request.mutable_resource_logs(0)->add_scope_logs();
  scope->mutable_scope()->set_name("other.scope");
  add_attrs(scope->mutable_scope()->mutable_attributes(), {S("scope.attr", "v"), I("n", 1)});
  scope->add_log_records()->mutable_body()->set_string_value("claude_code.user_prompt");
  pb_logs::ResourceLogs* second = request.add_resource_logs();
  add_attrs(second->mutable_resource()->mutable_attributes(), {S("host.name", "other")});
  second->mutable_resource()->add_entity_refs()->set_type("host");
  second->set_schema_url("https://opentelemetry.io/schemas/1.0");
  second->add_scope_logs()->add_log_records()->set_time_unix_nano(kT0 + kSecond);
  return request;
}

TEST(OtlpDecodeProtobuf, WireDecoderAgreesWithGeneratedClasses) {
  expect_same_as_reference(serialize(varied_request()), "varied request");
  expect_same_as_reference(serialize(claude_code_fixture_as_protobuf()), "Claude Code fixture");
  expect_same_as_reference("", "empty");
}

// Occurrences of a message field merge, as protobuf merges them: a record sent as two
// concatenated halves, a value given twice, a oneof that changes its case.
TEST(OtlpDecodeProtobuf, WireDecoderMergesRepeatedMessagesAsProtobufDoes) {
  pb_logs::LogRecord first;
  first.set_time_unix_nano(kT0);
  first.mutable_body()->mutable_array_value()->add_values()->set_int_value(1);
  add_attrs(first.mutable_attributes(), {S("event.name", "tool_result"), S("a", "1")});
  pb_logs::LogRecord second;
  second.mutable_body()->mutable_array_value()->add_values()->set_string_value("two");
  second.set_severity_text("INFO");
  add_attrs(second.mutable_attributes(), {I("b", 2)});
  pb_logs::LogRecord switched;
  switched.mutable_body()->set_bool_value(true);
  pb_common::KeyValue twice;
  twice.set_key("twice");
  twice.mutable_value()->mutable_kvlist_value()->add_values()->set_key("x");
  std::string twice_bytes = serialize(twice);
  pb_common::KeyValue again;
  again.mutable_value()->mutable_kvlist_value()->add_values()->set_key("y");
  twice_bytes += serialize(again);

  pb_common::InstrumentationScope scope;
  scope.set_name("s");
  auto request_of = [&](const std::string& record) {
    std::string scope_logs = ld(1, serialize(scope)) + ld(2, record) + ld(1, serialize(scope));
    std::string resource = ld(1, serialize(twice)) + ld(1, twice_bytes);
    return ld(1, ld(1, resource) + ld(2, scope_logs) + ld(1, resource));
  };
  std::string merged = serialize(first) + serialize(second) + ld(6, twice_bytes);
  expect_same_as_reference(request_of(merged), "two halves of a record");
  auto decoded = decode_logs_protobuf(request_of(merged));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->resources[0].scopes[0].records[0].body, R"([1,"two"])");
  expect_same_as_reference(request_of(merged + serialize(switched)), "a oneof changing its case");
  expect_same_as_reference(request_of(serialize(switched) + merged), "and back");
}

// One record with a field of every kind (a small target for the corruption below).
pb_collector_logs::ExportLogsServiceRequest dense_request() {
  pb_collector_logs::ExportLogsServiceRequest request;
  pb_logs::ResourceLogs* rl = request.add_resource_logs();
  add_attrs(rl->mutable_resource()->mutable_attributes(), {S("host.name", "h")});
  pb_logs::ScopeLogs* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("s");
  sl->mutable_scope()->set_version("1");
  pb_logs::LogRecord* r = sl->add_log_records();
  r->set_time_unix_nano(kT0);
  r->set_observed_time_unix_nano(kT0 + 1);
  r->set_severity_number(pb_logs::SEVERITY_NUMBER_INFO);
  r->set_severity_text("I");
  r->mutable_body()->set_string_value("claude_code.x");
  add_attrs(r->mutable_attributes(), {S("a", "b"), I("i", 300), D("d", 0.5), B("t", true)});
  pb_common::AnyValue* v = r->add_attributes()->mutable_value();
  v->mutable_array_value()->add_values()->set_int_value(7);
  v->mutable_array_value()->add_values()->mutable_kvlist_value()->add_values()->set_key("k");
  r->set_trace_id("0123456789abcdef");
  r->set_span_id("01234567");
  r->set_event_name("e");
  r->set_flags(3);
  return request;
}

// The offsets of the tags in `bytes`, of nested messages too (a length-delimited payload that
// reads as fields whole is taken for a message). Appends nothing for bytes that are not fields.
void tag_offsets(std::string_view bytes, std::size_t base, std::vector<std::size_t>& out) {
  std::vector<std::size_t> found;
  std::vector<std::pair<std::size_t, std::string_view>> payloads;
  std::size_t at = 0;
  auto varint = [&](std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && at < bytes.size(); shift += 7) {
      auto b = static_cast<unsigned char>(bytes[at++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return true;
      }
    }
    return false;
  };
  while (at < bytes.size()) {
    std::size_t tag_at = at;
    std::uint64_t tag = 0;
    std::uint64_t v = 0;
    if (!varint(tag) || (tag >> 3) == 0) {
      return;
    }
    switch (tag & 7) {
      case 0:
        if (!varint(v)) {
          return;
        }
        break;
      case 1:
      case 5:
        at += (tag & 7) == 1 ? 8 : 4;
        break;
      case 2:
        if (!varint(v) || v > bytes.size() - at) {
          return;
        }
        payloads.emplace_back(base + at, bytes.substr(at, v));
        at += v;
        break;
      default:
        return;
    }
    if (at > bytes.size()) {
      return;
    }
    found.push_back(base + tag_at);
  }
  out.insert(out.end(), found.begin(), found.end());
  for (const auto& [offset, payload] : payloads) {
    tag_offsets(payload, offset, out);
  }
}

// Corrupt bytes: truncated, flipped, inserted and dropped bytes and changed wire types, at every
// kind of place. The wire decoder refuses exactly what protobuf refuses, and reads the rest the
// same way.
TEST(OtlpDecodeProtobuf, WireDecoderAgreesOnCorruptInput) {
  const std::string bases[] = {serialize(dense_request()), serialize(varied_request())};
  std::vector<std::size_t> tags[2];
  for (int i = 0; i < 2; ++i) {
    tag_offsets(bases[i], 0, tags[i]);
    ASSERT_GT(tags[i].size(), 20u);
  }
  std::mt19937 random(20261121);
  auto pick = [&](std::size_t n) {
    return static_cast<std::size_t>(random() % static_cast<std::uint32_t>(n));
  };
  int accepted = 0;
  constexpr int kRounds = 20000;
  for (int round = 0; round < kRounds; ++round) {
    int base = round % 4 == 3 ? 1 : 0;
    std::string bytes = bases[base];
    int edits = round % 2 == 0 ? 1 : 2 + static_cast<int>(pick(2));
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      std::size_t at = pick(bytes.size());
      switch (pick(6)) {
        case 0:
          bytes[at] = static_cast<char>(random());
          break;
        case 1:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << pick(8)));
          break;
        case 2:  // another wire type for a tag (of the bytes as they were before any edit)
          at = std::min(tags[base][pick(tags[base].size())], bytes.size() - 1);
          bytes[at] = static_cast<char>((bytes[at] & ~7) | static_cast<int>(pick(8)));
          break;
        case 3:
          bytes.insert(at, 1, static_cast<char>(random()));
          break;
        case 4:
          bytes.erase(at, 1 + pick(4));
          break;
        default:
          bytes.resize(at);
          break;
      }
    }
    accepted += reference_logs(bytes) ? 1 : 0;
    expect_same_as_reference(bytes, "round " + std::to_string(round));
    if (::testing::Test::HasFailure()) {
      break;
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(accepted, kRounds / 20);
  EXPECT_LT(accepted, kRounds - kRounds / 20);
}

TEST(OtlpDecodeJson, SameResultAsProtobuf) {
  auto from_json = decode_logs_json(read_fixture("logs_claude_code.json"));
  ASSERT_TRUE(from_json) << from_json.error().message;
  auto from_protobuf = decode_logs_protobuf(serialize(claude_code_fixture_as_protobuf()));
  ASSERT_TRUE(from_protobuf) << from_protobuf.error().message;
  ASSERT_EQ(from_json->record_count(), 2u);
  EXPECT_EQ(*from_json, *from_protobuf);
}

TEST(OtlpDecodeJson, EveryAttributeTypeVariant) {
  auto logs = decode_logs_json(read_fixture("logs_attribute_types.json"));
  ASSERT_TRUE(logs) << logs.error().message;
  ASSERT_EQ(logs->record_count(), 1u);
  const LogRecord& r = logs->resources[0].scopes[0].records[0];
  EXPECT_EQ(r.time_unix_nano, 1763700012345000000u);  // snake_case key, number not string
  EXPECT_EQ(r.severity_number, 10);                   // enum by name
  EXPECT_EQ(r.severity_text, "INFO2");
  EXPECT_EQ(r.trace_id, "5b8efff798038103d269b633813fc60c");  // hex, lowercased
  EXPECT_EQ(r.body, "claude_code.tool_result");
  const Attributes& a = r.attributes;
  EXPECT_EQ(attr(a, "s"), "abc");
  EXPECT_EQ(attr(a, "i_num"), "45");
  EXPECT_EQ(attr(a, "i_str"), "45");
  EXPECT_EQ(attr(a, "i_big"), "9007199254740993");  // exact beyond 2^53
  EXPECT_EQ(attr(a, "i_neg"), "-7");
  EXPECT_EQ(attr(a, "d"), "0.5");
  EXPECT_EQ(attr(a, "d_int"), "3");
  EXPECT_EQ(attr(a, "d_str"), "2.5");
  EXPECT_EQ(attr(a, "d_nan"), "NaN");
  EXPECT_EQ(attr(a, "d_inf"), "-Infinity");
  EXPECT_EQ(attr(a, "b_true"), "true");
  EXPECT_EQ(attr(a, "b_str"), "false");
  EXPECT_EQ(attr(a, "arr"), R"(["a",1,true,"NaN",null])");
  EXPECT_EQ(attr(a, "kv"), R"({"x":2,"y":["q\"uote"]})");
  EXPECT_EQ(attr(a, "bytes"), "AQID");
  EXPECT_EQ(attr(a, "empty"), "");
  EXPECT_EQ(attr(a, "nullv"), "");
  EXPECT_EQ(attr(a, "snake"), "yes");
  EXPECT_EQ(attr(a, "reordered"), "v");
  EXPECT_EQ(attr(a, "k\xC3\xA9y"), "caf\xC3\xA9");
  EXPECT_EQ(a.size(), 20u);
}

TEST(OtlpDecodeJson, MissingFieldsReadAsAbsent) {
  auto logs = decode_logs_json(read_fixture("logs_edge_cases.json"));
  ASSERT_TRUE(logs) << logs.error().message;
  const std::vector<LogRecord>& records = logs->resources[0].scopes[0].records;
  ASSERT_EQ(records.size(), 8u);
  EXPECT_EQ(records[0].time_unix_nano, 0u);
  EXPECT_EQ(records[0].observed_time_unix_nano, 0u);
  EXPECT_EQ(records[2].body_kind, ValueKind::kKvlist);
  EXPECT_EQ(records[2].body, R"({"a":1})");
  EXPECT_EQ(records[3].body_kind, ValueKind::kEmpty);
  EXPECT_TRUE(records[5].attributes.empty());
  EXPECT_EQ(records[6].event_name, "claude_code.permission_mode_changed");
  EXPECT_TRUE(records[7].attributes.empty());
}

TEST(OtlpDecodeJson, GarbageAndWrongShapesAreErrors) {
  auto garbage = decode_logs_json(read_fixture("garbage.txt"));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, Errc::kInvalidInput);
  auto shape = decode_logs_json(read_fixture("logs_wrong_shape.json"));
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().message.find("resourceLogs"), std::string::npos) << shape.error().message;
  auto bad_time = decode_logs_json(read_fixture("logs_bad_time.json"));
  ASSERT_FALSE(bad_time);
  EXPECT_NE(bad_time.error().message.find("timeUnixNano"), std::string::npos)
      << bad_time.error().message;
  EXPECT_FALSE(decode_logs_json("[1,2,3]"));
  EXPECT_FALSE(decode_logs_json("\"text\""));
  EXPECT_FALSE(decode_logs_json(R"({"resourceLogs":[]} {"resourceLogs":[]})"));
  EXPECT_FALSE(decode_logs_json(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[)"));
  EXPECT_FALSE(decode_logs_json(
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz1"}]}]}]})"));
  EXPECT_FALSE(decode_logs_json(
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[)"
      R"({"key":"k","value":{"intValue":"4.5x"}}]}]}]}]})"));
  EXPECT_FALSE(decode_logs_json(
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]})"));
  EXPECT_FALSE(decode_metrics_json(
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[)"
      R"({"timeUnixNano":"-5"}]}}]}]}]})"));
}

TEST(OtlpDecodeJson, EscapedSurrogates) {
  auto logs = decode_logs_json(
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[)"
      R"({"key":"lone","value":{"stringValue":"cut \ud83d\ude00\ud83d"}},)"
      R"({"key":"pair","value":{"stringValue":"\ud83d\ude00 ok\n\"q\" \u00e9\/"}},)"
      R"({"key":"low","value":{"stringValue":"\ude00\ud83d\ud83d"}}]}]}]}]})");
  ASSERT_TRUE(logs) << logs.error().message;
  const Attributes& a = logs->resources[0].scopes[0].records[0].attributes;
  EXPECT_EQ(attr(a, "lone"), "cut \xF0\x9F\x98\x80\xEF\xBF\xBD");
  EXPECT_EQ(attr(a, "pair"), "\xF0\x9F\x98\x80 ok\n\"q\" \xC3\xA9/");
  EXPECT_EQ(attr(a, "low"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_FALSE(decode_logs_json(
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityText":"bad \q escape"}]}]}]})"));
}

TEST(OtlpDecodeJson, BlankAndEmptyRequestsAreEmpty) {
  for (std::string_view body :
       {"", "  \n", "{}", R"({"resourceLogs":[]})", R"({"resourceLogs":null})"}) {
    auto logs = decode_logs_json(body);
    ASSERT_TRUE(logs) << body << ": " << logs.error().message;
    EXPECT_EQ(logs->record_count(), 0u);
  }
}

TEST(OtlpDecodeJson, DeepNestingIsAnError) {
  std::string value = R"({"intValue":1})";
  for (int level = 0; level < 40; ++level) {
    value = R"({"arrayValue":{"values":[)" + value + "]}}";
  }
  std::string body =
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"k","value":)" +
      value + "}]}]}]}]}";
  auto logs = decode_logs_json(body);
  ASSERT_FALSE(logs);
  EXPECT_NE(logs.error().message.find("nested"), std::string::npos) << logs.error().message;
}

TEST(OtlpDecodeJson, MetricsOfClaudeCode) {
  auto metrics = decode_metrics_json(read_fixture("metrics_claude_code.json"));
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_EQ(metrics->point_count(), 9u);
  const std::vector<Metric>& m = metrics->resources[0].scopes[0].metrics;
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(metrics->resources[0].scopes[0].scope.name, "com.anthropic.claude_code");
  EXPECT_EQ(m[3].name, "claude_code.commit.count");
  EXPECT_EQ(m[3].temporality, MetricTemporality::kDelta);  // by name
  EXPECT_DOUBLE_EQ(m[3].points[0].value, 2);               // asInt as a string
  EXPECT_EQ(m[5].description, "Number of tokens used");
  EXPECT_EQ(m[5].points[0].start_time_unix_nano, 1763700000000000000u);
  EXPECT_EQ(m[5].points[0].time_unix_nano, 1763700060000000000u);
  EXPECT_DOUBLE_EQ(m[5].points[0].value, 14723);
  EXPECT_EQ(m[7].temporality, MetricTemporality::kCumulative);
  EXPECT_DOUBLE_EQ(m[7].points[0].value, 42.5);                    // asDouble as a string
  EXPECT_EQ(m[7].points[0].time_unix_nano, 1763700060000000000u);  // number, not string
}

TEST(OtlpDecodeJson, OtherMetricKindsDecode) {
  auto metrics = decode_metrics_json(read_fixture("metrics_other_kinds.json"));
  ASSERT_TRUE(metrics) << metrics.error().message;
  const std::vector<Metric>& m = metrics->resources[0].scopes[0].metrics;
  ASSERT_EQ(m.size(), 10u);
  EXPECT_EQ(m[0].data, MetricData::kGauge);
  EXPECT_DOUBLE_EQ(m[0].points[0].value, 7);
  EXPECT_EQ(m[1].data, MetricData::kHistogram);
  EXPECT_EQ(m[1].points[0].count, 4u);
  EXPECT_DOUBLE_EQ(m[1].points[0].value, 10.5);
  EXPECT_EQ(m[2].data, MetricData::kExponentialHistogram);
  EXPECT_EQ(m[3].data, MetricData::kSummary);
  EXPECT_EQ(m[4].points[0].flags, kFlagNoRecordedValue);
  EXPECT_FALSE(m[4].points[0].has_value);
  EXPECT_EQ(m[5].temporality, MetricTemporality::kUnspecified);
  EXPECT_EQ(m[9].data, MetricData::kNone);
}

TEST(OtlpDecodeJson, Traces) {
  auto traces = decode_traces_json(read_fixture("traces_claude_code.json"));
  ASSERT_TRUE(traces) << traces.error().message;
  ASSERT_EQ(traces->span_count(), 2u);
  const std::vector<Span>& spans = traces->resources[0].scopes[0].spans;
  EXPECT_EQ(spans[0].name, "claude_code.interaction");
  EXPECT_EQ(spans[0].trace_id, "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(spans[0].parent_span_id, "");
  EXPECT_EQ(spans[1].parent_span_id, "eee19b7ec3c1b174");
  EXPECT_EQ(spans[1].kind, 3);
  EXPECT_EQ(spans[1].status_code, 2);
  EXPECT_EQ(spans[1].status_message, "overloaded");
  EXPECT_EQ(attr(spans[0].attributes, "interaction.sequence"), "3");
}

}  // namespace
}  // namespace ccgauge::ingest::otlp

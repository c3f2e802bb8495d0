#pragma once
// Decoding OTLP export requests (research: telemetry.md §2) into our own types, from either
// encoding: binary protobuf (OTLP/gRPC, OTLP/HTTP application/x-protobuf) or OTLP/JSON
// (application/json, §2.4). Both give the same result for the same request. Nothing here knows
// Claude Code; ingest/otlp/mapping.h turns the result into records, events and metric points.
//
// Every function is pure and thread-safe. Input is untrusted: anything malformed is an
// Errc::kInvalidInput error with a message, never a crash; no function allocates much more
// than its input (gunzip is bounded by its caller).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/telemetry.h"

namespace ccgauge::ingest::otlp {

// The largest request body (after decompression) a receiver should accept: the OTLP spec's
// recommendation (§2.3).
inline constexpr std::size_t kMaxRequestBytes = std::size_t{64} << 20;

// Inflates a gzip body (Content-Encoding / grpc-encoding gzip; zlib and concatenated gzip
// members are accepted too). Output past `max_out` bytes is an error, found before more than
// `max_out` bytes are held, so a gzip bomb costs at most `max_out` of memory. Truncated or
// corrupt input is an error.
Result<std::string> gunzip(std::string_view compressed, std::size_t max_out);

// What kind of value an OTLP AnyValue held.
enum class ValueKind : std::uint8_t {
  kEmpty,  // no field set (OTel-JS sends {} for undefined)
  kString,
  kBool,
  kInt,
  kDouble,
  kArray,
  kKvlist,
  kBytes
};

// An instrumentation scope: "com.anthropic.claude_code" (metrics) or
// "com.anthropic.claude_code.events" (events), with the Claude Code version.
struct Scope {
  std::string name;
  std::string version;

  friend bool operator==(const Scope&, const Scope&) = default;
};

// Times below are nanoseconds since the Unix epoch as sent; 0 means absent. Trace and span ids
// are lowercase hex (empty when absent). Attribute values are normalized to text
// (core/telemetry.h).

// ---- logs

struct LogRecord {
  std::uint64_t time_unix_nano = 0;
  std::uint64_t observed_time_unix_nano = 0;
  std::int32_t severity_number = 0;
  std::string severity_text;
  ValueKind body_kind = ValueKind::kEmpty;
  std::string body;  // normalized to text like an attribute value
  Attributes attributes;
  std::string trace_id;
  std::string span_id;
  std::string event_name;  // LogRecord.event_name (field 12); Claude Code leaves it empty

  friend bool operator==(const LogRecord&, const LogRecord&) = default;
};

struct ScopeLogs {
  Scope scope;
  std::vector<LogRecord> records;

  friend bool operator==(const ScopeLogs&, const ScopeLogs&) = default;
};

struct ResourceLogs {
  Attributes resource;
  std::vector<ScopeLogs> scopes;

  friend bool operator==(const ResourceLogs&, const ResourceLogs&) = default;
};

struct DecodedLogs {
  std::vector<ResourceLogs> resources;
  std::size_t record_count() const;
  friend bool operator==(const DecodedLogs&, const DecodedLogs&) = default;
};

// ---- metrics

enum class MetricData : std::uint8_t {
  kNone,  // the metric carried no data field
  kGauge,
  kSum,
  kHistogram,
  kExponentialHistogram,
  kSummary
};

// A number data point. Histogram, exponential histogram and summary points are kept as their
// sum (`value`, has_value false when the sum is absent) and `count`; buckets are dropped.
struct DataPoint {
  Attributes attributes;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t time_unix_nano = 0;
  bool has_value = false;   // false when neither as_double nor as_int was set
  double value = 0;         // as_double, or as_int converted
  std::uint64_t count = 0;  // histograms and summaries only
  std::uint32_t flags = 0;  // bit 0: no recorded value

  friend bool operator==(const DataPoint&, const DataPoint&) = default;
};

inline constexpr std::uint32_t kFlagNoRecordedValue = 1;

struct Metric {
  std::string name;
  std::string description;
  std::string unit;
  MetricData data = MetricData::kNone;
  MetricTemporality temporality = MetricTemporality::kUnspecified;  // sums and histograms
  bool monotonic = false;                                           // sums
  std::vector<DataPoint> points;

  friend bool operator==(const Metric&, const Metric&) = default;
};

struct ScopeMetrics {
  Scope scope;
  std::vector<Metric> metrics;

  friend bool operator==(const ScopeMetrics&, const ScopeMetrics&) = default;
};

struct ResourceMetrics {
  Attributes resource;
  std::vector<ScopeMetrics> scopes;

  friend bool operator==(const ResourceMetrics&, const ResourceMetrics&) = default;
};

struct DecodedMetrics {
  std::vector<ResourceMetrics> resources;
  std::size_t point_count() const;
  friend bool operator==(const DecodedMetrics&, const DecodedMetrics&) = default;
};

// ---- traces (Claude Code's tracing beta; accepted and counted, not otherwise used)

struct Span {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  std::string name;  // "claude_code.llm_request", ...
  std::int32_t kind = 0;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  std::int32_t status_code = 0;  // 0 unset, 1 ok, 2 error
  std::string status_message;

  friend bool operator==(const Span&, const Span&) = default;
};

struct ScopeSpans {
  Scope scope;
  std::vector<Span> spans;

  friend bool operator==(const ScopeSpans&, const ScopeSpans&) = default;
};

struct ResourceSpans {
  Attributes resource;
  std::vector<ScopeSpans> scopes;

  friend bool operator==(const ResourceSpans&, const ResourceSpans&) = default;
};

struct DecodedTraces {
  std::vector<ResourceSpans> resources;
  std::size_t span_count() const;
  friend bool operator==(const DecodedTraces&, const DecodedTraces&) = default;
};

// ---- decoding

// `bytes` is a serialized Export{Logs,Metrics,Trace}ServiceRequest. Truncated or corrupt input
// is an error. An empty body is a valid empty request.
Result<DecodedLogs> decode_logs_protobuf(std::string_view bytes);
Result<DecodedMetrics> decode_metrics_protobuf(std::string_view bytes);
Result<DecodedTraces> decode_traces_protobuf(std::string_view bytes);

// `json` is the same request in OTLP/JSON (§2.4): lowerCamelCase keys (snake_case accepted too),
// 64-bit integers as numbers or decimal strings, enums as numbers or names, trace and span ids
// in hex, doubles as numbers or "NaN"/"Infinity"/"-Infinity". Unknown keys are ignored; null
// reads as absent. Input that is not a JSON object, or a known key with a value of the wrong
// shape, is an error. An empty body is a valid empty request.
Result<DecodedLogs> decode_logs_json(std::string_view json);
Result<DecodedMetrics> decode_metrics_json(std::string_view json);
Result<DecodedTraces> decode_traces_json(std::string_view json);

}  // namespace ccgauge::ingest::otlp

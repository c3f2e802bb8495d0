#pragma once
// Claude Code's telemetry (research: telemetry.md §1.5, §1.6, §1.9) from decoded OTLP requests:
// usage records from `api_request` events, an event for every log record, limit hints, and
// metric points. Pure functions of their input; thread-safe.
//
// A record or point that cannot be used is rejected, counted and described (Rejections), never
// silently dropped: the receiver reports it in the response's partial_success.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/telemetry.h"
#include "core/types.h"
#include "ingest/otlp/decode.h"

namespace ccgauge::ingest::otlp {

// The ledger's `source` for what comes from here.
inline constexpr std::string_view kOtlpSource = "otlp";

struct MappingOptions {
  // Keep conversation text: `prompt` / `prompt_text` of user_prompt, `response` of
  // assistant_response, `body` of api_request_body / api_response_body. Off by default: the
  // text is dropped and only its length is kept (`prompt_length`, `response_length`,
  // `body_length`, computed from the text when the sender gave none). Text Claude Code itself
  // redacted ("<REDACTED>") is kept either way.
  bool include_prompt_text = false;
};

// What was rejected and why, for partial_success.
struct Rejections {
  std::int64_t count = 0;
  // The first few distinct reasons, in the order they were met.
  std::vector<std::string> reasons;

  void add(std::string reason);
  // "2 rejected: log record without a time; ..." or empty when nothing was rejected.
  std::string message() const;
};

struct MappedLogs {
  // One per api_request event, source kOtlpSource. message_id is empty (OTLP carries none);
  // request_id is the API's request id when the event had one. Tokens: input_tokens,
  // output_tokens, cache_read_tokens, cache creation split by cache_creation_5m_tokens /
  // cache_creation_1h_tokens when sent, else all of cache_creation_tokens as 5-minute writes.
  // reported_cost from cost_usd (else cost_usd_micros). speed "fast" is kFast. A query_source
  // of "subagent" or "agent:..." marks a subagent (sidechain) request. project is empty.
  std::vector<UsageRecord> usage;
  // For each usage record, the index in `events` of the api_request event it came from (whose
  // origin says who sent it).
  std::vector<std::size_t> usage_events;
  // One per accepted log record, api_request included (its duration_ms, ttft_ms, ... are
  // there).
  std::vector<TelemetryEvent> events;
  // From events that carry limit information: an `error` attribute with Claude Code's
  // "usage limit reached|<epoch seconds>" gives a five_hour reset (source kOtlpSource).
  std::vector<LimitSample> limits;
  Rejections rejected;  // log records
};

// Maps every log record. The record's time is time_unix_nano, else observed_time_unix_nano,
// else the event.timestamp attribute; a record with none is rejected. The event name is the
// event.name attribute, else LogRecord.event_name, else a body of the form "claude_code.<name>"
// or any other short identifier-like string; a record with none is rejected (unusable body).
// An api_request whose token or cost attributes are not numbers, or are negative, is rejected
// whole (no usage record, no event).
MappedLogs map_logs(const DecodedLogs& logs, const MappingOptions& options = {});
// The same, moving the records' attributes into the events instead of copying them.
MappedLogs map_logs(DecodedLogs&& logs, const MappingOptions& options = {});

struct MappedMetrics {
  // One per usable data point of a sum or gauge, as sent (cumulative points stay cumulative:
  // see CumulativeToDelta).
  std::vector<MetricPoint> points;
  // Points not mapped because they are not data we use: histogram, exponential histogram and
  // summary points, and points flagged "no recorded value". Not an error.
  std::int64_t ignored = 0;
  Rejections rejected;  // data points: no time, no value, non-finite value, sum without
                        // temporality
};

MappedMetrics map_metrics(const DecodedMetrics& metrics);

// Numbers from normalized attribute text (core/telemetry.h), whatever type they were sent as:
// "45", "45.0", "4.5e1". nullopt when absent or not a number.
std::optional<double> attribute_double(const Attributes& attributes, std::string_view key);
// An integer; a number with a fraction is rounded. nullopt when absent, not a number, or
// beyond int64.
std::optional<std::int64_t> attribute_int(const Attributes& attributes, std::string_view key);
// "true"/"false" (any case), "1"/"0". nullopt otherwise.
std::optional<bool> attribute_bool(const Attributes& attributes, std::string_view key);

}  // namespace ccgauge::ingest::otlp

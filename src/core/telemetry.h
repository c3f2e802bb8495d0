#pragma once
// Value types for what Claude Code's OpenTelemetry export reports besides per-request usage
// (research: telemetry.md §1): events (OTLP log records), metric points (OTLP sums) and who sent
// them. Plain structs, moved across threads; no I/O here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/types.h"

namespace ccgauge {

// Attributes in the order they were sent, each value normalized to text: strings as sent,
// integers in decimal, doubles in shortest round-trip form ("0.0421", "14723", "NaN",
// "Infinity"), booleans "true"/"false", arrays and key-value lists as compact JSON, bytes as
// base64. Claude Code's versions send the same attribute as a string, an int or a double (§1.6);
// after normalization they read the same.
using Attributes = std::vector<std::pair<std::string, std::string>>;

// The value of the first attribute named `key`, or null.
inline const std::string* find_attribute(const Attributes& attributes, std::string_view key) {
  for (const auto& [k, v] : attributes) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

// Who sent a record: one process (the OTLP resource, §1.3) and the standard identity attributes
// (§1.4). Each field is empty when not sent. Identity fields are read from the record's own
// attributes first, then from the resource (custom OTEL_RESOURCE_ATTRIBUTES may carry them).
struct TelemetryOrigin {
  std::string service_name;     // "claude-code", "claude-code-desktop", or OTEL_SERVICE_NAME
  std::string service_version;  // the Claude Code version
  std::string host;             // host.name (Claude Code sends it only with
                                // OTEL_RESOURCE_INCLUDE_HOST=true)
  std::string user_id;          // user.id: anonymous install id, 64 hex digits
  std::string user_email;       // user.email (OAuth login)
  std::string user_account_uuid;
  std::string organization_id;
  std::string terminal_type;  // "vscode", "tmux", "iTerm.app", ...
  // Every resource attribute, the ones above and custom OTEL_RESOURCE_ATTRIBUTES keys such as
  // "repo" included.
  Attributes resource;

  friend bool operator==(const TelemetryOrigin&, const TelemetryOrigin&) = default;
};

// One Claude Code event (§1.6), or any other OTLP log record that names an event.
struct TelemetryEvent {
  Instant instant{};
  // The event name without the "claude_code." prefix: "api_request", "tool_result",
  // "user_prompt", ... Unknown names are kept as they come.
  std::string name;
  std::string session_id;  // session.id
  std::string prompt_id;   // prompt.id: groups the events of one user prompt
  std::string model;
  // event.sequence: a per-process counter from 0. With session_id and the event.timestamp
  // attribute it identifies a record that a retried export sends again.
  std::optional<std::int64_t> sequence;
  // Who sent it; null when unknown. Shared: the events of one export from one process point to
  // one origin (an OTLP flood would otherwise copy it for every event).
  std::shared_ptr<const TelemetryOrigin> origin;
  // Every record attribute (standard ones included), except conversation text the user did not
  // opt in to (see ingest/otlp/mapping.h).
  Attributes attributes;
};

// How a sum's value relates to earlier points of its series (OTLP AggregationTemporality; the
// numbers are the wire values).
enum class MetricTemporality : std::uint8_t { kUnspecified = 0, kDelta = 1, kCumulative = 2 };

enum class MetricKind : std::uint8_t { kSum, kGauge };

// One data point of a metric (§1.5): "claude_code.token.usage" with its attributes, at a time.
struct MetricPoint {
  std::string name;  // "claude_code.cost.usage", ...
  std::string unit;  // "USD", "tokens", "s", or empty
  MetricKind kind = MetricKind::kSum;
  // For kSum: delta (the value is what the interval [start, instant] added) or cumulative (the
  // value is the running total since start). kUnspecified for gauges.
  MetricTemporality temporality = MetricTemporality::kDelta;
  bool monotonic = true;
  Instant start{};  // epoch (zero) when the sender did not say
  Instant instant{};
  double value = 0;
  std::string session_id;  // session.id attribute
  std::string model;       // model attribute (cost, token and lines-of-code metrics)
  TelemetryOrigin origin;
  Attributes attributes;  // every data point attribute (type, query_source, ...)
};

}  // namespace ccgauge

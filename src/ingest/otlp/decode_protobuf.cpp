// Binary OTLP: bytes -> generated classes -> decode.h's types, for metrics and traces. Logs have
// a decoder of their own that reads the wire format directly (decode_protobuf_logs.cpp);
// from_proto() of logs stays as what that decoder must agree with.

#include "ingest/otlp/proto_convert.h"

#include <climits>
#include <utility>

#include <fmt/format.h>
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include "ingest/otlp/decode.h"
#include "ingest/otlp/value_text.h"

namespace ccgauge::ingest::otlp {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_collector_logs = opentelemetry::proto::collector::logs::v1;
namespace pb_collector_metrics = opentelemetry::proto::collector::metrics::v1;
namespace pb_collector_trace = opentelemetry::proto::collector::trace::v1;

using KeyValues = google::protobuf::RepeatedPtrField<pb_common::KeyValue>;

// Converts one value tree; keeps the first error met (only depth can fail).
class Converter {
 public:
  const Error* error() const { return failed_ ? &error_ : nullptr; }

  ValueText value(const pb_common::AnyValue& v, int depth = 0) {
    switch (v.value_case()) {
      case pb_common::AnyValue::kStringValue:
        return {ValueKind::kString, valid_utf8(v.string_value())};
      case pb_common::AnyValue::kBoolValue:
        return {ValueKind::kBool, bool_text(v.bool_value())};
      case pb_common::AnyValue::kIntValue:
        return {ValueKind::kInt, int_text(v.int_value())};
      case pb_common::AnyValue::kDoubleValue:
        return {ValueKind::kDouble, double_text(v.double_value())};
      case pb_common::AnyValue::kBytesValue:
        return {ValueKind::kBytes, base64_encode(v.bytes_value())};
      case pb_common::AnyValue::kArrayValue:
        return array(v.array_value(), depth);
      case pb_common::AnyValue::kKvlistValue:
        return kvlist(v.kvlist_value(), depth);
      case pb_common::AnyValue::VALUE_NOT_SET:
        break;
    }
    return {};
  }

  Attributes attributes(const KeyValues& kvs) {
    Attributes out;
    out.reserve(static_cast<std::size_t>(kvs.size()));
    for (const pb_common::KeyValue& kv : kvs) {
      out.emplace_back(valid_utf8(kv.key()), value(kv.value()).text);
    }
    return out;
  }

  Scope scope(const pb_common::InstrumentationScope& s) {
    return {valid_utf8(s.name()), valid_utf8(s.version())};
  }

 private:
  bool too_deep(int depth) {
    if (depth < kMaxValueDepth) {
      return false;
    }
    if (!failed_) {
      failed_ = true;
      error_ = {Errc::kInvalidInput,
                fmt::format("OTLP value nested deeper than {} levels", kMaxValueDepth)};
    }
    return true;
  }

  ValueText array(const pb_common::ArrayValue& a, int depth) {
    if (too_deep(depth)) {
      return {};
    }
    JsonWriter out(JsonWriter::Style::kCompact);
    out.begin_array();
    for (const pb_common::AnyValue& item : a.values()) {
      append_json(out, value(item, depth + 1));
    }
    out.end_array();
    return {ValueKind::kArray, out.take()};
  }

  ValueText kvlist(const pb_common::KeyValueList& list, int depth) {
    if (too_deep(depth)) {
      return {};
    }
    JsonWriter out(JsonWriter::Style::kCompact);
    out.begin_object();
    for (const pb_common::KeyValue& kv : list.values()) {
      out.key(valid_utf8(kv.key()));
      append_json(out, value(kv.value(), depth + 1));
    }
    out.end_object();
    return {ValueKind::kKvlist, out.take()};
  }

  bool failed_ = false;
  Error error_;
};

LogRecord log_record(Converter& c, const pb_logs::LogRecord& r) {
  LogRecord out;
  out.time_unix_nano = r.time_unix_nano();
  out.observed_time_unix_nano = r.observed_time_unix_nano();
  out.severity_number = static_cast<std::int32_t>(r.severity_number());
  out.severity_text = valid_utf8(r.severity_text());
  if (r.has_body()) {
    ValueText body = c.value(r.body());
    out.body_kind = body.kind;
    out.body = std::move(body.text);
  }
  out.attributes = c.attributes(r.attributes());
  out.trace_id = hex_encode(r.trace_id());
  out.span_id = hex_encode(r.span_id());
  out.event_name = valid_utf8(r.event_name());
  return out;
}

DataPoint number_point(Converter& c, const pb_metrics::NumberDataPoint& p) {
  DataPoint out;
  out.attributes = c.attributes(p.attributes());
  out.start_time_unix_nano = p.start_time_unix_nano();
  out.time_unix_nano = p.time_unix_nano();
  out.flags = p.flags();
  if (p.value_case() == pb_metrics::NumberDataPoint::kAsDouble) {
    out.has_value = true;
    out.value = p.as_double();
  } else if (p.value_case() == pb_metrics::NumberDataPoint::kAsInt) {
    out.has_value = true;
    out.value = static_cast<double>(p.as_int());
  }
  return out;
}

// Histogram, exponential histogram and summary points: their sum and count.
template <class Point>
DataPoint aggregate_point(Converter& c, const Point& p, bool has_sum) {
  DataPoint out;
  out.attributes = c.attributes(p.attributes());
  out.start_time_unix_nano = p.start_time_unix_nano();
  out.time_unix_nano = p.time_unix_nano();
  out.flags = p.flags();
  out.count = p.count();
  out.has_value = has_sum;
  out.value = p.sum();
  return out;
}

template <class Points, class Fn>
void add_points(std::vector<DataPoint>& out, const Points& points, Fn&& convert) {
  out.reserve(static_cast<std::size_t>(points.size()));
  for (const auto& p : points) {
    out.push_back(convert(p));
  }
}

Metric metric(Converter& c, const pb_metrics::Metric& m) {
  Metric out;
  out.name = valid_utf8(m.name());
  out.description = valid_utf8(m.description());
  out.unit = valid_utf8(m.unit());
  auto number = [&](const pb_metrics::NumberDataPoint& p) { return number_point(c, p); };
  switch (m.data_case()) {
    case pb_metrics::Metric::kGauge:
      out.data = MetricData::kGauge;
      add_points(out.points, m.gauge().data_points(), number);
      break;
    case pb_metrics::Metric::kSum:
      out.data = MetricData::kSum;
      out.temporality = static_cast<MetricTemporality>(m.sum().aggregation_temporality());
      out.monotonic = m.sum().is_monotonic();
      add_points(out.points, m.sum().data_points(), number);
      break;
    case pb_metrics::Metric::kHistogram:
      out.data = MetricData::kHistogram;
      out.temporality = static_cast<MetricTemporality>(m.histogram().aggregation_temporality());
      add_points(out.points, m.histogram().data_points(),
                 [&](const pb_metrics::HistogramDataPoint& p) {
                   return aggregate_point(c, p, p.has_sum());
                 });
      break;
    case pb_metrics::Metric::kExponentialHistogram:
      out.data = MetricData::kExponentialHistogram;
      out.temporality =
          static_cast<MetricTemporality>(m.exponential_histogram().aggregation_temporality());
      add_points(out.points, m.exponential_histogram().data_points(),
                 [&](const pb_metrics::ExponentialHistogramDataPoint& p) {
                   return aggregate_point(c, p, p.has_sum());
                 });
      break;
    case pb_metrics::Metric::kSummary:
      out.data = MetricData::kSummary;
      add_points(out.points, m.summary().data_points(), [&](const pb_metrics::SummaryDataPoint& p) {
        return aggregate_point(c, p, true);
      });
      break;
    case pb_metrics::Metric::DATA_NOT_SET:
      break;
  }
  // Enum values this build does not know (proto3 enums are open) read as unspecified.
  if (static_cast<int>(out.temporality) > 2) {
    out.temporality = MetricTemporality::kUnspecified;
  }
  return out;
}

Span span(Converter& c, const pb_trace::Span& s) {
  Span out;
  out.trace_id = hex_encode(s.trace_id());
  out.span_id = hex_encode(s.span_id());
  out.parent_span_id = hex_encode(s.parent_span_id());
  out.name = valid_utf8(s.name());
  out.kind = static_cast<std::int32_t>(s.kind());
  out.start_time_unix_nano = s.start_time_unix_nano();
  out.end_time_unix_nano = s.end_time_unix_nano();
  out.attributes = c.attributes(s.attributes());
  out.status_code = static_cast<std::int32_t>(s.status().code());
  out.status_message = valid_utf8(s.status().message());
  return out;
}

template <class T>
Result<T> finish(const Converter& c, T decoded) {
  if (const Error* e = c.error()) {
    return tl::unexpected(*e);
  }
  return decoded;
}

// Parses into `arena` (one allocation block instead of one per string) and converts.
template <class Request, class Decoded>
Result<Decoded> decode(std::string_view bytes, std::string_view what) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(Errc::kInvalidInput, fmt::format("OTLP {} request over 2 GiB", what));
  }
  google::protobuf::Arena arena;
  Request* request = google::protobuf::Arena::CreateMessage<Request>(&arena);
  if (!request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return fail(Errc::kInvalidInput, fmt::format("OTLP {} request is not valid protobuf ({} bytes)",
                                                 what, bytes.size()));
  }
  return from_proto(*request);
}

}  // namespace

Result<DecodedLogs> from_proto(const pb_collector_logs::ExportLogsServiceRequest& request) {
  Converter c;
  DecodedLogs out;
  for (const pb_logs::ResourceLogs& rl : request.resource_logs()) {
    ResourceLogs& resource = out.resources.emplace_back();
    resource.resource = c.attributes(rl.resource().attributes());
    for (const pb_logs::ScopeLogs& sl : rl.scope_logs()) {
      ScopeLogs& scope = resource.scopes.emplace_back();
      scope.scope = c.scope(sl.scope());
      scope.records.reserve(static_cast<std::size_t>(sl.log_records_size()));
      for (const pb_logs::LogRecord& r : sl.log_records()) {
        scope.records.push_back(log_record(c, r));
      }
    }
  }
  return finish(c, std::move(out));
}

Result<DecodedMetrics> from_proto(
    const pb_collector_metrics::ExportMetricsServiceRequest& request) {
  Converter c;
  DecodedMetrics out;
  for (const pb_metrics::ResourceMetrics& rm : request.resource_metrics()) {
    ResourceMetrics& resource = out.resources.emplace_back();
    resource.resource = c.attributes(rm.resource().attributes());
    for (const pb_metrics::ScopeMetrics& sm : rm.scope_metrics()) {
      ScopeMetrics& scope = resource.scopes.emplace_back();
      scope.scope = c.scope(sm.scope());
      scope.metrics.reserve(static_cast<std::size_t>(sm.metrics_size()));
      for (const pb_metrics::Metric& m : sm.metrics()) {
        scope.metrics.push_back(metric(c, m));
      }
    }
  }
  return finish(c, std::move(out));
}

Result<DecodedTraces> from_proto(const pb_collector_trace::ExportTraceServiceRequest& request) {
  Converter c;
  DecodedTraces out;
  for (const pb_trace::ResourceSpans& rs : request.resource_spans()) {
    ResourceSpans& resource = out.resources.emplace_back();
    resource.resource = c.attributes(rs.resource().attributes());
    for (const pb_trace::ScopeSpans& ss : rs.scope_spans()) {
      ScopeSpans& scope = resource.scopes.emplace_back();
      scope.scope = c.scope(ss.scope());
      scope.spans.reserve(static_cast<std::size_t>(ss.spans_size()));
      for (const pb_trace::Span& s : ss.spans()) {
        scope.spans.push_back(span(c, s));
      }
    }
  }
  return finish(c, std::move(out));
}

Result<DecodedMetrics> decode_metrics_protobuf(std::string_view bytes) {
  return decode<pb_collector_metrics::ExportMetricsServiceRequest, DecodedMetrics>(bytes,
                                                                                   "metrics");
}

Result<DecodedTraces> decode_traces_protobuf(std::string_view bytes) {
  return decode<pb_collector_trace::ExportTraceServiceRequest, DecodedTraces>(bytes, "traces");
}

}  // namespace ccgauge::ingest::otlp

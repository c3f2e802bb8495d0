#pragma once
// Internal to ingest/otlp: parsed OTLP protobuf requests (the generated classes) to decode.h's
// types. The gRPC metrics and trace services receive requests already parsed and call these;
// decode_metrics_protobuf and decode_traces_protobuf parse bytes and call them too. Logs are
// decoded from their bytes directly (decode_logs_protobuf, by hand); from_proto() of logs is the
// reference that decoder is tested against. This header only forward-declares the generated
// classes; their headers (build tree, otlp_proto/) are included only by .cpp files of
// src/ingest/otlp/.

#include "core/result.h"
#include "ingest/otlp/decode.h"

namespace opentelemetry::proto::collector::logs::v1 {
class ExportLogsServiceRequest;
}
namespace opentelemetry::proto::collector::metrics::v1 {
class ExportMetricsServiceRequest;
}
namespace opentelemetry::proto::collector::trace::v1 {
class ExportTraceServiceRequest;
}

namespace ccgauge::ingest::otlp {

// Fails only on values nested deeper than kMaxValueDepth (value_text.h).
Result<DecodedLogs> from_proto(
    const opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest& request);
Result<DecodedMetrics> from_proto(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request);
Result<DecodedTraces> from_proto(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request);

}  // namespace ccgauge::ingest::otlp

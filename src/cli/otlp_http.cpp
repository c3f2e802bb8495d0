// OTLP/HTTP (research: telemetry.md §2.3): POST /v1/logs, /v1/metrics, /v1/traces on a
// server::Server of its own. Handlers run on that server's io thread: they decode, map and hand
// the result to the sink, and never wait for the ledger.

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cli/daemon.h"
#include "cli/otlp_receiver.h"
#include "core/json_writer.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "server/http_server.h"
#include "server/live_hub.h"
#include "server/router.h"

namespace ccgauge::cli {
namespace {

namespace otlp = ingest::otlp;
namespace pb_logs = opentelemetry::proto::collector::logs::v1;
namespace pb_metrics = opentelemetry::proto::collector::metrics::v1;
namespace pb_trace = opentelemetry::proto::collector::trace::v1;

enum class Signal { kLogs, kMetrics, kTraces };
enum class Encoding { kProtobuf, kJson };

constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

// gRPC status codes used in google.rpc.Status bodies (the spec lets clients ignore them).
constexpr int kInvalidArgument = 3;
constexpr int kResourceExhausted = 8;
constexpr int kUnavailable = 14;

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "application/json; charset=utf-8" -> kJson.
std::optional<Encoding> encoding_of(std::string_view content_type) {
  std::string type = lower_trimmed(content_type.substr(0, content_type.find(';')));
  if (type == kProtobufType) {
    return Encoding::kProtobuf;
  }
  if (type == kJsonType) {
    return Encoding::kJson;
  }
  return std::nullopt;
}

// An error answer: a google.rpc.Status in the request's encoding (JSON when it had none we
// speak).
server::Response error_response(int http_status, std::optional<Encoding> encoding, int code,
                                std::string_view message) {
  server::Response response;
  response.status = http_status;
  if (encoding == Encoding::kProtobuf) {
    response.content_type = std::string(kProtobufType);
    response.body = rpc_status_bytes(code, message);
    return response;
  }
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object().key("code").value(code).key("message").value(message).end_object();
  response.content_type = std::string(kJsonType);
  response.body = w.take();
  return response;
}

// The Export*ServiceResponse, with partial_success when something was rejected.
std::string success_body(Signal signal, Encoding encoding, std::int64_t rejected,
                         const std::string& message) {
  if (encoding == Encoding::kJson) {
    if (rejected == 0) {
      return "{}";
    }
    const char* field = signal == Signal::kLogs      ? "rejectedLogRecords"
                        : signal == Signal::kMetrics ? "rejectedDataPoints"
                                                     : "rejectedSpans";
    JsonWriter w(JsonWriter::Style::kCompact);
    w.begin_object().key("partialSuccess").begin_object();
    w.key(field).value(std::to_string(rejected));  // int64 as a decimal string (OTLP/JSON)
    w.key("errorMessage").value(message);
    w.end_object().end_object();
    return w.take();
  }
  switch (signal) {
    case Signal::kLogs: {
      pb_logs::ExportLogsServiceResponse r;
      if (rejected > 0) {
        r.mutable_partial_success()->set_rejected_log_records(rejected);
        r.mutable_partial_success()->set_error_message(message);
      }
      return r.SerializeAsString();
    }
    case Signal::kMetrics: {
      pb_metrics::ExportMetricsServiceResponse r;
      if (rejected > 0) {
        r.mutable_partial_success()->set_rejected_data_points(rejected);
        r.mutable_partial_success()->set_error_message(message);
      }
      return r.SerializeAsString();
    }
    case Signal::kTraces:
      break;
  }
  return pb_trace::ExportTraceServiceResponse().SerializeAsString();
}

// What a decoded and mapped request gave.
struct Mapped {
  OtlpBatch batch;
  std::size_t records = 0;
  otlp::Rejections rejected;
};

Result<Mapped> decode_and_map(Signal signal, Encoding encoding, std::string_view body,
                              const otlp::MappingOptions& mapping) {
  bool pb = encoding == Encoding::kProtobuf;
  Mapped out;
  switch (signal) {
    case Signal::kLogs: {
      auto decoded = pb ? otlp::decode_logs_protobuf(body) : otlp::decode_logs_json(body);
      if (!decoded) {
        return tl::unexpected(decoded.error());
      }
      out.records = decoded->record_count();
      otlp::MappedLogs logs = otlp::map_logs(std::move(*decoded), mapping);
      out.rejected = std::move(logs.rejected);
      out.batch = batch_from(std::move(logs));
      return out;
    }
    case Signal::kMetrics: {
      auto decoded = pb ? otlp::decode_metrics_protobuf(body) : otlp::decode_metrics_json(body);
      if (!decoded) {
        return tl::unexpected(decoded.error());
      }
      out.records = decoded->point_count();
      otlp::MappedMetrics metrics = otlp::map_metrics(*decoded);
      out.rejected = std::move(metrics.rejected);
      out.batch = batch_from(std::move(metrics));
      return out;
    }
    case Signal::kTraces: {
      auto decoded = pb ? otlp::decode_traces_protobuf(body) : otlp::decode_traces_json(body);
      if (!decoded) {
        return tl::unexpected(decoded.error());
      }
      out.records = decoded->span_count();
      return out;
    }
  }
  return out;
}

}  // namespace

struct OtlpHttpReceiver::Impl {
  OtlpReceiverOptions options;
  OtlpSink* sink = nullptr;  // not owned
  server::LiveHub hub;       // the Server needs one; nothing is published on it
  std::unique_ptr<server::Server> server;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> records{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> invalid{0};

  server::Response invalid_request(int http_status, std::optional<Encoding> encoding, int code,
                                   std::string_view message) {
    invalid.fetch_add(1, std::memory_order_relaxed);
    return error_response(http_status, encoding, code, message);
  }

  server::Response handle(const server::Request& request, Signal signal);
};

server::Response OtlpHttpReceiver::Impl::handle(const server::Request& request, Signal signal) {
  requests.fetch_add(1, std::memory_order_relaxed);
  std::optional<Encoding> encoding = encoding_of(request.header("content-type"));
  if (!encoding) {
    return invalid_request(415, std::nullopt, kInvalidArgument,
                           fmt::format("unsupported Content-Type '{}': send {} or {}",
                                       request.header("content-type"), kProtobufType, kJsonType));
  }
  std::string_view body = request.body;
  std::string inflated;
  std::string content_encoding = lower_trimmed(request.header("content-encoding"));
  if (content_encoding == "gzip" || content_encoding == "x-gzip") {
    auto out = otlp::gunzip(body, options.max_body_bytes);
    if (!out) {
      // gunzip says "inflates past the N byte limit" for a body over the bound; anything else
      // is a corrupt body.
      bool too_large = out.error().message.find("byte limit") != std::string::npos;
      return invalid_request(too_large ? 413 : 400, encoding,
                             too_large ? kResourceExhausted : kInvalidArgument,
                             out.error().message);
    }
    inflated = std::move(*out);
    body = inflated;
  } else if (!content_encoding.empty() && content_encoding != "identity") {
    return invalid_request(415, encoding, kInvalidArgument,
                           fmt::format("unsupported Content-Encoding '{}': send gzip or none",
                                       request.header("content-encoding")));
  }
  auto mapped = decode_and_map(signal, *encoding, body, options.mapping);
  if (!mapped) {
    return invalid_request(400, encoding, kInvalidArgument, mapped.error().message);
  }
  if (auto submitted = sink->submit(std::move(mapped->batch)); !submitted) {
    refused.fetch_add(1, std::memory_order_relaxed);
    server::Response response =
        error_response(429, encoding, kUnavailable, submitted.error().message);
    response.headers.emplace_back("Retry-After",
                                  std::to_string(OtlpSink::kRetryAfter.count()));
    return response;
  }
  std::int64_t rejected_count = mapped->rejected.count;
  records.fetch_add(mapped->records - static_cast<std::size_t>(rejected_count),
                    std::memory_order_relaxed);
  rejected.fetch_add(static_cast<std::uint64_t>(rejected_count), std::memory_order_relaxed);
  server::Response response;
  response.content_type = std::string(*encoding == Encoding::kProtobuf ? kProtobufType : kJsonType);
  response.body = success_body(signal, *encoding, rejected_count, mapped->rejected.message());
  return response;
}

Result<std::unique_ptr<OtlpHttpReceiver>> OtlpHttpReceiver::start(
    const OtlpReceiverOptions& options, OtlpSink& sink) {
  auto listen = parse_listen(options.http_listen, "--otlp-http");
  if (!listen) {
    return tl::unexpected(listen.error());
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->sink = &sink;
  Impl* raw = impl.get();
  server::Router router;
  const std::pair<const char*, Signal> routes[] = {
      {"/v1/logs", Signal::kLogs}, {"/v1/metrics", Signal::kMetrics}, {"/v1/traces", Signal::kTraces}};
  for (const auto& [path, signal] : routes) {
    router.add("POST", path, [raw, signal = signal](const server::Request& request) {
      return raw->handle(request, signal);
    });
  }
  server::ServerOptions so;
  so.address = listen->first;
  so.port = listen->second;
  so.token = options.token;
  so.max_body_bytes = options.max_body_bytes;
  so.heartbeat = std::chrono::seconds(0);
  so.ws_queue_limit = 1;
  so.live_path = "/v1/.live";  // required by the Server; nothing is ever published there
  so.log = [](std::string_view line) { fmt::print(stderr, "ccgauge serve: otlp http: {}\n", line); };
  auto server = server::Server::start(so, std::move(router), impl->hub);
  if (!server) {
    return fail(server.error().code, fmt::format("OTLP/HTTP on {}: {}", options.http_listen,
                                                 server.error().message));
  }
  impl->server = std::move(*server);
  impl->server->post([] {
    ::pthread_setname_np(::pthread_self(), "ccg-otlp-http");
    lower_this_thread_priority();
  });
  return std::unique_ptr<OtlpHttpReceiver>(new OtlpHttpReceiver(std::move(impl)));
}

OtlpHttpReceiver::OtlpHttpReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpHttpReceiver::~OtlpHttpReceiver() {
  if (impl_ && impl_->server) {
    impl_->server->stop();
  }
}

std::uint16_t OtlpHttpReceiver::port() const { return impl_->server->port(); }

OtlpReceiverStats OtlpHttpReceiver::stats() const {
  return OtlpReceiverStats{impl_->requests.load(), impl_->records.load(), impl_->rejected.load(),
                           impl_->refused.load(), impl_->invalid.load()};
}

}  // namespace ccgauge::cli

// OTLP/gRPC (research: telemetry.md §2.2): the logs, metrics and trace services' Export, with
// gRPC C++'s callback API. Each call is decoded and mapped on the gRPC thread that runs it and
// handed to the sink; it never waits for the ledger. Logs are taken as raw bytes and decoded by
// hand; metrics and traces are parsed by the generated classes.

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "cli/daemon.h"
#include "cli/otlp_receiver.h"
#include "ingest/otlp/proto_convert.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "server/http_util.h"

namespace ccgauge::cli {
namespace {

namespace otlp = ingest::otlp;
namespace pb_logs = opentelemetry::proto::collector::logs::v1;
namespace pb_metrics = opentelemetry::proto::collector::metrics::v1;
namespace pb_trace = opentelemetry::proto::collector::trace::v1;

struct Counters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> records{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> invalid{0};
};

// What the three services share: options, the sink, the counters.
struct Shared {
  OtlpReceiverOptions options;
  OtlpSink* sink = nullptr;  // not owned
  Counters counters;

  // Null when the call may go on; else the status to finish it with.
  std::optional<grpc::Status> refuse_unauthorized(const grpc::CallbackServerContext& context) {
    if (options.token.empty()) {
      return std::nullopt;
    }
    const auto& metadata = context.client_metadata();
    auto it = metadata.find("authorization");
    if (it != metadata.end()) {
      std::string_view value(it->second.data(), it->second.size());
      auto token = server::bearer_token(value);
      if (token && server::token_matches(*token, options.token)) {
        return std::nullopt;
      }
    }
    counters.invalid.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or wrong bearer token (send the metadata "
                        "\"authorization: Bearer <token>\")");
  }

  // Maps a converted request and submits it; the status to finish the call with. `rejected` is
  // set to what partial_success must report.
  template <class Decoded>
  grpc::Status accept(Result<Decoded> decoded, otlp::Rejections& rejected) {
    lower_this_thread_priority();  // gRPC's threads: once each
    if (!decoded) {
      counters.invalid.fetch_add(1, std::memory_order_relaxed);
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, decoded.error().message);
    }
    std::size_t records = 0;
    OtlpBatch batch;
    if constexpr (std::is_same_v<Decoded, otlp::DecodedLogs>) {
      records = decoded->record_count();
      otlp::MappedLogs logs = otlp::map_logs(std::move(*decoded), options.mapping);
      rejected = std::move(logs.rejected);
      batch = batch_from(std::move(logs));
    } else if constexpr (std::is_same_v<Decoded, otlp::DecodedMetrics>) {
      records = decoded->point_count();
      otlp::MappedMetrics metrics = otlp::map_metrics(*decoded);
      rejected = std::move(metrics.rejected);
      batch = batch_from(std::move(metrics));
    } else {
      records = decoded->span_count();
    }
    if (auto submitted = sink->submit(std::move(batch)); !submitted) {
      counters.refused.fetch_add(1, std::memory_order_relaxed);
      // RESOURCE_EXHAUSTED is retried only with RetryInfo (§2.2), which the details carry.
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, submitted.error().message,
                          rpc_status_bytes(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                           submitted.error().message,
                                           OtlpSink::kRetryAfter.count()));
    }
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    counters.records.fetch_add(records - static_cast<std::size_t>(rejected.count),
                               std::memory_order_relaxed);
    counters.rejected.fetch_add(static_cast<std::uint64_t>(rejected.count),
                                std::memory_order_relaxed);
    return grpc::Status::OK;
  }
};

// Logs come as bytes and are decoded by hand (ingest/otlp/decode.h: decode_logs_protobuf): the
// generated classes would parse every record into messages only to be converted and freed.
class LogsService final
    : public pb_logs::LogsService::WithRawCallbackMethod_Export<pb_logs::LogsService::Service> {
 public:
  explicit LogsService(Shared& shared) : shared_(shared) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (auto refused = shared_.refuse_unauthorized(*context)) {
      reactor->Finish(*refused);
      return reactor;
    }
    otlp::Rejections rejected;
    grpc::Status status = shared_.accept(decode(*request), rejected);
    if (status.ok()) {
      pb_logs::ExportLogsServiceResponse body;
      if (rejected.count > 0) {
        body.mutable_partial_success()->set_rejected_log_records(rejected.count);
        body.mutable_partial_success()->set_error_message(rejected.message());
      }
      grpc::Slice slice(body.SerializeAsString());
      *response = grpc::ByteBuffer(&slice, 1);
    }
    reactor->Finish(status);
    return reactor;
  }

 private:
  static Result<otlp::DecodedLogs> decode(const grpc::ByteBuffer& request) {
    grpc::Slice single;
    if (request.TrySingleSlice(&single).ok()) {
      return otlp::decode_logs_protobuf(
          std::string_view(reinterpret_cast<const char*>(single.begin()), single.size()));
    }
    std::vector<grpc::Slice> slices;
    if (!request.Dump(&slices).ok()) {
      return fail(Errc::kInvalidInput, "OTLP logs request could not be read");
    }
    std::string bytes;
    bytes.reserve(request.Length());
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return otlp::decode_logs_protobuf(bytes);
  }

  Shared& shared_;
};

class MetricsService final : public pb_metrics::MetricsService::CallbackService {
 public:
  explicit MetricsService(Shared& shared) : shared_(shared) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const pb_metrics::ExportMetricsServiceRequest* request,
                                   pb_metrics::ExportMetricsServiceResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (auto refused = shared_.refuse_unauthorized(*context)) {
      reactor->Finish(*refused);
      return reactor;
    }
    otlp::Rejections rejected;
    grpc::Status status = shared_.accept(otlp::from_proto(*request), rejected);
    if (status.ok() && rejected.count > 0) {
      response->mutable_partial_success()->set_rejected_data_points(rejected.count);
      response->mutable_partial_success()->set_error_message(rejected.message());
    }
    reactor->Finish(status);
    return reactor;
  }

 private:
  Shared& shared_;
};

class TraceService final : public pb_trace::TraceService::CallbackService {
 public:
  explicit TraceService(Shared& shared) : shared_(shared) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const pb_trace::ExportTraceServiceRequest* request,
                                   pb_trace::ExportTraceServiceResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (auto refused = shared_.refuse_unauthorized(*context)) {
      reactor->Finish(*refused);
      return reactor;
    }
    otlp::Rejections rejected;
    reactor->Finish(shared_.accept(otlp::from_proto(*request), rejected));
    return reactor;
  }

 private:
  Shared& shared_;
};

}  // namespace

struct OtlpGrpcReceiver::Impl {
  Shared shared;
  LogsService logs{shared};
  MetricsService metrics{shared};
  TraceService traces{shared};
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

Result<std::unique_ptr<OtlpGrpcReceiver>> OtlpGrpcReceiver::start(
    const OtlpReceiverOptions& options, OtlpSink& sink) {
  auto listen = parse_listen(options.grpc_listen, "--otlp-grpc");
  if (!listen) {
    return tl::unexpected(listen.error());
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(listen->first == "localhost" ? "127.0.0.1"
                                                                            : listen->first,
                                               ec);
  if (ec) {
    return fail(Errc::kInvalidInput,
                fmt::format("--otlp-grpc '{}': not an IP address", options.grpc_listen));
  }
  if (!address.is_loopback() && options.token.empty()) {
    return fail(Errc::kInvalidInput,
                fmt::format("refusing OTLP/gRPC on non-loopback address {} without a token "
                            "(set --token or CCGAUGE_TOKEN)",
                            options.grpc_listen));
  }
  auto impl = std::make_unique<Impl>();
  impl->shared.options = options;
  impl->shared.sink = &sink;
  std::string uri = address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), listen->second)
                                    : fmt::format("{}:{}", address.to_string(), listen->second);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(uri, grpc::InsecureServerCredentials(), &impl->port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<std::size_t>(options.max_body_bytes, std::numeric_limits<int>::max())));
  // Without SO_REUSEPORT a second daemon fails to bind instead of sharing the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&impl->logs);
  builder.RegisterService(&impl->metrics);
  builder.RegisterService(&impl->traces);
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return fail(Errc::kIo, fmt::format("OTLP/gRPC: cannot listen on {} (address in use?)", uri));
  }
  return std::unique_ptr<OtlpGrpcReceiver>(new OtlpGrpcReceiver(std::move(impl)));
}

OtlpGrpcReceiver::OtlpGrpcReceiver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
}

std::uint16_t OtlpGrpcReceiver::port() const { return static_cast<std::uint16_t>(impl_->port); }

OtlpReceiverStats OtlpGrpcReceiver::stats() const {
  const Counters& c = impl_->shared.counters;
  return OtlpReceiverStats{c.requests.load(), c.records.load(), c.rejected.load(),
                           c.refused.load(), c.invalid.load()};
}

}  // namespace ccgauge::cli

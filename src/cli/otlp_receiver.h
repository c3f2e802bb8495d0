#pragma once
// The daemon's OTLP receivers (research: telemetry.md §1.9, §2): OTLP/gRPC (the logs, metrics
// and trace services' Export) and OTLP/HTTP (POST /v1/logs, /v1/metrics, /v1/traces with
// application/x-protobuf or application/json bodies, optionally gzip). Both decode and map a
// request on their own threads (gRPC's, and the OTLP/HTTP server's io thread) and hand the
// result to the OtlpSink; the ingest thread commits it.
//
// Answers, as the OTLP specification says (§1.9, §2.2, §2.3):
// - success: 200 / OK with an empty Export*ServiceResponse, or with partial_success
//   {rejected_log_records | rejected_data_points | rejected_spans, error_message} when some
//   records or points could not be used (the exporter must not retry those);
// - an undecodable body: 400 / INVALID_ARGUMENT with a google.rpc.Status;
// - a body over max_body_bytes (before or after gunzip): 413 / RESOURCE_EXHAUSTED;
// - a Content-Type or Content-Encoding we do not speak: 415;
// - the sink full: 429 with Retry-After / RESOURCE_EXHAUSTED with google.rpc.RetryInfo, which
//   exporters retry.
// Traces are decoded and counted, not stored (Claude Code's tracing beta carries nothing the
// ledger does not get from events).
//
// Security, as for the API: loopback addresses by default; a non-loopback address needs a
// token, and with a token every request must carry "Authorization: Bearer <token>" (the HTTP
// header; the gRPC `authorization` metadata), else 401 / UNAUTHENTICATED. Without a token,
// OTLP/HTTP also requires a loopback Host header (DNS-rebinding defense).
//
// This header keeps gRPC and Beast out of its includers; it is daemon-only (ccgauge-daemon).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cli/otlp_sink.h"
#include "core/result.h"
#include "ingest/otlp/decode.h"
#include "ingest/otlp/mapping.h"

namespace ccgauge::cli {

struct OtlpReceiverOptions {
  // "ADDRESS:PORT" (port 0 picks a free one); empty: that receiver is off.
  std::string grpc_listen;
  std::string http_listen;
  std::string token;  // empty: no authentication (loopback only)
  // The largest request body, compressed or not.
  std::size_t max_body_bytes = ingest::otlp::kMaxRequestBytes;
  ingest::otlp::MappingOptions mapping;
};

// What the receivers answered so far (all threads; each counter read atomically).
struct OtlpReceiverStats {
  std::uint64_t requests = 0;
  std::uint64_t records = 0;   // log records and data points accepted
  std::uint64_t rejected = 0;  // reported in partial_success
  std::uint64_t refused = 0;   // requests answered "try later"
  std::uint64_t invalid = 0;   // undecodable, too large, unsupported, unauthorized
};

// The OTLP/gRPC server. Lives on gRPC's threads; start and destroy it on one thread.
class OtlpGrpcReceiver {
 public:
  // Binds and starts serving; kIo when the address cannot be bound, kInvalidInput for a bad or
  // non-loopback address without a token. `sink` must outlive the receiver.
  static Result<std::unique_ptr<OtlpGrpcReceiver>> start(const OtlpReceiverOptions& options,
                                                         OtlpSink& sink);
  // Stops (waits up to a second for calls in flight).
  ~OtlpGrpcReceiver();
  std::uint16_t port() const;
  OtlpReceiverStats stats() const;

  struct Impl;

 private:
  explicit OtlpGrpcReceiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The OTLP/HTTP server: a server::Server of its own (its own io thread), separate from the
// API's, so a flood of exports never delays the API.
class OtlpHttpReceiver {
 public:
  // As OtlpGrpcReceiver::start.
  static Result<std::unique_ptr<OtlpHttpReceiver>> start(const OtlpReceiverOptions& options,
                                                         OtlpSink& sink);
  ~OtlpHttpReceiver();
  std::uint16_t port() const;
  OtlpReceiverStats stats() const;

  struct Impl;

 private:
  explicit OtlpHttpReceiver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- shared by both receivers (otlp_receiver.cpp) ---------------------------------------------

// The mapped request as a sink batch.
OtlpBatch batch_from(ingest::otlp::MappedLogs&& logs);
OtlpBatch batch_from(ingest::otlp::MappedMetrics&& metrics);

// Lowers the calling thread's CPU priority by kBulkNiceIncrement (nice, Linux: per thread), for
// the threads that take OTLP floods in and write them (receivers, ingest, checkpoints): when
// they compete with the API's thread for the cores, the API answers first (under bench/otlp.sh
// the p99 of /api/v1/summary fell from ~4 ms to ~1.5 ms, the throughput unchanged). Best effort;
// idempotent per thread.
inline constexpr int kBulkNiceIncrement = 5;
void lower_this_thread_priority();

// A serialized google.rpc.Status (googleapis google/rpc/status.proto) with `code` and
// `message`, and, when retry_delay_s > 0, a google.rpc.RetryInfo detail: the gRPC
// status-details trailer, and the body of an OTLP/HTTP protobuf error.
std::string rpc_status_bytes(int code, std::string_view message, std::int64_t retry_delay_s = 0);

}  // namespace ccgauge::cli

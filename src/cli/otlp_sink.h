#pragma once
// The hand-over from the OTLP receivers to the daemon's ingest thread, the ledger's only writer.
//
// Receivers (gRPC's threads, the OTLP/HTTP server's io thread) decode and map a request on
// their own thread, then submit() the result; the ingest thread wakes on fd() and take()s
// everything pending, in submission order, to commit it in one transaction.
//
// Bounded: when the items pending would exceed the bound, submit() refuses the batch
// (kUnavailable) and the receiver answers "try later" (HTTP 429 with Retry-After, gRPC
// RESOURCE_EXHAUSTED with RetryInfo), which OTLP exporters retry. Memory is therefore bounded by
// max_pending_items plus one request. A batch larger than the bound is accepted when nothing is
// pending, so every request the body size limit lets in can get through eventually.
//
// Thread-safe: every member function may be called from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/result.h"
#include "core/telemetry.h"
#include "core/types.h"

namespace ccgauge::cli {

// What one export request became (ingest/otlp/mapping.h), ready for the ledger.
struct OtlpBatch {
  std::vector<UsageRecord> usage;  // from api_request events
  // Who sent each usage record (parallel to `usage`).
  std::vector<std::shared_ptr<const TelemetryOrigin>> usage_origins;
  std::vector<TelemetryEvent> events;
  std::vector<LimitSample> limits;
  // As sent: cumulative sums are turned into deltas on the ingest thread, which keeps the
  // series state.
  std::vector<MetricPoint> points;

  // What the batch counts against the sink's bound.
  std::size_t items() const {
    return usage.size() + events.size() + limits.size() + points.size();
  }
};

struct OtlpSinkStats {
  std::uint64_t accepted_batches = 0;
  std::uint64_t accepted_items = 0;
  std::uint64_t refused_batches = 0;  // answered "try later"
  std::uint64_t refused_items = 0;
  std::size_t pending_items = 0;  // now
};

class OtlpSink {
 public:
  // The hint given to refused senders.
  static constexpr std::chrono::seconds kRetryAfter{1};

  // Fails (kIo) only when no eventfd can be made.
  static Result<std::unique_ptr<OtlpSink>> create(std::size_t max_pending_items);
  ~OtlpSink();
  OtlpSink(const OtlpSink&) = delete;
  OtlpSink& operator=(const OtlpSink&) = delete;

  // Queues the batch, or refuses it (kUnavailable) when the bound would be exceeded. An empty
  // batch is accepted and not queued.
  Status submit(OtlpBatch batch);

  // Everything pending, oldest first; resets fd()'s readiness.
  std::vector<OtlpBatch> take();

  // Readable (POLLIN) while batches are pending.
  int fd() const { return fd_; }

  std::size_t max_pending_items() const { return max_pending_items_; }
  OtlpSinkStats stats() const;

 private:
  OtlpSink(int fd, std::size_t max_pending_items) : fd_(fd), max_pending_items_(max_pending_items) {}

  const int fd_;
  const std::size_t max_pending_items_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::vector<OtlpBatch> pending_;
  OtlpSinkStats stats_;
};

}  // namespace ccgauge::cli

// What the OTLP/gRPC and OTLP/HTTP receivers share: mapped requests as sink batches, and the
// google.rpc.Status they answer errors with.

#include "cli/otlp_receiver.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace ccgauge::cli {
namespace {

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// A length-delimited field (wire type 2).
void append_bytes_field(std::string& out, int field, std::string_view bytes) {
  append_varint(out, static_cast<std::uint64_t>(field) << 3 | 2);
  append_varint(out, bytes.size());
  out.append(bytes);
}

void append_varint_field(std::string& out, int field, std::uint64_t value) {
  append_varint(out, static_cast<std::uint64_t>(field) << 3);
  append_varint(out, value);
}

}  // namespace

void lower_this_thread_priority() {
  thread_local bool lowered = false;
  if (lowered) {
    return;
  }
  lowered = true;
  auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  int nice = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) {
    (void)::setpriority(PRIO_PROCESS, tid, std::min(nice + kBulkNiceIncrement, 19));
  }
}

OtlpBatch batch_from(ingest::otlp::MappedLogs&& logs) {
  OtlpBatch batch;
  batch.usage_origins.reserve(logs.usage.size());
  for (std::size_t i = 0; i < logs.usage.size(); ++i) {
    std::size_t event = i < logs.usage_events.size() ? logs.usage_events[i] : logs.events.size();
    batch.usage_origins.push_back(event < logs.events.size() ? logs.events[event].origin : nullptr);
  }
  batch.usage = std::move(logs.usage);
  batch.events = std::move(logs.events);
  batch.limits = std::move(logs.limits);
  return batch;
}

OtlpBatch batch_from(ingest::otlp::MappedMetrics&& metrics) {
  OtlpBatch batch;
  batch.points = std::move(metrics.points);
  return batch;
}

std::string rpc_status_bytes(int code, std::string_view message, std::int64_t retry_delay_s) {
  std::string status;
  if (code != 0) {
    append_varint_field(status, 1, static_cast<std::uint64_t>(code));
  }
  if (!message.empty()) {
    append_bytes_field(status, 2, message);
  }
  if (retry_delay_s > 0) {
    std::string duration;  // google.protobuf.Duration{seconds = 1}
    append_varint_field(duration, 1, static_cast<std::uint64_t>(retry_delay_s));
    std::string retry_info;  // google.rpc.RetryInfo{retry_delay = 1}
    append_bytes_field(retry_info, 1, duration);
    std::string any;  // google.protobuf.Any{type_url = 1, value = 2}
    append_bytes_field(any, 1, "type.googleapis.com/google.rpc.RetryInfo");
    append_bytes_field(any, 2, retry_info);
    append_bytes_field(status, 3, any);
  }
  return status;
}

}  // namespace ccgauge::cli

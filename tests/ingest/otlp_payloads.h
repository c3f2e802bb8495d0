#pragma once
// Builders for OTLP protobuf requests shaped like Claude Code's (research: telemetry.md
// §1.2–1.6), made with the generated classes, and small helpers shared by the OTLP tests.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <zlib.h>
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace ccgauge::testing::otlp {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
namespace pb_collector_logs = opentelemetry::proto::collector::logs::v1;
namespace pb_collector_metrics = opentelemetry::proto::collector::metrics::v1;
namespace pb_collector_trace = opentelemetry::proto::collector::trace::v1;

// 2026-11-21T04:40:12.345Z
inline constexpr std::uint64_t kT0 = 1763700012345000000ULL;
inline constexpr std::uint64_t kSecond = 1000000000ULL;

// One attribute with a typed value, as an exporter would send it.
struct Attr {
  std::string key;
  std::variant<std::string, std::int64_t, double, bool> value;
};
inline Attr S(std::string key, std::string v) { return {std::move(key), std::move(v)}; }
inline Attr I(std::string key, std::int64_t v) { return {std::move(key), v}; }
inline Attr D(std::string key, double v) { return {std::move(key), v}; }
inline Attr B(std::string key, bool v) { return {std::move(key), v}; }

inline void set_value(pb_common::AnyValue* out, const Attr& a) {
  if (const auto* s = std::get_if<std::string>(&a.value)) {
    out->set_string_value(*s);
  } else if (const auto* i = std::get_if<std::int64_t>(&a.value)) {
    out->set_int_value(*i);
  } else if (const auto* d = std::get_if<double>(&a.value)) {
    out->set_double_value(*d);
  } else {
    out->set_bool_value(std::get<bool>(a.value));
  }
}

template <class Repeated>
void add_attrs(Repeated* out, const std::vector<Attr>& attrs) {
  for (const Attr& a : attrs) {
    pb_common::KeyValue* kv = out->Add();
    kv->set_key(a.key);
    set_value(kv->mutable_value(), a);
  }
}

// The resource of a Claude Code 2.1.330 process with OTEL_RESOURCE_INCLUDE_HOST and a custom
// OTEL_RESOURCE_ATTRIBUTES=repo=ccgauge.
inline std::vector<Attr> claude_resource() {
  return {S("service.name", "claude-code"), S("service.version", "2.1.330"), S("os.type", "linux"),
          S("host.arch", "amd64"),          S("host.name", "devbox"),        S("repo", "ccgauge")};
}

// §1.4 standard attributes plus the event extras (event.name, event.timestamp, event.sequence,
// prompt.id).
inline std::vector<Attr> standard_event_attrs(std::string_view event, std::int64_t sequence) {
  return {
      S("user.id", std::string(64, 'a')),  S("session.id", "2ff46cd5-0000-4000-8000-000000000001"),
      S("organization.id", "org-uuid"),    S("user.email", "dev@example.com"),
      S("user.account_uuid", "acct-uuid"), S("user.account_id", "user_01abc"),
      S("terminal.type", "tmux"),          S("repo", "ccgauge"),
      S("event.name", std::string(event)), S("event.timestamp", "2026-11-21T04:40:12.345Z"),
      I("event.sequence", sequence),       S("prompt.id", "550e8400-e29b-41d4-a716-446655440000")};
}

// A logs request with one resource and the Claude Code events scope.
inline pb_collector_logs::ExportLogsServiceRequest logs_request() {
  pb_collector_logs::ExportLogsServiceRequest request;
  pb_logs::ResourceLogs* rl = request.add_resource_logs();
  add_attrs(rl->mutable_resource()->mutable_attributes(), claude_resource());
  pb_logs::ScopeLogs* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("com.anthropic.claude_code.events");
  sl->mutable_scope()->set_version("2.1.330");
  return request;
}

// Appends a Claude Code event: body "claude_code.<event>", times set, standard attributes
// followed by `extra`.
inline pb_logs::LogRecord* add_event(pb_collector_logs::ExportLogsServiceRequest& request,
                                     std::string_view event, std::int64_t sequence,
                                     const std::vector<Attr>& extra) {
  pb_logs::LogRecord* r =
      request.mutable_resource_logs(0)->mutable_scope_logs(0)->add_log_records();
  std::uint64_t t = kT0 + static_cast<std::uint64_t>(sequence) * kSecond;
  r->set_time_unix_nano(t);
  r->set_observed_time_unix_nano(t);
  r->mutable_body()->set_string_value("claude_code." + std::string(event));
  add_attrs(r->mutable_attributes(), standard_event_attrs(event, sequence));
  add_attrs(r->mutable_attributes(), extra);
  return r;
}

// A metrics request with one resource and the Claude Code meter scope.
inline pb_collector_metrics::ExportMetricsServiceRequest metrics_request() {
  pb_collector_metrics::ExportMetricsServiceRequest request;
  pb_metrics::ResourceMetrics* rm = request.add_resource_metrics();
  add_attrs(rm->mutable_resource()->mutable_attributes(), claude_resource());
  pb_metrics::ScopeMetrics* sm = rm->add_scope_metrics();
  sm->mutable_scope()->set_name("com.anthropic.claude_code");
  sm->mutable_scope()->set_version("2.1.330");
  return request;
}

// Appends a monotonic double Sum (what Claude Code's counters export) with one point.
inline pb_metrics::NumberDataPoint* add_sum(
    pb_collector_metrics::ExportMetricsServiceRequest& request, std::string_view name,
    std::string_view unit, double value, const std::vector<Attr>& attrs,
    pb_metrics::AggregationTemporality temporality = pb_metrics::AGGREGATION_TEMPORALITY_DELTA) {
  pb_metrics::Metric* m =
      request.mutable_resource_metrics(0)->mutable_scope_metrics(0)->add_metrics();
  m->set_name(std::string(name));
  m->set_unit(std::string(unit));
  m->mutable_sum()->set_aggregation_temporality(temporality);
  m->mutable_sum()->set_is_monotonic(true);
  pb_metrics::NumberDataPoint* p = m->mutable_sum()->add_data_points();
  add_attrs(p->mutable_attributes(), attrs);
  p->set_start_time_unix_nano(kT0 - 60 * kSecond);
  p->set_time_unix_nano(kT0);
  p->set_as_double(value);
  return p;
}

template <class Message>
std::string serialize(const Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

// gzip-compresses `data` (one member), or several members when `members` > 1.
inline std::string gzip(std::string_view data, int members = 1) {
  std::string out;
  for (int i = 0; i < members; ++i) {
    z_stream z{};
    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    std::string chunk(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    deflate(&z, Z_FINISH);
    chunk.resize(z.total_out);
    deflateEnd(&z);
    out += chunk;
  }
  return out;
}

// A gzip stream of `size` zero bytes, compressed chunk by chunk (a gzip bomb: about 1000:1).
inline std::string gzip_zeros(std::size_t size) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  const std::string zeros(std::size_t{1} << 20, '\0');
  std::string out;
  std::string buffer(std::size_t{1} << 16, '\0');
  std::size_t left = size;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    std::size_t n = std::min(left, zeros.size());
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.avail_out = static_cast<uInt>(buffer.size());
      deflate(&z, flush);
      out.append(buffer.data(), buffer.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

inline std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(CCG_SOURCE_DIR) + "/tests/data/otlp/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ccgauge::testing::otlp

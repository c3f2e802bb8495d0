#include "ingest/otlp/mapping.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "core/result.h"
#include "core/time.h"

namespace ccgauge::ingest::otlp {

void Rejections::add(std::string reason) {
  constexpr std::size_t kMaxReasons = 5;
  ++count;
  if (reasons.size() < kMaxReasons &&
      std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
    reasons.push_back(std::move(reason));
  }
}

std::string Rejections::message() const {
  if (count == 0) {
    return {};
  }
  return fmt::format("{} rejected: {}", count, fmt::join(reasons, "; "));
}

std::optional<double> attribute_double(const Attributes& attributes, std::string_view key) {
  const std::string* text = find_attribute(attributes, key);
  if (text == nullptr || text->empty()) {
    return std::nullopt;
  }
  double value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> attribute_int(const Attributes& attributes, std::string_view key) {
  const std::string* text = find_attribute(attributes, key);
  if (text == nullptr || text->empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec == std::errc() && ptr == end) {
    return value;
  }
  std::optional<double> d = attribute_double(attributes, key);
  if (!d || !std::isfinite(*d) || std::abs(*d) >= 9.2e18) {
    return std::nullopt;
  }
  return std::llround(*d);
}

std::optional<bool> attribute_bool(const Attributes& attributes, std::string_view key) {
  const std::string* text = find_attribute(attributes, key);
  if (text == nullptr) {
    return std::nullopt;
  }
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1") {
    return true;
  }
  if (lower == "false" || lower == "0") {
    return false;
  }
  return std::nullopt;
}

namespace {

constexpr std::string_view kEventPrefix = "claude_code.";
constexpr std::string_view kRedacted = "<REDACTED>";

Instant from_unix_nano(std::uint64_t ns) {
  return from_epoch_ms(static_cast<std::int64_t>(ns / 1'000'000));
}

std::string text_of(const Attributes& attributes, std::string_view key) {
  const std::string* v = find_attribute(attributes, key);
  return v != nullptr ? *v : std::string();
}

// The resource part of an origin, once per resource.
TelemetryOrigin resource_origin(const Attributes& resource) {
  TelemetryOrigin o;
  o.service_name = text_of(resource, "service.name");
  o.service_version = text_of(resource, "service.version");
  o.host = text_of(resource, "host.name");
  o.user_id = text_of(resource, "user.id");
  o.user_email = text_of(resource, "user.email");
  o.user_account_uuid = text_of(resource, "user.account_uuid");
  o.organization_id = text_of(resource, "organization.id");
  o.terminal_type = text_of(resource, "terminal.type");
  o.resource = resource;
  return o;
}

// The identity fields of an origin and the attributes that set them. A record's own non-empty
// identity attributes win over its resource's.
struct IdentityField {
  std::string TelemetryOrigin::*field;
  std::string_view key;
};
constexpr IdentityField kIdentity[] = {{&TelemetryOrigin::host, "host.name"},
                                       {&TelemetryOrigin::user_id, "user.id"},
                                       {&TelemetryOrigin::user_email, "user.email"},
                                       {&TelemetryOrigin::user_account_uuid, "user.account_uuid"},
                                       {&TelemetryOrigin::organization_id, "organization.id"},
                                       {&TelemetryOrigin::terminal_type, "terminal.type"}};

TelemetryOrigin origin_for(const TelemetryOrigin& base, const Attributes& attributes) {
  TelemetryOrigin o = base;
  for (const IdentityField& id : kIdentity) {
    if (const std::string* v = find_attribute(attributes, id.key); v != nullptr && !v->empty()) {
      o.*id.field = *v;
    }
  }
  return o;
}

// The origins of one resource's records. Records that name the same identity (all of one
// process's, nearly always) share one origin.
class Origins {
 public:
  explicit Origins(const Attributes& resource) : base_(resource_origin(resource)) {}

  std::shared_ptr<const TelemetryOrigin> of(const Attributes& attributes) {
    std::string_view values[std::size(kIdentity)];
    bool same = last_ != nullptr;
    for (std::size_t i = 0; i < std::size(kIdentity); ++i) {
      const std::string* v = find_attribute(attributes, kIdentity[i].key);
      values[i] = v != nullptr && !v->empty() ? std::string_view(*v)
                                              : std::string_view(base_.*kIdentity[i].field);
      same = same && values[i] == (*last_).*kIdentity[i].field;
    }
    if (!same) {
      auto origin = std::make_shared<TelemetryOrigin>(base_);
      for (std::size_t i = 0; i < std::size(kIdentity); ++i) {
        (*origin).*kIdentity[i].field = std::string(values[i]);
      }
      last_ = std::move(origin);
    }
    return last_;
  }

  const TelemetryOrigin& base() const { return base_; }

 private:
  TelemetryOrigin base_;
  std::shared_ptr<const TelemetryOrigin> last_;
};

std::string_view strip_event_prefix(std::string_view name) {
  if (name.substr(0, kEventPrefix.size()) == kEventPrefix) {
    name.remove_prefix(kEventPrefix.size());
  }
  return name;
}

// A body usable as an event name: short, no spaces or punctuation beyond "._:-/".
bool looks_like_name(std::string_view s) {
  constexpr std::size_t kMaxNameLength = 128;
  if (s.empty() || s.size() > kMaxNameLength) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-' || c == '/';
  });
}

std::string event_name_of(const LogRecord& r) {
  if (const std::string* n = find_attribute(r.attributes, "event.name");
      n != nullptr && !n->empty()) {
    return std::string(strip_event_prefix(*n));
  }
  if (!r.event_name.empty()) {
    return std::string(strip_event_prefix(r.event_name));
  }
  if (r.body_kind == ValueKind::kString && looks_like_name(r.body)) {
    std::string_view name = strip_event_prefix(r.body);
    if (!name.empty()) {
      return std::string(name);
    }
  }
  return {};
}

std::optional<Instant> record_time(const LogRecord& r) {
  if (r.time_unix_nano != 0) {
    return from_unix_nano(r.time_unix_nano);
  }
  if (r.observed_time_unix_nano != 0) {
    return from_unix_nano(r.observed_time_unix_nano);
  }
  if (const std::string* ts = find_attribute(r.attributes, "event.timestamp")) {
    return parse_timestamp(*ts);
  }
  return std::nullopt;
}

// Text length as JavaScript counts it (UTF-16 code units), which is how Claude Code reports
// prompt_length.
std::int64_t utf16_length(std::string_view utf8) {
  std::int64_t n = 0;
  for (char c : utf8) {
    auto b = static_cast<unsigned char>(c);
    if ((b & 0xC0) != 0x80) {
      n += b >= 0xF0 ? 2 : 1;
    }
  }
  return n;
}

struct ContentRule {
  std::string_view event;
  std::string_view text_key;
  std::string_view length_key;
};

constexpr ContentRule kContentRules[] = {
    {"user_prompt", "prompt", "prompt_length"},
    {"user_prompt", "prompt_text", "prompt_length"},
    {"assistant_response", "response", "response_length"},
    {"api_request_body", "body", "body_length"},
    {"api_response_body", "body", "body_length"},
};

// Drops conversation text the user did not opt in to, keeping (or adding) its length.
void drop_content(std::string_view event, Attributes& attributes) {
  for (const ContentRule& rule : kContentRules) {
    if (rule.event != event) {
      continue;
    }
    auto it = std::find_if(attributes.begin(), attributes.end(),
                           [&](const auto& kv) { return kv.first == rule.text_key; });
    if (it == attributes.end() || it->second == kRedacted) {
      continue;
    }
    std::int64_t length = utf16_length(it->second);
    attributes.erase(it);
    if (find_attribute(attributes, rule.length_key) == nullptr) {
      attributes.emplace_back(std::string(rule.length_key), fmt::format("{}", length));
    }
  }
}

// A count attribute of api_request: absent or empty is 0; anything but a non-negative number
// is an error.
Result<std::int64_t> token_count(const Attributes& attributes, std::string_view key) {
  const std::string* text = find_attribute(attributes, key);
  if (text == nullptr || text->empty()) {
    return 0;
  }
  std::optional<std::int64_t> n = attribute_int(attributes, key);
  if (!n || *n < 0) {
    return fail(Errc::kInvalidInput,
                fmt::format("api_request with unreadable {} '{}'", key, *text));
  }
  return *n;
}

Result<std::optional<Nanodollars>> reported_cost(const Attributes& attributes) {
  if (const std::string* text = find_attribute(attributes, "cost_usd");
      text != nullptr && !text->empty()) {
    std::optional<double> usd = attribute_double(attributes, "cost_usd");
    if (!usd || !std::isfinite(*usd) || *usd < 0 || *usd > 1e9) {
      return fail(Errc::kInvalidInput,
                  fmt::format("api_request with unreadable cost_usd '{}'", *text));
    }
    return std::optional<Nanodollars>(std::llround(*usd * 1e9));
  }
  if (find_attribute(attributes, "cost_usd_micros") != nullptr) {
    Result<std::int64_t> micros = token_count(attributes, "cost_usd_micros");
    if (!micros) {
      return tl::unexpected(micros.error());
    }
    return std::optional<Nanodollars>(*micros * 1000);
  }
  return std::optional<Nanodollars>();
}

Result<TokenCounts> api_tokens(const Attributes& a) {
  TokenCounts t;
  struct Field {
    std::string_view key;
    std::int64_t* out;
  };
  std::int64_t cache_creation = 0;
  const Field fields[] = {{"input_tokens", &t.input},
                          {"output_tokens", &t.output},
                          {"cache_read_tokens", &t.cache_read},
                          {"cache_creation_tokens", &cache_creation},
                          {"cache_creation_5m_tokens", &t.cache_write_5m},
                          {"cache_creation_1h_tokens", &t.cache_write_1h}};
  for (const Field& f : fields) {
    Result<std::int64_t> n = token_count(a, f.key);
    if (!n) {
      return tl::unexpected(n.error());
    }
    *f.out = *n;
  }
  bool has_breakdown = find_attribute(a, "cache_creation_5m_tokens") != nullptr ||
                       find_attribute(a, "cache_creation_1h_tokens") != nullptr;
  if (!has_breakdown) {
    t.cache_write_5m = cache_creation;
  }
  return t;
}

bool is_subagent(std::string_view query_source) {
  return query_source == "subagent" || query_source.substr(0, 6) == "agent:";
}

Result<UsageRecord> usage_of(const TelemetryEvent& e) {
  Result<TokenCounts> tokens = api_tokens(e.attributes);
  if (!tokens) {
    return tl::unexpected(tokens.error());
  }
  Result<std::optional<Nanodollars>> cost = reported_cost(e.attributes);
  if (!cost) {
    return tl::unexpected(cost.error());
  }
  UsageRecord r;
  r.request_id = text_of(e.attributes, "request_id");
  r.session_id = e.session_id;
  r.model = e.model;
  r.instant = e.instant;
  r.tokens = *tokens;
  r.speed = text_of(e.attributes, "speed") == "fast" ? Speed::kFast : Speed::kStandard;
  r.sidechain = is_subagent(text_of(e.attributes, "query_source"));
  r.agent = r.sidechain ? Agent::kSubagent : Agent::kMain;
  r.reported_cost = *cost;
  return r;
}

// Claude Code's old limit message: "Claude AI usage limit reached|<unix seconds>".
std::optional<std::int64_t> limit_reset_of(const Attributes& attributes) {
  constexpr std::string_view kMarker = "usage limit reached|";
  const std::string* error = find_attribute(attributes, "error");
  if (error == nullptr) {
    return std::nullopt;
  }
  std::size_t pos = error->find(kMarker);
  if (pos == std::string::npos) {
    return std::nullopt;
  }
  pos += kMarker.size();
  std::int64_t value = 0;
  std::size_t digits = 0;
  while (pos < error->size() && (*error)[pos] >= '0' && (*error)[pos] <= '9' && digits < 12) {
    value = value * 10 + ((*error)[pos] - '0');
    ++pos;
    ++digits;
  }
  return digits > 0 && value > 0 ? std::optional<std::int64_t>(value) : std::nullopt;
}

// Maps one log record into `out`; an error naming the reason when it is rejected.
// `attributes` is r.attributes itself (moved from once everything else is read) or a copy.
Status map_record(const LogRecord& r, Attributes&& attributes, Origins& origins,
                  const MappingOptions& options, MappedLogs& out) {
  std::optional<Instant> when = record_time(r);
  if (!when) {
    return fail(Errc::kInvalidInput, "log record without a time");
  }
  std::string name = event_name_of(r);
  if (name.empty()) {
    return fail(Errc::kInvalidInput, "log record without an event name (unusable body)");
  }
  TelemetryEvent e;
  e.instant = *when;
  e.name = std::move(name);
  e.session_id = text_of(r.attributes, "session.id");
  e.prompt_id = text_of(r.attributes, "prompt.id");
  e.model = text_of(r.attributes, "model");
  e.sequence = attribute_int(r.attributes, "event.sequence");
  e.origin = origins.of(r.attributes);
  e.attributes = std::move(attributes);
  if (!options.include_prompt_text) {
    drop_content(e.name, e.attributes);
  }
  if (e.name == "api_request") {
    Result<UsageRecord> usage = usage_of(e);
    if (!usage) {
      return tl::unexpected(usage.error());
    }
    out.usage.push_back(std::move(*usage));
    out.usage_events.push_back(out.events.size());  // `e` is pushed below
  }
  if (std::optional<std::int64_t> reset = limit_reset_of(e.attributes)) {
    out.limits.push_back(LimitSample{e.instant, std::string(kOtlpSource), "five_hour", std::nullopt,
                                     reset, e.session_id});
  }
  out.events.push_back(std::move(e));
  return {};
}

// Maps one number data point into `out`; an error naming the reason when it is rejected.
Status map_point(const Metric& m, const DataPoint& p, const TelemetryOrigin& base,
                 MappedMetrics& out) {
  if (p.time_unix_nano == 0) {
    return fail(Errc::kInvalidInput, fmt::format("{} data point without a time", m.name));
  }
  if (!p.has_value) {
    return fail(Errc::kInvalidInput, fmt::format("{} data point without a value", m.name));
  }
  if (!std::isfinite(p.value)) {
    return fail(Errc::kInvalidInput, fmt::format("{} data point is not finite", m.name));
  }
  if (m.data == MetricData::kSum && m.temporality == MetricTemporality::kUnspecified) {
    return fail(Errc::kInvalidInput, fmt::format("{} sum without aggregation temporality", m.name));
  }
  MetricPoint point;
  point.name = m.name;
  point.unit = m.unit;
  point.kind = m.data == MetricData::kSum ? MetricKind::kSum : MetricKind::kGauge;
  point.temporality = m.data == MetricData::kSum ? m.temporality : MetricTemporality::kUnspecified;
  point.monotonic = m.data == MetricData::kSum && m.monotonic;
  point.start = from_unix_nano(p.start_time_unix_nano);
  point.instant = from_unix_nano(p.time_unix_nano);
  point.value = p.value;
  point.session_id = text_of(p.attributes, "session.id");
  point.model = text_of(p.attributes, "model");
  point.origin = origin_for(base, p.attributes);
  point.attributes = p.attributes;
  out.points.push_back(std::move(point));
  return {};
}

void map_metric(const Metric& m, const TelemetryOrigin& base, MappedMetrics& out) {
  bool usable = m.data == MetricData::kSum || m.data == MetricData::kGauge;
  for (const DataPoint& p : m.points) {
    if (!usable || (p.flags & kFlagNoRecordedValue) != 0) {
      ++out.ignored;
      continue;
    }
    if (Status s = map_point(m, p, base, out); !s) {
      out.rejected.add(std::move(s.error().message));
    }
  }
}

}  // namespace

MappedLogs map_logs(const DecodedLogs& logs, const MappingOptions& options) {
  MappedLogs out;
  out.events.reserve(logs.record_count());
  for (const ResourceLogs& resource : logs.resources) {
    Origins origins(resource.resource);
    for (const ScopeLogs& scope : resource.scopes) {
      for (const LogRecord& record : scope.records) {
        if (Status s = map_record(record, Attributes(record.attributes), origins, options, out);
            !s) {
          out.rejected.add(std::move(s.error().message));
        }
      }
    }
  }
  return out;
}

MappedLogs map_logs(DecodedLogs&& logs, const MappingOptions& options) {
  MappedLogs out;
  out.events.reserve(logs.record_count());
  for (ResourceLogs& resource : logs.resources) {
    Origins origins(resource.resource);
    for (ScopeLogs& scope : resource.scopes) {
      for (LogRecord& record : scope.records) {
        // map_record reads record.attributes before it moves them into the event.
        if (Status s = map_record(record, std::move(record.attributes), origins, options, out);
            !s) {
          out.rejected.add(std::move(s.error().message));
        }
      }
    }
  }
  return out;
}

MappedMetrics map_metrics(const DecodedMetrics& metrics) {
  MappedMetrics out;
  for (const ResourceMetrics& resource : metrics.resources) {
    TelemetryOrigin base = resource_origin(resource.resource);
    for (const ScopeMetrics& scope : resource.scopes) {
      for (const Metric& metric : scope.metrics) {
        map_metric(metric, base, out);
      }
    }
  }
  return out;
}

}  // namespace ccgauge::ingest::otlp

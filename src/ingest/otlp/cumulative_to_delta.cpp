#include "ingest/otlp/cumulative_to_delta.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace ccgauge::ingest::otlp {
namespace {

void append_field(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

void append_sorted(std::string& key, const Attributes& attributes) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(attributes.size());
  for (const auto& kv : attributes) {
    sorted.push_back(&kv);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
  key += std::to_string(sorted.size());
  key += '{';
  for (const auto* kv : sorted) {
    append_field(key, kv->first);
    append_field(key, kv->second);
  }
  key += '}';
}

}  // namespace

std::string series_key(const MetricPoint& point) {
  std::string key;
  append_field(key, point.name);
  key += static_cast<char>('0' + static_cast<int>(point.temporality));
  append_sorted(key, point.attributes);
  append_sorted(key, point.origin.resource);
  return key;
}

std::optional<MetricPoint> CumulativeToDelta::to_delta(MetricPoint point) {
  if (point.kind != MetricKind::kSum || point.temporality == MetricTemporality::kUnspecified) {
    return point;
  }
  std::string key = series_key(point);
  switch (point.temporality) {
    case MetricTemporality::kCumulative:
      return cumulative(std::move(point), key);
    case MetricTemporality::kDelta:
      return delta(std::move(point), key);
    case MetricTemporality::kUnspecified:
      break;
  }
  return point;
}

std::optional<MetricPoint> CumulativeToDelta::cumulative(MetricPoint point,
                                                         const std::string& key) {
  std::string run_key = key;
  run_key += '@';
  run_key += std::to_string(to_epoch_ms(point.start));
  auto [it, first] = series_.try_emplace(std::move(run_key));
  Series& run = it->second;
  if (first) {
    run.last_seen = point.instant;
    run.last_value = point.value;
    if (point.start < counted_since_) {
      return std::nullopt;  // baseline only
    }
    point.temporality = MetricTemporality::kDelta;
    return point;
  }
  if (point.instant <= run.last_seen) {
    return std::nullopt;  // a duplicate or an out-of-order point
  }
  double previous = run.last_value;
  Instant previous_time = run.last_seen;
  run.last_seen = point.instant;
  run.last_value = point.value;
  point.temporality = MetricTemporality::kDelta;
  point.start = previous_time;
  if (point.monotonic && point.value < previous) {
    return point;  // reset: the whole new value is new
  }
  point.value -= previous;
  return point;
}

std::optional<MetricPoint> CumulativeToDelta::delta(MetricPoint point, const std::string& key) {
  Interval interval{point.start == Instant{} ? point.instant : point.start, point.instant};
  if (interval.start > interval.end) {
    interval.start = interval.end;
  }
  Series& series = series_[key];
  std::deque<Interval>& seen = series.intervals;
  if (seen.size() >= kRememberedIntervals && interval.end <= seen.front().end) {
    return std::nullopt;  // older than what we remember: cannot tell it is new
  }
  for (const Interval& s : seen) {
    bool same = s.start == interval.start && s.end == interval.end;
    bool overlaps = interval.start < s.end && s.start < interval.end;
    if (same || overlaps) {
      return std::nullopt;
    }
  }
  auto at = std::upper_bound(seen.begin(), seen.end(), interval,
                             [](const Interval& a, const Interval& b) { return a.end < b.end; });
  seen.insert(at, interval);
  if (seen.size() > kRememberedIntervals) {
    seen.pop_front();
  }
  series.last_seen = std::max(series.last_seen, point.instant);
  return point;
}

void CumulativeToDelta::forget_idle(Instant cutoff) {
  std::erase_if(series_, [&](const auto& entry) { return entry.second.last_seen < cutoff; });
}

}  // namespace ccgauge::ingest::otlp

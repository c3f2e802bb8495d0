#pragma once
// Turns metric points of either temporality into deltas that can simply be added up, without
// ever counting the same increase twice (research: telemetry.md §1.9 rule 3).
//
// A series is one metric name and temporality with one full set of point attributes from one
// resource (attribute order does not matter). Per series:
// - Cumulative: each start time is tracked on its own, so a process restart (a new start time)
//   begins a new run, and two processes that report the same series (one session resumed in
//   two terminals) never count each other's totals. Within a run the delta is the value minus
//   the run's last value; a lower value of a monotonic sum (the counter was reset) starts over,
//   its whole value being the delta. A point not newer than the run's last one (a retried
//   export, an out-of-order point) gives nothing. The first point of a run counts in full when
//   its start time is at or after `counted_since`; otherwise (the run began before we could see
//   all of it, e.g. the daemon restarted) it only sets the baseline. A point without a start
//   time belongs to the run of start time zero, where only a value drop shows a restart.
// - Delta: the point passes through unless its interval [start, instant] equals or overlaps
//   one already seen for the series (a retried export), or is older than the oldest interval
//   still remembered. A delta point without a start time is treated as [instant, instant].
// - Gauges and sums without temporality pass through unchanged.
//
// Memory grows with the number of series; forget_idle() drops series not seen for a while.
// Not thread-safe: it lives on the ingest thread.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/telemetry.h"
#include "core/types.h"

namespace ccgauge::ingest::otlp {

class CumulativeToDelta {
 public:
  // Delta intervals remembered per series for duplicate detection.
  static constexpr std::size_t kRememberedIntervals = 16;

  explicit CumulativeToDelta(Instant counted_since = Instant{}) : counted_since_(counted_since) {}

  // The point as a delta (temporality kDelta, start = the previous point's time for a
  // cumulative series), or nullopt when it adds nothing new. A delta of zero is returned (the
  // series was seen).
  std::optional<MetricPoint> to_delta(MetricPoint point);

  // Drops series whose last point is older than `cutoff`. A cumulative series dropped and seen
  // again restarts from a baseline (its first point then counts only if it started at or after
  // counted_since).
  void forget_idle(Instant cutoff);

  std::size_t series_count() const { return series_.size(); }

 private:
  struct Interval {
    Instant start;
    Instant end;
  };
  // One cumulative run (series + start time) or one delta series.
  struct Series {
    Instant last_seen{};             // time of the newest point
    double last_value = 0;           // cumulative
    std::deque<Interval> intervals;  // delta: the newest intervals, by end time
  };

  std::optional<MetricPoint> cumulative(MetricPoint point, const std::string& key);
  std::optional<MetricPoint> delta(MetricPoint point, const std::string& key);

  Instant counted_since_;
  std::unordered_map<std::string, Series> series_;
};

// The series key: name, temporality, sorted point attributes and sorted resource attributes,
// each length-prefixed so that no two different series share a key.
std::string series_key(const MetricPoint& point);

}  // namespace ccgauge::ingest::otlp

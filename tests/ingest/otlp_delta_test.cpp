#include "ingest/otlp/cumulative_to_delta.h"

#include <optional>
#include <vector>

#include <gtest/gtest.h>

namespace ccgauge::ingest::otlp {
namespace {

constexpr std::int64_t kT = 1763700000000;  // ms

MetricPoint cumulative(double value, std::int64_t start_s, std::int64_t time_s,
                       Attributes attributes = {{"session.id", "s1"}, {"type", "input"}}) {
  MetricPoint p;
  p.name = "claude_code.token.usage";
  p.kind = MetricKind::kSum;
  p.temporality = MetricTemporality::kCumulative;
  p.monotonic = true;
  p.start = from_epoch_ms(kT + start_s * 1000);
  p.instant = from_epoch_ms(kT + time_s * 1000);
  p.value = value;
  p.attributes = std::move(attributes);
  p.origin.resource = {{"service.name", "claude-code"}};
  return p;
}

MetricPoint delta(double value, std::int64_t start_s, std::int64_t time_s) {
  MetricPoint p = cumulative(value, start_s, time_s);
  p.temporality = MetricTemporality::kDelta;
  return p;
}

// The delta a point adds, or nullopt when it adds nothing.
std::optional<double> added(CumulativeToDelta& c, MetricPoint p) {
  std::optional<MetricPoint> d = c.to_delta(std::move(p));
  if (!d) {
    return std::nullopt;
  }
  EXPECT_EQ(d->temporality, d->kind == MetricKind::kSum ? MetricTemporality::kDelta
                                                        : MetricTemporality::kUnspecified);
  return d->value;
}

TEST(CumulativeToDelta, MonotonicSeries) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, cumulative(5, 0, 60)), 5);  // first run point counts in full
  EXPECT_EQ(added(c, cumulative(8, 0, 120)), 3);
  EXPECT_EQ(added(c, cumulative(12, 0, 180)), 4);
  EXPECT_EQ(added(c, cumulative(12, 0, 240)), 0);  // seen, nothing new
  std::optional<MetricPoint> d = c.to_delta(cumulative(20, 0, 300));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->start, from_epoch_ms(kT + 240 * 1000));  // the interval since the last point
  EXPECT_EQ(d->instant, from_epoch_ms(kT + 300 * 1000));
  EXPECT_EQ(c.series_count(), 1u);
}

TEST(CumulativeToDelta, FirstPointOfARunThatStartedBeforeCountingIsABaseline) {
  CumulativeToDelta c(from_epoch_ms(kT + 100 * 1000));
  EXPECT_EQ(added(c, cumulative(500, 0, 160)), std::nullopt);  // started before we listened
  EXPECT_EQ(added(c, cumulative(510, 0, 220)), 10);
  EXPECT_EQ(added(c, cumulative(7, 200, 260)), 7);  // a process started after: counts in full
}

TEST(CumulativeToDelta, CounterResetCountsTheNewValue) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, cumulative(10, 0, 60)), 10);
  EXPECT_EQ(added(c, cumulative(3, 0, 120)), 3);  // dropped: reset, the new value is new
  EXPECT_EQ(added(c, cumulative(5, 0, 180)), 2);
}

TEST(CumulativeToDelta, NonMonotonicSumsGoDownWithoutAReset) {
  CumulativeToDelta c;
  MetricPoint a = cumulative(10, 0, 60);
  a.monotonic = false;
  MetricPoint b = cumulative(4, 0, 120);
  b.monotonic = false;
  EXPECT_EQ(added(c, a), 10);
  EXPECT_EQ(added(c, b), -6);
}

TEST(CumulativeToDelta, RestartWithNewStartTime) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, cumulative(10, 0, 60)), 10);
  EXPECT_EQ(added(c, cumulative(12, 0, 120)), 2);
  // The process restarted (same session resumed): a new start time, a small total.
  EXPECT_EQ(added(c, cumulative(4, 130, 190)), 4);
  EXPECT_EQ(added(c, cumulative(6, 130, 250)), 2);
  // Even a larger total of the new run is all new.
  CumulativeToDelta d;
  EXPECT_EQ(added(d, cumulative(10, 0, 60)), 10);
  EXPECT_EQ(added(d, cumulative(25, 130, 190)), 25);
}

TEST(CumulativeToDelta, TwoProcessesReportingTheSameSeriesNeverDoubleCount) {
  CumulativeToDelta c;
  double total = 0;
  // Process A started at 0, process B at 30; their exports interleave.
  for (auto v : {added(c, cumulative(5, 0, 60)), added(c, cumulative(2, 30, 90)),
                 added(c, cumulative(9, 0, 120)), added(c, cumulative(3, 30, 150)),
                 added(c, cumulative(9, 0, 180)), added(c, cumulative(7, 30, 210))}) {
    ASSERT_TRUE(v);
    total += *v;
  }
  EXPECT_EQ(total, 9 + 7);
}

TEST(CumulativeToDelta, DuplicatesAndOutOfOrderPointsAddNothing) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, cumulative(5, 0, 60)), 5);
  EXPECT_EQ(added(c, cumulative(5, 0, 60)), std::nullopt);  // a retried export
  EXPECT_EQ(added(c, cumulative(8, 0, 120)), 3);
  EXPECT_EQ(added(c, cumulative(6, 0, 90)), std::nullopt);  // late and older
  EXPECT_EQ(added(c, cumulative(8, 0, 120)), std::nullopt);
  EXPECT_EQ(added(c, cumulative(9, 0, 180)), 1);
}

TEST(CumulativeToDelta, SumOfDeltasIsTheLastTotal) {
  CumulativeToDelta c;
  std::vector<double> totals = {1, 4, 4, 9, 15, 15, 22};
  double sum = 0;
  std::int64_t t = 60;
  for (double total : totals) {
    for (int copy = 0; copy < 2; ++copy) {  // every export arrives twice
      if (std::optional<double> d = added(c, cumulative(total, 0, t))) {
        sum += *d;
      }
    }
    t += 60;
  }
  EXPECT_EQ(sum, 22);
}

TEST(CumulativeToDelta, SeriesAreKeyedByNameAttributesAndResource) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, cumulative(5, 0, 60, {{"session.id", "s1"}, {"type", "input"}})), 5);
  // The same attributes in another order are the same series.
  EXPECT_EQ(added(c, cumulative(7, 0, 120, {{"type", "input"}, {"session.id", "s1"}})), 2);
  // Another attribute value is another series.
  EXPECT_EQ(added(c, cumulative(7, 0, 120, {{"type", "output"}, {"session.id", "s1"}})), 7);
  // Another resource is another series.
  MetricPoint other_host = cumulative(9, 0, 120);
  other_host.origin.resource.push_back({"host.name", "b"});
  EXPECT_EQ(added(c, other_host), 9);
  // Another metric name is another series.
  MetricPoint cost = cumulative(1, 0, 120);
  cost.name = "claude_code.cost.usage";
  EXPECT_EQ(added(c, cost), 1);
  EXPECT_EQ(c.series_count(), 4u);
  // Keys cannot collide by concatenation.
  EXPECT_NE(series_key(cumulative(1, 0, 1, {{"ab", "c"}})),
            series_key(cumulative(1, 0, 1, {{"a", "bc"}})));
}

TEST(CumulativeToDelta, DeltaPassesThrough) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, delta(5, 0, 60)), 5);
  EXPECT_EQ(added(c, delta(3, 60, 120)), 3);
  EXPECT_EQ(added(c, delta(0, 120, 180)), 0);
  // An idle gap, then a series restarts at its first measurement.
  EXPECT_EQ(added(c, delta(2, 400, 420)), 2);
}

TEST(CumulativeToDelta, DeltaDuplicatesAndOverlapsAreDropped) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, delta(5, 0, 60)), 5);
  EXPECT_EQ(added(c, delta(5, 0, 60)), std::nullopt);   // retried export
  EXPECT_EQ(added(c, delta(4, 30, 90)), std::nullopt);  // overlaps [0, 60]
  EXPECT_EQ(added(c, delta(3, 120, 180)), 3);
  // A late interval that fits a gap is new.
  EXPECT_EQ(added(c, delta(1, 60, 120)), 1);
  EXPECT_EQ(added(c, delta(1, 60, 120)), std::nullopt);
  // Without a start time the interval is the instant alone.
  MetricPoint no_start = delta(2, 0, 200);
  no_start.start = Instant{};
  EXPECT_EQ(added(c, no_start), 2);
  EXPECT_EQ(added(c, no_start), std::nullopt);
}

TEST(CumulativeToDelta, DeltaOlderThanWhatIsRememberedIsDropped) {
  CumulativeToDelta c;
  std::int64_t t = 0;
  for (std::size_t i = 0; i < CumulativeToDelta::kRememberedIntervals + 4; ++i) {
    EXPECT_EQ(added(c, delta(1, t + 10, t + 20)), 1);
    t += 20;
  }
  // [0, 10] never arrived, but it is older than every remembered interval: it might be a copy
  // of one that was forgotten, so it is not counted.
  EXPECT_EQ(added(c, delta(1, 0, 10)), std::nullopt);
}

TEST(CumulativeToDelta, GaugesAndUnspecifiedPassThrough) {
  CumulativeToDelta c;
  MetricPoint gauge = cumulative(7, 0, 60);
  gauge.kind = MetricKind::kGauge;
  gauge.temporality = MetricTemporality::kUnspecified;
  EXPECT_EQ(added(c, gauge), 7);
  EXPECT_EQ(added(c, gauge), 7);
  EXPECT_EQ(c.series_count(), 0u);
}

TEST(CumulativeToDelta, ForgetIdleDropsOldSeries) {
  CumulativeToDelta c;
  EXPECT_EQ(added(c, cumulative(5, 0, 60, {{"session.id", "old"}})), 5);
  EXPECT_EQ(added(c, cumulative(5, 0, 600, {{"session.id", "new"}})), 5);
  EXPECT_EQ(added(c, delta(1, 0, 60)), 1);
  c.forget_idle(from_epoch_ms(kT + 300 * 1000));
  EXPECT_EQ(c.series_count(), 1u);
  EXPECT_EQ(added(c, cumulative(8, 0, 660, {{"session.id", "new"}})), 3);
}

}  // namespace
}  // namespace ccgauge::ingest::otlp

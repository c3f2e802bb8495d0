#include "ledger/limits_reader.h"

#include <chrono>

namespace ccgauge::ledger {

Result<analytics::LimitsReport> read_limits(const Ledger& ledger, const LimitsQuery& query) {
  analytics::LimitsOptions options;
  options.now = query.now;
  options.plan = query.plan;
  analytics::LimitsBuilder builder(options);

  // Current readings are at most a week old; the newest weekly one of any age still tells the
  // weekly schedule.
  auto samples = ledger.latest_limit_samples(query.now - std::chrono::days(7));
  if (!samples) {
    return tl::unexpected(samples.error());
  }
  for (const LimitSample& s : *samples) {
    builder.add_sample(s);
  }
  auto weekly = ledger.latest_limit_sample("seven_day");
  if (!weekly) {
    return tl::unexpected(weekly.error());
  }
  if (*weekly) {
    builder.add_sample(**weekly);
  }
  for (const LimitSample& s : query.extra_samples) {
    builder.add_sample(s);
  }

  if (auto starts = builder.window_starts()) {
    // Both windows official: two sums instead of a week of rows.
    for (Instant start : {starts->first, starts->second}) {
      auto usage = ledger.rollup_totals(start, query.now + std::chrono::milliseconds(1),
                                        analytics::CostMode::kAuto);
      if (!usage) {
        return tl::unexpected(usage.error());
      }
      builder.add_window_usage(start, *usage);
    }
  } else {
    RequestQuery history;
    history.from = builder.history_needed_from();
    history.to = query.now + std::chrono::minutes(1);
    if (auto s = ledger.for_each_rollup(history, analytics::CostMode::kAuto,
                                        [&](const analytics::RequestRow& row) {
                                          builder.add_history(row);
                                        });
        !s) {
      return tl::unexpected(s.error());
    }
  }
  // The recent burn rate needs only the sums of the last minutes' requests.
  auto recent = ledger.sum_requests(query.now - options.recent, query.now);
  if (!recent) {
    return tl::unexpected(recent.error());
  }
  builder.add_recent(*recent);
  return builder.finish();
}

}  // namespace ccgauge::ledger

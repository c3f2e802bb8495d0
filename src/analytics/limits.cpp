#include "analytics/limits.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "analytics/blocks.h"

namespace ccgauge::analytics {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr auto kFiveHours = hours(5);
constexpr auto kSevenDays = hours(24 * 7);
constexpr auto kHistory = hours(24 * 7 * 8);  // the P90 looks at eight weeks
// Claude-Code-Usage-Monitor's P90 (research peers.md 2.2): blocks within 95 % of a common
// limit count as "limit hits"; the result is never below the smallest limit.
constexpr std::int64_t kCommonTokenLimits[] = {19'000, 88'000, 220'000, 880'000};
constexpr double kLimitHitShare = 0.95;
constexpr std::int64_t kMinTokenLimit = 19'000;
constexpr std::size_t kWeeksForEstimate = 2;

double usd(Nanodollars n) { return static_cast<double>(n) / 1e9; }

double hours_between(Instant from, Instant to) {
  return static_cast<double>((to - from).count()) / 3'600'000.0;
}

std::int64_t non_cache(const TokenCounts& t) { return t.input + t.output; }

// Python's statistics.quantiles(data, n=10)[8] (method "exclusive"), on sorted data.
double p90_exclusive(const std::vector<double>& sorted) {
  if (sorted.size() == 1) {
    return sorted[0];
  }
  constexpr std::int64_t n = 10;
  constexpr std::int64_t i = 9;
  auto ld = static_cast<std::int64_t>(sorted.size());
  std::int64_t m = ld + 1;
  std::int64_t j = std::clamp<std::int64_t>(i * m / n, 1, ld - 1);
  std::int64_t delta = i * m - j * n;
  return (sorted[j - 1] * static_cast<double>(n - delta) + sorted[j] * static_cast<double>(delta)) /
         static_cast<double>(n);
}

// numpy.percentile(data, 90) (linear), on sorted data.
double p90_linear(const std::vector<double>& sorted) {
  double pos = 0.9 * static_cast<double>(sorted.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

struct Entry {
  Instant first{};
  Instant last{};
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::int64_t count = 0;
};

struct Official {
  LimitSample sample;
  bool hit = false;  // a limit-hit message: the window is used up until the reset
};

}  // namespace

std::string_view provenance_name(Provenance p) {
  switch (p) {
    case Provenance::kOfficial:
      return "official";
    case Provenance::kPlan:
      return "plan";
    case Provenance::kEstimate:
      return "estimate";
    case Provenance::kNone:
      break;
  }
  return "none";
}

Result<PlanLimits> named_plan(std::string_view name) {
  struct Known {
    std::string_view name;
    std::int64_t tokens;
    double dollars;
  };
  static constexpr Known kPlans[] = {
      {"pro", 19'000, 18.0}, {"max5", 88'000, 35.0}, {"max20", 220'000, 140.0}};
  for (const Known& k : kPlans) {
    if (name == k.name) {
      PlanLimits plan;
      plan.name = std::string(k.name);
      plan.tokens_5h = k.tokens;
      plan.cost_5h = std::llround(k.dollars * 1e9);
      return plan;
    }
  }
  if (name == "custom") {
    PlanLimits plan;
    plan.name = "custom";
    return plan;
  }
  return fail(Errc::kInvalidInput,
              fmt::format("unknown plan '{}': use pro, max5, max20 or custom", name));
}

struct LimitsBuilder::Impl {
  explicit Impl(LimitsOptions o) : options(std::move(o)) {
    BlocksOptions bo;
    bo.now = options.now;
    bo.mode = CostMode::kAuto;
    blocks.emplace(std::move(bo));
  }

  void add_sample(const LimitSample& s);
  LimitsReport finish();

  std::optional<Official> current_official(const std::string& window) const;
  void apply_official(WindowState& w, std::chrono::milliseconds length) const;
  void fill_usage(WindowState& w, Instant from) const;
  void fill_rates(WindowState& w) const;
  void apply_budget(WindowState& w, std::optional<std::int64_t> tokens,
                    std::optional<Nanodollars> cost) const;
  std::optional<std::int64_t> weekly_p90(Instant window_start, Nanodollars* cost_p90) const;

  LimitsOptions options;
  std::optional<BlocksBuilder> blocks;
  std::vector<Entry> history;
  // Pre-summed usage since a window's start (add_window_usage), used instead of `history`.
  std::vector<std::pair<Instant, Entry>> window_usage;
  TokenCounts recent_tokens;
  Nanodollars recent_cost = 0;
  // Newest samples per window; stale and current alike (a stale weekly reset still tells the
  // weekly schedule).
  std::vector<LimitSample> samples;
};

void LimitsBuilder::Impl::add_sample(const LimitSample& s) {
  if (s.window != "five_hour" && s.window != "seven_day") {
    return;
  }
  samples.push_back(s);
}

// The newest official reading of a window that is still current.
std::optional<Official> LimitsBuilder::Impl::current_official(const std::string& window) const {
  auto now_s = std::chrono::floor<std::chrono::seconds>(options.now).time_since_epoch().count();
  auto length = window == "five_hour" ? milliseconds(kFiveHours) : milliseconds(kSevenDays);
  const LimitSample* best = nullptr;
  for (const LimitSample& s : samples) {
    if (s.window != window || s.instant > options.now) {
      continue;
    }
    bool current = s.resets_at_epoch_s ? *s.resets_at_epoch_s > now_s
                                       : options.now - s.instant < length;
    if (!current || (!s.used_percent && !s.resets_at_epoch_s)) {
      continue;
    }
    if (best == nullptr || s.instant > best->instant ||
        (s.instant == best->instant && s.used_percent && !best->used_percent)) {
      best = &s;
    }
  }
  if (best == nullptr) {
    return std::nullopt;
  }
  Official o{*best, !best->used_percent};
  if (o.hit) {
    o.sample.used_percent = 100.0;
  }
  return o;
}

// The window's current official reading, if any: its percent, and its bounds when it gives a
// reset.
void LimitsBuilder::Impl::apply_official(WindowState& w, std::chrono::milliseconds length) const {
  auto o = current_official(w.window);
  if (!o) {
    return;
  }
  w.used_percent = o->sample.used_percent;
  w.used_provenance = Provenance::kOfficial;
  w.source = o->sample.source;
  w.sampled_at = o->sample.instant;
  w.limit_hit = o->hit;
  if (o->sample.resets_at_epoch_s) {
    w.resets_at = Instant(std::chrono::seconds(*o->sample.resets_at_epoch_s));
    w.start = *w.resets_at - length;
    w.reset_provenance = Provenance::kOfficial;
  }
}

void LimitsBuilder::Impl::fill_usage(WindowState& w, Instant from) const {
  for (const auto& [start, e] : window_usage) {
    if (start == from) {
      w.tokens += e.tokens;
      w.cost += e.cost;
      w.requests += e.count;
      return;
    }
  }
  for (const Entry& e : history) {
    if (e.first >= from && e.first <= options.now) {
      w.tokens += e.tokens;
      w.cost += e.cost;
      w.requests += e.count;
    }
  }
}

// Percent of the budget per dollar or per token, whichever measure the window's percent uses;
// then the rates, the projection and the sustainable rate.
void LimitsBuilder::Impl::fill_rates(WindowState& w) const {
  double recent_minutes = static_cast<double>(options.recent.count());
  w.recent_rate.tokens_per_minute = static_cast<double>(recent_tokens.total()) / recent_minutes;
  w.recent_rate.cost_per_hour_usd = usd(recent_cost) / recent_minutes * 60.0;
  if (!w.start) {
    return;
  }
  double elapsed_h = std::max(hours_between(*w.start, options.now), 1.0 / 60.0);
  w.window_rate.tokens_per_minute = static_cast<double>(w.tokens.total()) / (elapsed_h * 60.0);
  w.window_rate.cost_per_hour_usd = usd(w.cost) / elapsed_h;
  if (!w.used_percent) {
    return;
  }
  double used = *w.used_percent;
  w.window_rate.percent_per_hour = used / elapsed_h;
  // How many percent one dollar of local usage moves the window. Official readings include
  // usage this machine cannot see (claude.ai, other machines), so the ratio folds that in.
  std::optional<double> percent_per_dollar;
  if (w.used_provenance == Provenance::kOfficial || w.cost_limit) {
    if (w.cost_limit && w.used_provenance != Provenance::kOfficial && *w.cost_limit > 0) {
      percent_per_dollar = 100.0 / usd(*w.cost_limit);
    } else if (w.cost > 0 && used > 0) {
      percent_per_dollar = used / usd(w.cost);
    }
  }
  if (percent_per_dollar) {
    w.recent_rate.percent_per_hour = w.recent_rate.cost_per_hour_usd * *percent_per_dollar;
  } else if (w.token_limit && *w.token_limit > 0) {
    w.recent_rate.percent_per_hour = static_cast<double>(non_cache(recent_tokens)) /
                                     recent_minutes * 60.0 * 100.0 /
                                     static_cast<double>(*w.token_limit);
  }
  double rate = w.recent_rate.percent_per_hour.value_or(0) > 0
                    ? *w.recent_rate.percent_per_hour
                    : w.window_rate.percent_per_hour.value_or(0);
  if (used >= 100.0) {
    w.exhausted_at = options.now;
  } else if (rate > 0) {
    auto at = options.now + milliseconds(static_cast<std::int64_t>((100.0 - used) / rate *
                                                                   3'600'000.0));
    if (!w.resets_at || at < *w.resets_at) {
      w.exhausted_at = at;
    }
  }
  if (w.resets_at && *w.resets_at > options.now) {
    double left_h = hours_between(options.now, *w.resets_at);
    double pph = std::max(0.0, 100.0 - used) / left_h;
    w.sustainable_percent_per_hour = pph;
    if (percent_per_dollar && *percent_per_dollar > 0) {
      w.sustainable_cost_per_hour_usd = pph / *percent_per_dollar;
    }
  }
}

// Percent of a budget: the larger of the token and the dollar share.
void LimitsBuilder::Impl::apply_budget(WindowState& w, std::optional<std::int64_t> tokens,
                                       std::optional<Nanodollars> cost) const {
  w.token_limit = tokens;
  w.cost_limit = cost;
  std::optional<double> pct;
  if (tokens && *tokens > 0) {
    pct = 100.0 * static_cast<double>(non_cache(w.tokens)) / static_cast<double>(*tokens);
  }
  if (cost && *cost > 0) {
    pct = std::max(pct.value_or(0), 100.0 * usd(w.cost) / usd(*cost));
  }
  w.used_percent = pct;
}

// The P90 of the totals of up to eight earlier 7-day spans, counting back from window_start;
// none with fewer than two spans that saw use.
std::optional<std::int64_t> LimitsBuilder::Impl::weekly_p90(Instant window_start,
                                                            Nanodollars* cost_p90) const {
  std::vector<double> tokens;
  std::vector<double> costs;
  for (int k = 1; k <= 8; ++k) {
    Instant from = window_start - kSevenDays * k;
    Instant to = from + kSevenDays;
    std::int64_t t = 0;
    Nanodollars c = 0;
    for (const Entry& e : history) {
      if (e.first >= from && e.first < to) {
        t += non_cache(e.tokens);
        c += e.cost;
      }
    }
    if (t > 0) {
      tokens.push_back(static_cast<double>(t));
      costs.push_back(static_cast<double>(c));
    }
  }
  if (tokens.size() < kWeeksForEstimate) {
    return std::nullopt;
  }
  std::sort(tokens.begin(), tokens.end());
  std::sort(costs.begin(), costs.end());
  *cost_p90 = std::llround(p90_linear(costs));
  return std::llround(p90_linear(tokens));
}

LimitsReport LimitsBuilder::Impl::finish() {
  LimitsReport report;
  report.now = options.now;
  report.plan = options.plan.name;
  BlocksReport built = blocks->finish();

  // The active block (ccusage's algorithm) and the P90 of the completed ones.
  const Block* active = nullptr;
  std::vector<double> block_tokens;
  std::vector<double> block_costs;
  for (const Block& b : built.blocks) {
    if (b.gap) {
      continue;
    }
    if (b.active) {
      active = &b;
      continue;
    }
    if (non_cache(b.tokens) > 0) {
      block_tokens.push_back(static_cast<double>(non_cache(b.tokens)));
      block_costs.push_back(static_cast<double>(b.cost));
    }
  }
  std::vector<double> hits;
  std::vector<double> hit_costs;
  for (std::size_t i = 0; i < block_tokens.size(); ++i) {
    for (std::int64_t limit : kCommonTokenLimits) {
      if (block_tokens[i] >= kLimitHitShare * static_cast<double>(limit)) {
        hits.push_back(block_tokens[i]);
        hit_costs.push_back(block_costs[i]);
        break;
      }
    }
  }
  if (hits.empty()) {
    hits = block_tokens;
    hit_costs = block_costs;
  }
  std::int64_t p90_tokens = kMinTokenLimit;
  std::optional<Nanodollars> p90_cost;
  if (!hits.empty()) {
    std::sort(hits.begin(), hits.end());
    std::sort(hit_costs.begin(), hit_costs.end());
    p90_tokens = std::max(static_cast<std::int64_t>(p90_exclusive(hits)), kMinTokenLimit);
    p90_cost = std::llround(p90_linear(hit_costs));
  }

  // 5 hours.
  WindowState& five = report.five_hour;
  five.window = "five_hour";
  apply_official(five, kFiveHours);
  if (!five.start && active != nullptr) {
    five.start = active->start;
    five.resets_at = active->end;
    five.reset_provenance = Provenance::kEstimate;
  }
  if (five.start) {
    fill_usage(five, *five.start);
  }
  if (five.used_provenance != Provenance::kOfficial) {
    const PlanLimits& plan = options.plan;
    if (plan.tokens_5h || plan.cost_5h) {
      apply_budget(five, plan.tokens_5h, plan.cost_5h);
      five.used_provenance = Provenance::kPlan;
      five.source = plan.name;
    } else {
      apply_budget(five, p90_tokens, std::nullopt);
      five.cost_limit = p90_cost;
      five.used_provenance = Provenance::kEstimate;
      five.source = hits.empty() ? "default" : "p90";
    }
    if (!five.start) {
      five.used_percent = 0.0;  // no usage in five hours: the next request opens a new window
    }
  }
  fill_rates(five);

  // 7 days.
  WindowState& seven = report.seven_day;
  seven.window = "seven_day";
  apply_official(seven, kSevenDays);
  if (!seven.start) {
    // The weekly window resets on a fixed schedule: an old official reset, moved forward by
    // whole weeks, still tells when. Without one, the window is the trailing seven days.
    std::optional<std::int64_t> known;
    for (const LimitSample& s : samples) {
      if (s.window == "seven_day" && s.resets_at_epoch_s &&
          (!known || *s.resets_at_epoch_s > *known)) {
        known = s.resets_at_epoch_s;
      }
    }
    if (known) {
      Instant reset = Instant(std::chrono::seconds(*known));
      while (reset <= options.now) {
        reset += kSevenDays;
      }
      seven.resets_at = reset;
      seven.start = reset - kSevenDays;
      seven.reset_provenance = Provenance::kEstimate;
    } else {
      seven.start = options.now - kSevenDays;
    }
  }
  fill_usage(seven, *seven.start);
  if (seven.used_provenance != Provenance::kOfficial) {
    const PlanLimits& plan = options.plan;
    Nanodollars cost_p90 = 0;
    if (plan.tokens_7d || plan.cost_7d) {
      apply_budget(seven, plan.tokens_7d, plan.cost_7d);
      seven.used_provenance = Provenance::kPlan;
      seven.source = plan.name;
    } else if (auto p90 = weekly_p90(*seven.start, &cost_p90)) {
      apply_budget(seven, *p90, std::nullopt);
      seven.cost_limit = cost_p90;
      seven.used_provenance = Provenance::kEstimate;
      seven.source = "p90";
    } else {
      report.notes.push_back(
          "no official 7-day reading and under two weeks of history: 7-day use shown without a "
          "percentage");
    }
  }
  fill_rates(seven);

  for (const LimitSample& s : samples) {
    auto now_s = std::chrono::floor<std::chrono::seconds>(options.now).time_since_epoch().count();
    if (s.resets_at_epoch_s && *s.resets_at_epoch_s <= now_s && s.source != "transcript" &&
        report.notes.size() < 4 && options.now - s.instant < kSevenDays) {
      std::string note = fmt::format("the latest official {} reading has passed its reset",
                                     s.window == "five_hour" ? "5-hour" : "7-day");
      if (std::find(report.notes.begin(), report.notes.end(), note) == report.notes.end() &&
          (s.window == "five_hour" ? five : seven).used_provenance != Provenance::kOfficial) {
        report.notes.push_back(note);
      }
    }
  }
  return report;
}

LimitsBuilder::LimitsBuilder(LimitsOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
LimitsBuilder::~LimitsBuilder() = default;
LimitsBuilder::LimitsBuilder(LimitsBuilder&&) noexcept = default;
LimitsBuilder& LimitsBuilder::operator=(LimitsBuilder&&) noexcept = default;

void LimitsBuilder::add_sample(const LimitSample& sample) { impl_->add_sample(sample); }

void LimitsBuilder::add_history(const RequestRow& row) {
  if (row.instant > impl_->options.now) {
    return;
  }
  impl_->blocks->add(row);
  impl_->history.push_back(Entry{row.instant, row.last_instant.value_or(row.instant), row.tokens,
                                 cost_under(row, CostMode::kAuto), row.count});
}

void LimitsBuilder::add_recent(const RequestRow& row) {
  const LimitsOptions& o = impl_->options;
  if (row.instant > o.now || o.now - row.instant > o.recent) {
    return;
  }
  impl_->recent_tokens += row.tokens;
  impl_->recent_cost += cost_under(row, CostMode::kAuto);
}

LimitsReport LimitsBuilder::finish() { return impl_->finish(); }

Instant LimitsBuilder::history_needed_from() const {
  const Impl& i = *impl_;
  Instant now = i.options.now;
  auto five = i.current_official("five_hour");
  auto seven = i.current_official("seven_day");
  bool five_known = (five && five->sample.resets_at_epoch_s) || i.options.plan.tokens_5h ||
                    i.options.plan.cost_5h;
  bool seven_known = (seven && seven->sample.resets_at_epoch_s) || i.options.plan.tokens_7d ||
                     i.options.plan.cost_7d;
  if (!five_known || !seven_known) {
    return now - kHistory;
  }
  // The 7-day window and, for the 5-hour one, a day of blocks before it (a block that is
  // still active can have started up to five hours ago, after an idle gap).
  Instant from = now - hours(24);
  if (seven && seven->sample.resets_at_epoch_s) {
    from = std::min(from, Instant(std::chrono::seconds(*seven->sample.resets_at_epoch_s)) -
                              kSevenDays);
  } else {
    from = std::min(from, now - kSevenDays * 2);
  }
  return from;
}

std::optional<std::pair<Instant, Instant>> LimitsBuilder::window_starts() const {
  auto five = impl_->current_official("five_hour");
  auto seven = impl_->current_official("seven_day");
  if (!five || !five->sample.resets_at_epoch_s || !seven || !seven->sample.resets_at_epoch_s) {
    return std::nullopt;
  }
  // As apply_official() sets them.
  return std::make_pair(Instant(std::chrono::seconds(*five->sample.resets_at_epoch_s)) - kFiveHours,
                        Instant(std::chrono::seconds(*seven->sample.resets_at_epoch_s)) -
                            kSevenDays);
}

void LimitsBuilder::add_window_usage(Instant start, const RequestRow& sums) {
  impl_->window_usage.emplace_back(
      start, Entry{start, start, sums.tokens, cost_under(sums, CostMode::kAuto), sums.count});
}

}  // namespace ccgauge::analytics

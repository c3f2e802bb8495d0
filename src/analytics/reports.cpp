#include "analytics/reports.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <tuple>
#include <utility>

#include "pricing/price_table.h"

namespace ccgauge::analytics {

Nanodollars cost_under(const RequestRow& row, CostMode mode) {
  switch (mode) {
    case CostMode::kAuto:
      return row.reported_cost.value_or(row.computed_cost);
    case CostMode::kCalculate:
      return row.computed_cost;
    case CostMode::kDisplay:
      return row.reported_cost.value_or(0);
  }
  return row.computed_cost;
}

namespace detail {

int ModelNames::intern(std::string_view model, Speed speed) {
  if (model.empty() || model == "<synthetic>") {
    return kUnnamed;
  }
  if (last_key_ != kUnnamed) {
    const Key& last = keys_[static_cast<std::size_t>(last_key_)];
    if (last.speed == speed && last.logged == model) {
      return last_key_;
    }
  }
  auto& by_logged = by_logged_[static_cast<std::size_t>(speed)];
  auto found = by_logged.find(model);
  if (found != by_logged.end()) {
    last_key_ = found->second;
    return last_key_;
  }
  std::string display = pricing::short_model_name(model, speed);
  auto [display_it, added] =
      by_display_.try_emplace(display, static_cast<int>(display_names_.size()));
  if (added) {
    display_names_.push_back(std::move(display));
  }
  int key = static_cast<int>(keys_.size());
  keys_.push_back(Key{std::string(model), speed, display_it->second});
  by_logged.emplace(std::string(model), key);
  last_key_ = key;
  return key;
}

int ModelNames::display_id(int key) const {
  return keys_[static_cast<std::size_t>(key)].display_id;
}

const std::string& ModelNames::display_name(int display_id) const {
  return display_names_[static_cast<std::size_t>(display_id)];
}

std::vector<std::string> ModelNames::logged_names(const std::set<int>& keys) const {
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (int key : keys) {
    names.push_back(keys_[static_cast<std::size_t>(key)].logged);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace detail

namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// A report row's identity: `text` is the project (empty unless grouped by project) or, for
// sessions, the session id; `period` is the bucket as a sortable integer: YYYYMMDD for days and
// week starts, YYYYMM for months, YYYYMMDDHH for hours, 0 for sessions. Ordering keys orders
// rows by project, then period.
struct GroupKey {
  std::string text;
  std::int64_t period = 0;
};

struct GroupKeyView {
  std::string_view text;
  std::int64_t period = 0;
};

// Lets the map be searched with a view, so finding an existing group copies no string.
struct GroupKeyLess {
  using is_transparent = void;
  static GroupKeyView view(const GroupKey& key) { return {key.text, key.period}; }
  static GroupKeyView view(const GroupKeyView& key) { return key; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    GroupKeyView x = view(a);
    GroupKeyView y = view(b);
    return std::tie(x.text, x.period) < std::tie(y.text, y.period);
  }
};

struct ModelUsage {
  int display_id = 0;
  Instant first_seen{};  // earliest instant of a row with this model, whatever the arrival order
  TokenCounts tokens;
  Nanodollars cost = 0;
};

struct Group {
  std::string session_project;  // sessions only: the project of the earliest row
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::int64_t requests = 0;
  Instant first_activity = Instant::max();
  Instant last_activity = Instant::min();
  std::vector<ModelUsage> models;  // a handful per group; searched linearly
};

std::int64_t period_of(PeriodKind kind, sys_days day, int hour, std::chrono::weekday week_start) {
  year_month_day ymd{day};
  switch (kind) {
    case PeriodKind::kDaily:
      return date_key(ymd);
    case PeriodKind::kWeekly:
      // weekday - weekday is the distance forward from week_start, in [0, 6] days.
      return date_key(year_month_day{day - (std::chrono::weekday{day} - week_start)});
    case PeriodKind::kMonthly:
      return std::int64_t{int(ymd.year())} * 100 + unsigned(ymd.month());
    case PeriodKind::kHourly:
      return std::int64_t{date_key(ymd)} * 100 + hour;
    case PeriodKind::kSession:
      break;
  }
  return 0;
}

std::string format_period(PeriodKind kind, std::int64_t period) {
  switch (kind) {
    case PeriodKind::kDaily:
    case PeriodKind::kWeekly:
      return format_date(static_cast<DateKey>(period));
    case PeriodKind::kMonthly:
      return fmt::format("{:04d}-{:02d}", period / 100, period % 100);
    case PeriodKind::kHourly:
      return fmt::format("{} {:02d}:00", format_date(static_cast<DateKey>(period / 100)),
                         period % 100);
    case PeriodKind::kSession:
      break;
  }
  return {};
}

void add_model_usage(Group& group, int display_id, const RequestRow& row, Nanodollars cost) {
  auto usage = std::find_if(group.models.begin(), group.models.end(),
                            [&](const ModelUsage& m) { return m.display_id == display_id; });
  if (usage == group.models.end()) {
    ModelUsage added;
    added.display_id = display_id;
    added.first_seen = row.instant;
    group.models.push_back(added);
    usage = group.models.end() - 1;
  }
  usage->first_seen = std::min(usage->first_seen, row.instant);
  usage->tokens += row.tokens;
  usage->cost += cost;
}

// Sessions take the project of their earliest row; at equal instants the smaller name wins, so
// the answer does not depend on the order rows arrive in.
void note_session_project(Group& group, const RequestRow& row) {
  bool earlier = row.instant < group.first_activity;
  bool tie = row.instant == group.first_activity && row.project < group.session_project;
  if (group.requests == 0 || earlier || tie) {
    group.session_project = row.project;
  }
}

std::vector<std::string> models_in_first_seen_order(const Group& group,
                                                    const detail::ModelNames& names) {
  std::vector<const ModelUsage*> seen;
  for (const ModelUsage& usage : group.models) {
    seen.push_back(&usage);
  }
  std::sort(seen.begin(), seen.end(), [&](const ModelUsage* a, const ModelUsage* b) {
    return std::tie(a->first_seen, names.display_name(a->display_id)) <
           std::tie(b->first_seen, names.display_name(b->display_id));
  });
  std::vector<std::string> models;
  for (const ModelUsage* usage : seen) {
    models.push_back(names.display_name(usage->display_id));
  }
  return models;
}

std::vector<ModelBreakdown> breakdowns_by_cost(const Group& group,
                                               const detail::ModelNames& names) {
  std::vector<ModelBreakdown> breakdowns;
  for (const ModelUsage& usage : group.models) {
    breakdowns.push_back(ModelBreakdown{
        .model = names.display_name(usage.display_id), .tokens = usage.tokens, .cost = usage.cost});
  }
  std::sort(breakdowns.begin(), breakdowns.end(),
            [](const ModelBreakdown& a, const ModelBreakdown& b) {
              return a.cost != b.cost ? a.cost > b.cost : a.model < b.model;
            });
  return breakdowns;
}

void sort_period_rows(std::vector<UsageRow>& rows, Order order) {
  std::sort(rows.begin(), rows.end(), [order](const UsageRow& a, const UsageRow& b) {
    if (a.project != b.project) {
      return a.project < b.project;
    }
    return order == Order::kAsc ? a.key < b.key : a.key > b.key;
  });
}

void sort_session_rows(std::vector<UsageRow>& rows, Order order) {
  std::sort(rows.begin(), rows.end(), [order](const UsageRow& a, const UsageRow& b) {
    auto x = std::tie(a.last_activity, a.key);
    auto y = std::tie(b.last_activity, b.key);
    return order == Order::kAsc ? x < y : y < x;
  });
}

}  // namespace

struct ReportBuilder::Impl {
  explicit Impl(ReportOptions options) : options_(std::move(options)) {}

  void add(const RequestRow& row);
  PeriodReport finish() const;

 private:
  bool in_range(DateKey date) const {
    return (!options_.since || date >= *options_.since) &&
           (!options_.until || date <= *options_.until);
  }
  bool is_session() const { return options_.kind == PeriodKind::kSession; }
  Group& group_for(std::string_view text, std::int64_t period);
  UsageRow make_row(const GroupKey& key, const Group& group) const;

  ReportOptions options_;
  detail::ModelNames names_;
  std::map<GroupKey, Group, GroupKeyLess> groups_;
  // Rows come mostly in time order, so the next row usually lands in the same group.
  std::map<GroupKey, Group, GroupKeyLess>::iterator last_group_ = groups_.end();
  Totals totals_;
  std::set<int> unpriced_keys_;
};

void ReportBuilder::Impl::add(const RequestRow& row) {
  auto local = options_.zone.to_local(row.instant);
  sys_days day = std::chrono::floor<days>(local);
  DateKey date = date_key(year_month_day{day});
  if (!in_range(date)) {
    return;
  }
  std::string_view text;
  std::int64_t period = 0;
  if (is_session()) {
    text = row.session_id;
  } else {
    int hour = static_cast<int>(std::chrono::floor<std::chrono::hours>(local - day).count());
    text = options_.by_project ? std::string_view(row.project) : std::string_view();
    period = period_of(options_.kind, day, hour, options_.start_of_week);
  }
  Group& group = group_for(text, period);
  Nanodollars cost = cost_under(row, options_.mode);
  int model_key = names_.intern(row.model, row.speed);

  if (is_session()) {
    note_session_project(group, row);
  }
  group.tokens += row.tokens;
  group.cost += cost;
  group.requests += row.count;
  group.first_activity = std::min(group.first_activity, row.instant);
  group.last_activity = std::max(group.last_activity, row.instant);
  if (model_key != detail::ModelNames::kUnnamed) {
    add_model_usage(group, names_.display_id(model_key), row, cost);
    if (!row.priced) {
      unpriced_keys_.insert(model_key);
    }
  }
  totals_.tokens += row.tokens;
  totals_.cost += cost;
  totals_.requests += row.count;
}

Group& ReportBuilder::Impl::group_for(std::string_view text, std::int64_t period) {
  if (last_group_ != groups_.end() && last_group_->first.period == period &&
      last_group_->first.text == text) {
    return last_group_->second;
  }
  auto found = groups_.find(GroupKeyView{text, period});
  if (found == groups_.end()) {
    found = groups_.emplace(GroupKey{std::string(text), period}, Group{}).first;
  }
  last_group_ = found;
  return found->second;
}

UsageRow ReportBuilder::Impl::make_row(const GroupKey& key, const Group& group) const {
  UsageRow row;
  if (is_session()) {
    row.key = key.text;
    row.project = group.session_project;
  } else {
    row.key = format_period(options_.kind, key.period);
    row.project = key.text;
  }
  row.tokens = group.tokens;
  row.cost = group.cost;
  row.models_used = models_in_first_seen_order(group, names_);
  row.breakdowns = breakdowns_by_cost(group, names_);
  row.first_activity = group.first_activity;
  row.last_activity = group.last_activity;
  row.requests = group.requests;
  return row;
}

PeriodReport ReportBuilder::Impl::finish() const {
  PeriodReport report;
  report.kind = options_.kind;
  report.by_project = options_.by_project && !is_session();
  for (const auto& [key, group] : groups_) {
    if (is_session() && group.tokens.total() == 0) {
      continue;
    }
    report.rows.push_back(make_row(key, group));
  }
  if (is_session()) {
    sort_session_rows(report.rows, options_.order);
  } else {
    sort_period_rows(report.rows, options_.order);
  }
  report.totals = totals_;
  report.missing_pricing = names_.logged_names(unpriced_keys_);
  return report;
}

ReportBuilder::ReportBuilder(ReportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ReportBuilder::~ReportBuilder() = default;
ReportBuilder::ReportBuilder(ReportBuilder&&) noexcept = default;
ReportBuilder& ReportBuilder::operator=(ReportBuilder&&) noexcept = default;

void ReportBuilder::add(const RequestRow& row) { impl_->add(row); }

PeriodReport ReportBuilder::finish() { return impl_->finish(); }

}  // namespace ccgauge::analytics

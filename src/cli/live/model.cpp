#include "cli/live/model.h"

#include <algorithm>

#include "pricing/price_table.h"

namespace ccgauge::cli::live {
namespace {

constexpr View kViews[kViewCount] = {View::kCurrent, View::kDaily, View::kSessions, View::kBlocks,
                                     View::kTools};
constexpr std::string_view kNames[kViewCount] = {"current", "daily", "sessions", "blocks", "tools"};
constexpr std::string_view kTitles[kViewCount] = {"Current", "Daily", "Sessions", "Blocks",
                                                  "Tools"};

int index_of(View view) { return static_cast<int>(view); }

// The name a row's model shows under; rows without a real model show none.
std::string display_model(const analytics::RequestRow& row) {
  if (row.model.empty() || row.model == "<synthetic>") {
    return {};
  }
  return pricing::short_model_name(row.model, row.speed);
}

}  // namespace

std::string_view view_title(View view) { return kTitles[index_of(view)]; }

std::optional<View> parse_view(std::string_view name) {
  for (int i = 0; i < kViewCount; ++i) {
    if (name == kNames[i]) {
      return kViews[i];
    }
  }
  return std::nullopt;
}

View next_view(View view) { return kViews[(index_of(view) + 1) % kViewCount]; }

View previous_view(View view) { return kViews[(index_of(view) + kViewCount - 1) % kViewCount]; }

CurrentBuilder::CurrentBuilder(Instant now, TimeZone zone)
    : now_(now), zone_(std::move(zone)), day_start_(zone_.start_of_day(zone_.local_date(now))) {}

Instant CurrentBuilder::needed_from() const {
  return std::min(
      {day_start_, now_ - std::chrono::minutes(kSparkMinutes),
       now_ - std::chrono::duration_cast<std::chrono::milliseconds>(kActiveSessionWindow)});
}

void CurrentBuilder::add(const analytics::RequestRow& row) {
  Nanodollars cost = analytics::cost_under(row, analytics::CostMode::kAuto);
  std::int64_t tokens = row.tokens.total();
  if (!data_.last_request || row.instant > *data_.last_request) {
    data_.last_request = row.instant;
  }
  std::string model = display_model(row);
  if (row.instant >= day_start_) {
    data_.today.tokens += row.tokens;
    data_.today.cost += cost;
    data_.today.requests += row.count;
    auto it = std::find_if(models_.begin(), models_.end(),
                           [&](const auto& m) { return m.first == model; });
    if (it == models_.end()) {
      models_.emplace_back(model, ModelSum{});
      it = models_.end() - 1;
    }
    it->second.cost += cost;
    it->second.tokens += tokens;
    it->second.requests += row.count;
  }
  auto hour_ago = now_ - std::chrono::minutes(kSparkMinutes);
  if (row.instant >= hour_ago) {
    auto minute = std::chrono::duration_cast<std::chrono::minutes>(row.instant - hour_ago).count();
    data_.tokens_per_minute[static_cast<std::size_t>(
        std::min<std::int64_t>(minute, kSparkMinutes - 1))] += tokens;
    data_.cost_last_hour += cost;
  }
  if (now_ - row.instant <= kActiveSessionWindow) {
    auto it = std::find_if(sessions_.begin(), sessions_.end(),
                           [&](const ActiveSession& s) { return s.session_id == row.session_id; });
    if (it == sessions_.end()) {
      sessions_.push_back(
          ActiveSession{row.session_id, row.project, model, row.instant, row.instant, 0, 0, 0});
      it = sessions_.end() - 1;
    }
    it->first = std::min(it->first, row.instant);
    if (row.instant >= it->last) {
      it->last = row.instant;
      if (!model.empty()) {
        it->model = model;
      }
    }
    it->requests += row.count;
    it->tokens += tokens;
    it->cost += cost;
  }
}

CurrentData CurrentBuilder::finish() {
  CurrentData data = std::move(data_);
  for (auto& [name, sum] : models_) {
    if (name.empty()) {
      continue;  // unnamed rows count in today's totals only
    }
    double share =
        data.today.cost > 0 ? static_cast<double>(sum.cost) / static_cast<double>(data.today.cost)
        : data.today.tokens.total() > 0
            ? static_cast<double>(sum.tokens) / static_cast<double>(data.today.tokens.total())
            : 0.0;
    data.model_mix.push_back(ModelShare{name, sum.cost, sum.tokens, sum.requests, share});
  }
  std::sort(data.model_mix.begin(), data.model_mix.end(), [](const auto& a, const auto& b) {
    return a.cost != b.cost ? a.cost > b.cost
                            : (a.tokens != b.tokens ? a.tokens > b.tokens : a.model < b.model);
  });
  data.active_sessions = std::move(sessions_);
  std::sort(data.active_sessions.begin(), data.active_sessions.end(),
            [](const ActiveSession& a, const ActiveSession& b) {
              return a.last != b.last ? a.last > b.last : a.session_id < b.session_id;
            });
  models_.clear();
  sessions_.clear();
  data_ = CurrentData{};
  return data;
}

}  // namespace ccgauge::cli::live

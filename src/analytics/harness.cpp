#include "analytics/harness.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>

namespace ccgauge::analytics {
namespace {

constexpr auto kJoinSlack = std::chrono::seconds(5);

// What an event's name says: a start, an end with a result, an end without one, or neither.
enum class EventKind { kStart, kEndSuccess, kEndFailure, kEnd, kOther };

EventKind kind_of(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "start" || lower == "started" || lower == "begin") {
    return EventKind::kStart;
  }
  for (std::string_view n : {"success", "succeeded", "ok", "pass", "passed"}) {
    if (lower == n) {
      return EventKind::kEndSuccess;
    }
  }
  for (std::string_view n :
       {"fail", "failed", "failure", "error", "abort", "aborted", "cancel", "cancelled"}) {
    if (lower == n) {
      return EventKind::kEndFailure;
    }
  }
  for (std::string_view n : {"end", "finish", "finished", "done", "complete", "completed", "stop"}) {
    if (lower == n) {
      return EventKind::kEnd;
    }
  }
  return EventKind::kOther;
}

std::string pairing_key(const HarnessEventRow& e) {
  if (!e.task_id.empty()) {
    return "t\n" + e.task_id;
  }
  return "l\n" + e.label + '\n' + e.project + '\n' + e.session_id;
}

std::string_view last_component(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void fill_blank(std::string& field, const std::string& value) {
  if (field.empty()) {
    field = value;
  }
}

void close_run(HarnessRun& run, const HarnessEventRow& e, EventKind kind) {
  run.end = e.instant;
  run.state = RunState::kFinished;
  run.duration_ms =
      e.duration_ms ? *e.duration_ms
                    : std::chrono::duration_cast<std::chrono::milliseconds>(e.instant - run.start)
                          .count();
  if (e.success) {
    run.success = e.success;
  } else if (kind == EventKind::kEndSuccess || kind == EventKind::kEndFailure) {
    run.success = kind == EventKind::kEndSuccess;
  }
  run.error = e.error;
  fill_blank(run.label, e.label);
  fill_blank(run.project, e.project);
  fill_blank(run.session_id, e.session_id);
  fill_blank(run.source, e.source);
}

HarnessRun open_run(const HarnessEventRow& e) {
  HarnessRun run;
  run.task_id = e.task_id;
  run.label = e.label;
  run.project = e.project;
  run.source = e.source;
  run.session_id = e.session_id;
  run.start = e.instant;
  run.state = RunState::kRunning;
  return run;
}

// Runs that may take a request, by start; with the latest end seen so far at each position, so
// a search can stop once every earlier run ended before the request.
class RunIndex {
 public:
  void add(std::size_t run) { runs_.push_back(run); }

  void sort(const std::vector<HarnessRun>& all, Instant now) {
    std::sort(runs_.begin(), runs_.end(),
              [&](std::size_t a, std::size_t b) { return all[a].start < all[b].start; });
    Instant latest = Instant::min();
    for (std::size_t run : runs_) {
      latest = std::max(latest, all[run].end.value_or(now));
      max_end_.push_back(latest);
    }
  }

  // The latest-starting run whose span (with slack) holds t.
  std::optional<std::size_t> find(const std::vector<HarnessRun>& all, Instant t,
                                  Instant now) const {
    auto upper = std::upper_bound(runs_.begin(), runs_.end(), t + kJoinSlack,
                                  [&](Instant v, std::size_t run) { return v < all[run].start; });
    for (auto i = upper - runs_.begin(); i-- > 0;) {
      if (max_end_[i] + kJoinSlack < t) {
        return std::nullopt;
      }
      const HarnessRun& run = all[runs_[i]];
      if (run.end.value_or(now) + kJoinSlack >= t) {
        return runs_[i];
      }
    }
    return std::nullopt;
  }

 private:
  std::vector<std::size_t> runs_;
  std::vector<Instant> max_end_;
};

void add_run(RunGroupStat& s, const HarnessRun& run) {
  ++s.runs;
  if (run.success) {
    ++(*run.success ? s.succeeded : s.failed);
  } else {
    ++s.unknown;
  }
  if (run.duration_ms) {
    ++s.timed_runs;
    s.total_duration_ms += *run.duration_ms;
  }
  s.requests += run.requests;
  s.tokens += run.tokens;
  s.cost += run.cost;
  if (!s.last_run || run.start > *s.last_run) {
    s.last_run = run.start;
  }
}

void finish_rate(RunGroupStat& s) {
  std::int64_t decided = s.succeeded + s.failed;
  if (decided > 0) {
    s.success_rate = static_cast<double>(s.succeeded) / static_cast<double>(decided);
  }
}

std::vector<RunGroupStat> group_runs(const std::vector<HarnessRun>& runs, bool by_task) {
  std::map<std::string, RunGroupStat> groups;
  for (const HarnessRun& run : runs) {
    const std::string& key = by_task ? run.task_id : run.label;
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) {
      it->second.key = key;
      it->second.label = run.label;
    }
    add_run(it->second, run);
  }
  std::vector<RunGroupStat> out;
  for (auto& [key, stat] : groups) {
    finish_rate(stat);
    out.push_back(std::move(stat));
  }
  return out;
}

}  // namespace

// The runs that may take a request: by session id, and (runs without one) by project name.
struct HarnessBuilder::JoinIndex {
  std::unordered_map<std::string, RunIndex> by_session;
  std::unordered_map<std::string, RunIndex> by_project;
};

HarnessBuilder::HarnessBuilder(HarnessOptions options) : options_(std::move(options)) {}
HarnessBuilder::HarnessBuilder(HarnessBuilder&&) noexcept = default;
HarnessBuilder& HarnessBuilder::operator=(HarnessBuilder&&) noexcept = default;
HarnessBuilder::~HarnessBuilder() = default;

void HarnessBuilder::add_event(const HarnessEventRow& event) { events_.push_back(event); }

void HarnessBuilder::pair_runs() {
  std::stable_sort(events_.begin(), events_.end(),
                   [](const auto& a, const auto& b) { return a.instant < b.instant; });
  std::unordered_map<std::string, std::size_t> open;
  for (const HarnessEventRow& e : events_) {
    EventKind kind = kind_of(e.event);
    std::string key = pairing_key(e);
    auto it = open.find(key);
    if (kind == EventKind::kStart) {
      if (it != open.end()) {
        runs_[it->second].state = RunState::kUnfinished;
      }
      open[key] = runs_.size();
      runs_.push_back(open_run(e));
    } else if (kind != EventKind::kOther) {
      if (it != open.end()) {
        close_run(runs_[it->second], e, kind);
        open.erase(it);
      } else {
        HarnessRun run = open_run(e);
        if (e.duration_ms) {
          run.start = e.instant - std::chrono::milliseconds(*e.duration_ms);
        }
        close_run(run, e, kind);
        runs_.push_back(std::move(run));
      }
    } else if (it != open.end()) {
      // A progress event of an open run may name the session it started.
      fill_blank(runs_[it->second].session_id, e.session_id);
    }
  }
  events_.clear();
  for (const HarnessRun& run : runs_) {
    Instant from = run.start - kJoinSlack;
    Instant to = run.end.value_or(options_.now) + kJoinSlack;
    span_from_ = span_from_ ? std::min(*span_from_, from) : from;
    span_to_ = span_to_ ? std::max(*span_to_, to) : to;
  }
  index_ = std::make_unique<JoinIndex>();
  session_counts_.assign(runs_.size(), {});
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    if (!runs_[i].session_id.empty()) {
      index_->by_session[runs_[i].session_id].add(i);
    } else {
      index_->by_project[std::string(last_component(runs_[i].project))].add(i);
    }
  }
  for (auto* map : {&index_->by_session, &index_->by_project}) {
    for (auto& [key, runs] : *map) {
      runs.sort(runs_, options_.now);
    }
  }
}

void HarnessBuilder::add_request(const RequestRow& request) {
  if (!index_) {
    return;
  }
  std::optional<std::size_t> run;
  bool inferred = false;
  if (auto it = index_->by_session.find(request.session_id); it != index_->by_session.end()) {
    run = it->second.find(runs_, request.instant, options_.now);
  }
  if (!run) {
    auto it = index_->by_project.find(std::string(last_component(request.project)));
    if (it != index_->by_project.end()) {
      run = it->second.find(runs_, request.instant, options_.now);
      inferred = true;
    }
  }
  if (!run) {
    return;
  }
  HarnessRun& r = runs_[*run];
  r.requests += request.count;
  r.tokens += request.tokens;
  r.cost += cost_under(request, options_.mode);
  if (!request.model.empty() &&
      std::find(r.models.begin(), r.models.end(), request.model) == r.models.end()) {
    r.models.push_back(request.model);
  }
  if (inferred) {
    auto& counts = session_counts_[*run];
    auto c = std::find_if(counts.begin(), counts.end(),
                          [&](const auto& p) { return p.first == request.session_id; });
    if (c == counts.end()) {
      counts.emplace_back(request.session_id, request.count);
    } else {
      c->second += request.count;
    }
  }
}

HarnessReport HarnessBuilder::finish() {
  for (std::size_t i = 0; i < session_counts_.size(); ++i) {
    const auto& counts = session_counts_[i];
    auto best = std::max_element(counts.begin(), counts.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (best != counts.end()) {
      runs_[i].session_id = best->first;
      runs_[i].session_inferred = true;
    }
  }
  HarnessReport report;
  for (HarnessRun& run : runs_) {
    if (!options_.label || run.label == *options_.label) {
      report.runs.push_back(std::move(run));
    }
  }
  std::stable_sort(report.runs.begin(), report.runs.end(),
                   [](const auto& a, const auto& b) { return a.start < b.start; });
  report.labels = group_runs(report.runs, /*by_task=*/false);
  report.tasks = group_runs(report.runs, /*by_task=*/true);
  std::stable_sort(report.tasks.begin(), report.tasks.end(),
                   [](const auto& a, const auto& b) { return a.cost > b.cost; });
  report.totals.key = "total";
  for (const HarnessRun& run : report.runs) {
    add_run(report.totals, run);
  }
  finish_rate(report.totals);
  return report;
}

const char* run_state_name(RunState state) {
  switch (state) {
    case RunState::kFinished:
      return "finished";
    case RunState::kRunning:
      return "running";
    case RunState::kUnfinished:
      return "unfinished";
  }
  return "finished";
}

}  // namespace ccgauge::analytics

#pragma once
// Harness runs: what a script or program driving Claude Code reported about its tasks
// (ingest/hooks/harness_event.h), paired into runs and joined with the Claude Code requests they
// caused, so each run's tokens and cost stand beside its task, label, duration and result.
// Pure values and computation; ledger/harness_reader.h feeds it from the ledger.
//
// Runs. Events pair up per task: by task_id, or, for events without one, by (label, project,
// session). A `start` event opens a run; an end event closes the open run of its task, or
// stands alone as a run of its own (its start is then its timestamp minus duration_ms). End
// events: end, finish, finished, done, complete, completed, stop, success, succeeded, ok, pass,
// passed, fail, failed, failure, error, abort, aborted, cancel, cancelled. A run's result is the
// end event's `success`, else what its name says (success ... passed: true; fail ... cancelled:
// false), else unknown. Its duration is the end event's duration_ms, else end minus start. A
// `start` while a run of the task is open leaves that run unfinished (it is listed, its result
// unknown). Other events are not runs.
//
// The join. A run with a session id takes that session's requests between its start and its
// end (5 s of slack each side; an open run: until now). A run without one takes the requests of
// its project (the same path, or the same last path component) in its time span that no run
// with a session id took; its session is then the one most of them came from
// (`session_inferred`). Of several runs whose spans hold a request, the latest-starting takes it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analytics/reports.h"
#include "core/types.h"

namespace ccgauge::analytics {

// One harness event as the ledger returns it.
struct HarnessEventRow {
  Instant instant{};
  std::string event;
  std::string source;  // the harness
  std::string task_id;
  std::string label;
  std::string project;
  std::string session_id;
  std::optional<bool> success;
  std::optional<std::int64_t> duration_ms;
  std::string error;
};

enum class RunState {
  kFinished,    // an end event closed it
  kRunning,     // started, not ended yet
  kUnfinished,  // started, then started again (or never ended before a later run of its task)
};

struct HarnessRun {
  std::string task_id;
  std::string label;
  std::string project;
  std::string source;
  std::string session_id;
  bool session_inferred = false;  // found by project and time, not told
  Instant start{};
  std::optional<Instant> end;
  std::optional<std::int64_t> duration_ms;
  std::optional<bool> success;
  std::string error;
  RunState state = RunState::kFinished;
  // The joined requests.
  std::int64_t requests = 0;
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::vector<std::string> models;  // as logged, first-seen order
};

// Runs of one label (or one task).
struct RunGroupStat {
  std::string key;  // the label or the task id ("" for none)
  std::string label;
  std::int64_t runs = 0;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::int64_t unknown = 0;  // result not told, or still running
  std::optional<double> success_rate;  // succeeded / (succeeded + failed); none when both are 0
  std::int64_t total_duration_ms = 0;  // over runs with a duration
  std::int64_t timed_runs = 0;
  std::int64_t requests = 0;
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::optional<Instant> last_run;
};

struct HarnessReport {
  std::vector<HarnessRun> runs;       // by start
  std::vector<RunGroupStat> labels;   // by label
  std::vector<RunGroupStat> tasks;    // cost per task: by cost, descending
  RunGroupStat totals;                // key "total"
};

struct HarnessOptions {
  Instant now{};                       // the end of open runs' spans
  CostMode mode = CostMode::kAuto;
  std::optional<std::string> label;    // only runs with this label
};

// Collects events and requests (in any order), then builds the report.
class HarnessBuilder {
 public:
  explicit HarnessBuilder(HarnessOptions options);
  HarnessBuilder(HarnessBuilder&&) noexcept;
  HarnessBuilder& operator=(HarnessBuilder&&) noexcept;
  ~HarnessBuilder();

  void add_event(const HarnessEventRow& event);
  // Pairs the events into runs; call it after the last add_event. The span the runs cover
  // (earliest start, latest end or now, with slack) is what add_request needs to see.
  void pair_runs();
  std::optional<Instant> span_from() const { return span_from_; }
  std::optional<Instant> span_to() const { return span_to_; }
  // A request of the span. Call after pair_runs().
  void add_request(const RequestRow& request);
  HarnessReport finish();

 private:
  struct JoinIndex;

  HarnessOptions options_;
  std::vector<HarnessEventRow> events_;
  std::vector<HarnessRun> runs_;
  std::optional<Instant> span_from_;
  std::optional<Instant> span_to_;
  // Per inferred run: requests per session, to name its session.
  std::vector<std::vector<std::pair<std::string, std::int64_t>>> session_counts_;
  std::unique_ptr<JoinIndex> index_;  // built by pair_runs()
};

// "finished", "running", "unfinished".
const char* run_state_name(RunState state);

}  // namespace ccgauge::analytics

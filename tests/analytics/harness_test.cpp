// Pairing harness events into runs, and joining runs with their sessions' requests.

#include "analytics/harness.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ccgauge::analytics {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Instant kT0 = from_epoch_ms(1'772'452'800'000);  // 2026-03-02T12:00:00Z

HarnessEventRow event(const std::string& name, seconds at, const std::string& task,
                      const std::string& label = "L") {
  HarnessEventRow e;
  e.event = name;
  e.instant = kT0 + at;
  e.task_id = task;
  e.label = label;
  e.project = "/work/app";
  return e;
}

RequestRow request(const std::string& session, seconds at, std::int64_t input_tokens,
                   const std::string& project = "/work/app") {
  RequestRow r;
  r.session_id = session;
  r.project = project;
  r.model = "claude-sonnet-4-5";
  r.instant = kT0 + at;
  r.tokens.input = input_tokens;
  r.computed_cost = input_tokens * 3000;  // $3 per million tokens, in nanodollars
  return r;
}

struct Fixture {
  explicit Fixture(HarnessOptions options = {}) : builder(with_now(options)) {}
  static HarnessOptions with_now(HarnessOptions o) {
    o.now = kT0 + seconds(3600);
    return o;
  }
  HarnessReport build(const std::vector<HarnessEventRow>& events,
                      const std::vector<RequestRow>& requests) {
    for (const auto& e : events) {
      builder.add_event(e);
    }
    builder.pair_runs();
    for (const auto& r : requests) {
      builder.add_request(r);
    }
    return builder.finish();
  }
  HarnessBuilder builder;
};

TEST(Harness, StartAndEndPairIntoRunsWithDurationAndResult) {
  auto end_ok = event("end", seconds(30), "T1");
  end_ok.success = true;
  auto end_failed = event("end", seconds(100), "T2");
  end_failed.success = false;
  end_failed.error = "tests failed";
  HarnessReport r = Fixture().build(
      {event("start", seconds(0), "T1"), end_ok, event("start", seconds(40), "T2"), end_failed},
      {});
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[0].task_id, "T1");
  EXPECT_EQ(r.runs[0].duration_ms, 30'000);
  EXPECT_EQ(r.runs[0].success, true);
  EXPECT_EQ(r.runs[0].state, RunState::kFinished);
  EXPECT_EQ(r.runs[1].duration_ms, 60'000);
  EXPECT_EQ(r.runs[1].success, false);
  EXPECT_EQ(r.runs[1].error, "tests failed");
  ASSERT_EQ(r.labels.size(), 1u);
  EXPECT_EQ(r.labels[0].runs, 2);
  EXPECT_EQ(r.labels[0].succeeded, 1);
  EXPECT_EQ(r.labels[0].failed, 1);
  EXPECT_DOUBLE_EQ(*r.labels[0].success_rate, 0.5);
  EXPECT_EQ(r.labels[0].total_duration_ms, 90'000);
}

TEST(Harness, EventNamesTellResultsAndLoneEndsAreRuns) {
  auto lone = event("failed", seconds(50), "T3");
  lone.duration_ms = 20'000;
  HarnessReport r = Fixture().build({event("start", seconds(0), "T1"),
                                     event("done", seconds(5), "T1"),
                                     event("start", seconds(10), "T2"),
                                     event("success", seconds(12), "T2"), lone},
                                    {});
  ASSERT_EQ(r.runs.size(), 3u);
  EXPECT_FALSE(r.runs[0].success);  // "done" says nothing about the result
  EXPECT_EQ(r.runs[1].success, true);
  EXPECT_EQ(r.runs[2].task_id, "T3");
  EXPECT_EQ(r.runs[2].success, false);
  EXPECT_EQ(r.runs[2].start, kT0 + seconds(30));  // its end minus its duration
  EXPECT_EQ(r.runs[2].duration_ms, 20'000);
  EXPECT_DOUBLE_EQ(*r.labels[0].success_rate, 0.5);
  EXPECT_EQ(r.labels[0].unknown, 1);
}

TEST(Harness, RestartedAndRunningRuns) {
  HarnessReport r = Fixture().build({event("start", seconds(0), "T1"),
                                     event("start", seconds(10), "T1"),
                                     event("progress", seconds(11), "T1")},
                                    {});
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[0].state, RunState::kUnfinished);
  EXPECT_EQ(r.runs[1].state, RunState::kRunning);
  EXPECT_FALSE(r.runs[1].end);
  EXPECT_FALSE(r.runs[1].duration_ms);
}

TEST(Harness, RunsJoinTheirSessionsRequestsWithinTheirSpan) {
  auto start = event("start", seconds(0), "T1");
  auto end = event("end", seconds(60), "T1");
  end.session_id = "s-1";
  HarnessReport r = Fixture().build({start, end},
                                    {request("s-1", seconds(10), 100'000),
                                     request("s-1", seconds(50), 50'000),
                                     request("s-1", seconds(600), 1'000'000),  // a later resume
                                     request("s-2", seconds(20), 7)});         // another session
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].session_id, "s-1");
  EXPECT_FALSE(r.runs[0].session_inferred);
  EXPECT_EQ(r.runs[0].requests, 2);
  EXPECT_EQ(r.runs[0].tokens.input, 150'000);
  EXPECT_EQ(r.runs[0].cost, 450'000'000);  // $0.45
  ASSERT_EQ(r.runs[0].models.size(), 1u);
}

TEST(Harness, RunsWithoutASessionJoinTheirProjectInTheirSpan) {
  // T1 knows its session; T2 does not and ran at the same time in the same project.
  auto end1 = event("end", seconds(100), "T1");
  end1.session_id = "s-1";
  HarnessReport r = Fixture().build(
      {event("start", seconds(0), "T1"), end1, event("start", seconds(10), "T2"),
       event("end", seconds(90), "T2")},
      {request("s-1", seconds(20), 1000), request("s-2", seconds(30), 2000),
       request("s-2", seconds(40), 3000), request("s-3", seconds(50), 5, "/elsewhere/app2")});
  ASSERT_EQ(r.runs.size(), 2u);
  EXPECT_EQ(r.runs[0].tokens.input, 1000);
  EXPECT_EQ(r.runs[1].tokens.input, 5000);
  EXPECT_EQ(r.runs[1].session_id, "s-2");
  EXPECT_TRUE(r.runs[1].session_inferred);
}

TEST(Harness, TasksAreListedByCostAndLabelsFilter) {
  auto e1 = event("end", seconds(10), "cheap", "a");
  e1.session_id = "s-1";
  auto e2 = event("end", seconds(20), "dear", "b");
  e2.session_id = "s-2";
  std::vector<HarnessEventRow> events = {event("start", seconds(0), "cheap", "a"), e1,
                                         event("start", seconds(11), "dear", "b"), e2};
  std::vector<RequestRow> requests = {request("s-1", seconds(5), 10),
                                      request("s-2", seconds(15), 1000)};
  HarnessReport all = Fixture().build(events, requests);
  ASSERT_EQ(all.tasks.size(), 2u);
  EXPECT_EQ(all.tasks[0].key, "dear");
  EXPECT_EQ(all.tasks[1].key, "cheap");
  EXPECT_EQ(all.totals.cost, 1010 * 3000);
  HarnessOptions only_a;
  only_a.label = "a";
  HarnessReport a = Fixture(only_a).build(events, requests);
  ASSERT_EQ(a.runs.size(), 1u);
  EXPECT_EQ(a.runs[0].task_id, "cheap");
  EXPECT_EQ(a.totals.cost, 10 * 3000);  // the other label's run kept its own requests
}

}  // namespace
}  // namespace ccgauge::analytics

// The ledger's cross-source rule (ledger.h): a request seen in a transcript and through
// OpenTelemetry counts once, in either order of arrival; who sent it (host, user, origin) is
// kept; OTLP events and metric points land in their tables.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::ledger {
namespace {

using ccgauge::testing::TempDir;

constexpr std::int64_t kT0 = 1'763'700'000'000;  // 2025-11-21T04:40:00Z

std::shared_ptr<const TelemetryOrigin> devbox() {
  auto o = std::make_shared<TelemetryOrigin>();
  o->service_name = "claude-code";
  o->service_version = "2.1.330";
  o->host = "devbox";
  o->user_email = "dev@example.com";
  o->user_account_uuid = "acct-uuid";
  o->user_id = std::string(64, 'a');
  o->resource = {{"service.name", "claude-code"}, {"host.name", "devbox"}, {"repo", "ccgauge"}};
  return o;
}

UsageRecord usage(const std::string& request_id, std::int64_t output, std::int64_t ts_ms,
                  const std::string& session = "s1") {
  UsageRecord r;
  r.request_id = request_id;
  r.session_id = session;
  r.model = "claude-sonnet-4-5";
  r.instant = from_epoch_ms(ts_ms);
  r.tokens = TokenCounts{100, output, 200, 0, 1000, 0, 0};
  return r;
}

SourcedRecord transcript(const std::string& message_id, const std::string& request_id,
                         std::int64_t output, std::int64_t ts_ms,
                         const std::string& session = "s1") {
  SourcedRecord r;
  r.record = usage(request_id, output, ts_ms, session);
  r.record.message_id = message_id;
  r.record.project = "/home/dev/app";
  return r;
}

SourcedRecord otlp(const std::string& request_id, std::int64_t output, std::int64_t ts_ms,
                   const std::string& session = "s1") {
  SourcedRecord r;
  r.record = usage(request_id, output, ts_ms, session);
  r.record.reported_cost = 12'345'000;
  r.source = std::string(kOtlpSource);
  r.origin = devbox();
  return r;
}

// A stored request, as the tests compare them.
struct Row {
  std::string key;
  std::string source;
  std::string host;
  std::string user;
  std::string project;
  std::int64_t output = 0;
  bool has_origin = false;
  friend bool operator==(const Row&, const Row&) = default;
};

std::ostream& operator<<(std::ostream& out, const Row& r) {
  return out << "{" << r.key << ", " << r.source << ", host " << r.host << ", user " << r.user
             << ", " << r.project << ", output " << r.output << (r.has_origin ? ", origin" : "")
             << "}";
}

class OtlpJoin : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Ledger::open(dir_ / "l.db", pricing::PriceTable::embedded());
    ASSERT_TRUE(opened) << opened.error().message;
    ledger_.emplace(std::move(*opened));
  }

  void commit(std::vector<SourcedRecord> records) {
    IngestBatch batch;
    batch.records = std::move(records);
    auto s = ledger_->commit(batch);
    ASSERT_TRUE(s) << s.error().message;
    outcomes_.clear();
    for (const SourcedRecord& r : batch.records) {
      outcomes_.push_back(r.outcome);
    }
  }

  std::vector<Row> rows() {
    auto stmt = ledger_->database().prepare(
        "SELECT key, source, host, user, project, output, origin IS NOT NULL FROM requests "
        "ORDER BY id");
    EXPECT_TRUE(stmt);
    std::vector<Row> out;
    EXPECT_TRUE(stmt->for_each_row([&] {
      out.push_back(Row{std::string(stmt->column_text(0)), std::string(stmt->column_text(1)),
                        std::string(stmt->column_text(2)), std::string(stmt->column_text(3)),
                        std::string(stmt->column_text(4)), stmt->column_int(5),
                        stmt->column_int(6) != 0});
    }));
    return out;
  }

  // Requests and rollup agree, and the rollup has `requests` requests.
  void expect_consistent(std::int64_t requests) {
    std::int64_t from_rows = 0;
    TokenCounts tokens;
    ASSERT_TRUE(ledger_->for_each_request({}, [&](const analytics::RequestRow& row) {
      ++from_rows;
      tokens += row.tokens;
    }));
    std::int64_t from_rollup = 0;
    TokenCounts rollup_tokens;
    ASSERT_TRUE(ledger_->for_each_rollup({}, analytics::CostMode::kCalculate,
                                         [&](const analytics::RequestRow& row) {
                                           from_rollup += row.count;
                                           rollup_tokens += row.tokens;
                                         }));
    EXPECT_EQ(from_rows, requests);
    EXPECT_EQ(from_rollup, requests);
    EXPECT_EQ(rollup_tokens, tokens);
  }

  std::int64_t count(const std::string& sql) {
    auto stmt = ledger_->database().prepare(sql);
    EXPECT_TRUE(stmt) << sql;
    std::int64_t n = -1;
    EXPECT_TRUE(stmt->for_each_row([&] { n = stmt->column_int(0); }));
    return n;
  }

  TempDir dir_;
  std::optional<Ledger> ledger_;
  std::vector<WriteOutcome> outcomes_;
};

const Row kJoined{"msg_1|req_1", "transcript", "devbox", "dev@example.com", "/home/dev/app", 300,
                  true};

TEST_F(OtlpJoin, TranscriptFirstThenOtlpWithTheSameRequestIdCountsOnce) {
  commit({transcript("msg_1", "req_1", 300, kT0)});
  commit({otlp("req_1", 300, kT0 + 4'000)});
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kKept});
  // The transcript row stays, and learns who sent the request.
  EXPECT_EQ(rows(), std::vector<Row>{kJoined});
  expect_consistent(1);
}

TEST_F(OtlpJoin, OtlpFirstThenTheTranscriptTakesTheRowOver) {
  commit({otlp("req_1", 300, kT0 + 4'000)});
  ASSERT_EQ(rows().size(), 1u);
  EXPECT_EQ(rows()[0].source, "otlp");
  commit({transcript("msg_1", "req_1", 300, kT0)});
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kReplaced});
  // The same row as in the other order: the transcript's key, numbers and project, the OTLP
  // sender.
  EXPECT_EQ(rows(), std::vector<Row>{kJoined});
  expect_consistent(1);
  // The transcript's line read again changes nothing.
  commit({transcript("msg_1", "req_1", 300, kT0)});
  EXPECT_EQ(rows(), std::vector<Row>{kJoined});
  expect_consistent(1);
}

TEST_F(OtlpJoin, ATranscriptSnapshotWaitsForItsFinalLineBeforeTakingOver) {
  commit({otlp("req_1", 300, kT0 + 4'000)});
  commit({transcript("msg_1", "req_1", 8, kT0)});  // mid-stream output count
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kKept});
  EXPECT_EQ(rows().size(), 1u);
  EXPECT_EQ(rows()[0].output, 300);
  commit({transcript("msg_1", "req_1", 300, kT0 + 1'000)});
  EXPECT_EQ(rows(), std::vector<Row>{kJoined});
  expect_consistent(1);
}

TEST_F(OtlpJoin, AnOtlpRecordSentTwiceCountsOnce) {
  commit({otlp("req_1", 300, kT0)});
  commit({otlp("req_1", 300, kT0)});
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kKept});
  commit({otlp("", 42, kT0 + 1)});  // no request id: its content is its key
  commit({otlp("", 42, kT0 + 1)});
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kKept});
  expect_consistent(2);
}

TEST_F(OtlpJoin, TwoOtlpRequestsWithTheSameNumbersAreTwoRequests) {
  // Parallel subagents: same session, model, tokens and millisecond, different request ids.
  commit({otlp("req_1", 300, kT0), otlp("req_2", 300, kT0)});
  commit({otlp("req_3", 300, kT0)});
  expect_consistent(3);
}

TEST_F(OtlpJoin, WithoutARequestIdSessionModelTokensAndTimeJoinInBothOrders) {
  // OTLP without request id (older Claude Code), then the transcript.
  commit({otlp("", 300, kT0 + 30'000)});
  commit({transcript("msg_1", "req_1", 300, kT0)});
  EXPECT_EQ(rows(), std::vector<Row>{kJoined});
  // The transcript first, then OTLP without request id.
  commit({transcript("msg_2", "req_2", 77, kT0 + 60'000)});
  commit({otlp("", 77, kT0 + 60'000 + 119'000)});
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kKept});
  // A transcript line without requestId (older Claude Code) and an event with one.
  commit({otlp("req_3", 55, kT0 + 300'000)});
  commit({transcript("msg_3", "", 55, kT0 + 290'000)});
  commit({transcript("msg_4", "", 66, kT0 + 400'000)});
  commit({otlp("req_4", 66, kT0 + 405'000)});
  EXPECT_EQ(outcomes_, std::vector<WriteOutcome>{WriteOutcome::kKept});
  std::vector<Row> all = rows();
  ASSERT_EQ(all.size(), 4u);
  for (const Row& r : all) {
    EXPECT_EQ(r.source, "transcript") << r;
    EXPECT_EQ(r.host, "devbox") << r;
  }
  expect_consistent(4);
}

TEST_F(OtlpJoin, DifferentRequestsDoNotJoin) {
  commit({transcript("msg_1", "req_1", 300, kT0)});
  commit({otlp("req_2", 300, kT0)});                   // another request id
  commit({otlp("", 300, kT0 + 121'000)});               // outside the window
  commit({otlp("", 301, kT0 + 1'000)});                 // other tokens
  commit({otlp("", 300, kT0 + 2'000, "another-session")});
  EXPECT_EQ(rows().size(), 5u);
  expect_consistent(5);
}

TEST_F(OtlpJoin, OneTranscriptRowJoinsOneOtlpRecordWithoutRequestId) {
  commit({transcript("msg_1", "req_1", 300, kT0)});
  // Two identical-looking events a second apart: two requests; one is the transcript's.
  commit({otlp("", 300, kT0 + 1'000), otlp("", 300, kT0 + 2'000)});
  EXPECT_EQ(rows().size(), 2u);
  expect_consistent(2);
}

TEST_F(OtlpJoin, AStreamedTranscriptLineThatReachesTheEventsNumbersRemovesTheOtlpRow) {
  // The transcript's snapshot (no requestId, older Claude Code), the event, then the final line.
  commit({transcript("msg_1", "", 8, kT0)});
  commit({otlp("req_1", 300, kT0 + 3'000)});
  EXPECT_EQ(rows().size(), 2u);
  commit({transcript("msg_1", "", 300, kT0 + 2'000)});
  ASSERT_EQ(rows().size(), 1u);
  EXPECT_EQ(rows()[0].source, "transcript");
  EXPECT_EQ(rows()[0].output, 300);
  expect_consistent(1);
}

TEST_F(OtlpJoin, OtlpIntoAnEmptyLedgerLeavesBulkModeAndJoinsLater) {
  // The ledger opened empty, in bulk mode (no request-id index).
  commit({otlp("req_1", 300, kT0)});
  EXPECT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = 'requests_request_id'"), 1);
  commit({transcript("msg_1", "req_1", 300, kT0)});
  EXPECT_EQ(rows(), std::vector<Row>{kJoined});
  expect_consistent(1);
}

TEST_F(OtlpJoin, AnotherWritersOtlpRowsAreSeenByTheNextBatch) {
  // This connection saw no OTLP rows; another one (the daemon) adds one.
  commit({transcript("msg_0", "req_0", 1, kT0 - 1'000'000)});
  {
    auto other = Ledger::open(dir_ / "l.db", pricing::PriceTable::embedded());
    ASSERT_TRUE(other);
    IngestBatch batch;
    batch.records = {otlp("req_1", 300, kT0)};
    ASSERT_TRUE(other->commit(batch));
  }
  commit({transcript("msg_1", "req_1", 300, kT0)});
  EXPECT_EQ(rows().size(), 2u);
  expect_consistent(2);
}

// OTLP rows are inserted many at a time; a transcript record later in the same batch still
// finds them (and nothing is lost: full chunks, the rest, and the rows before the transcript).
TEST_F(OtlpJoin, ManyOtlpRecordsAndTheirTranscriptTwinInOneBatchCountOnce) {
  std::vector<SourcedRecord> batch;
  constexpr int kOtlp = 75;
  for (int i = 0; i < kOtlp; ++i) {
    batch.push_back(otlp("req_" + std::to_string(i), 10 + i, kT0 + i));
  }
  batch.push_back(transcript("msg_70", "req_70", 80, kT0 + 70));  // its twin not yet inserted
  batch.push_back(otlp("req_after", 5, kT0 + 100));
  commit(std::move(batch));
  EXPECT_EQ(count("SELECT count(*) FROM requests"), kOtlp + 1);
  EXPECT_EQ(count("SELECT count(*) FROM requests WHERE source = 'otlp'"), kOtlp);
  // The transcript took its twin's row over and keeps who sent it.
  EXPECT_EQ(count("SELECT count(*) FROM requests WHERE request_id = 'req_70' AND source != "
                  "'otlp' AND user = 'dev@example.com' AND origin IS NOT NULL"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM requests WHERE origin IS NOT NULL AND host = 'devbox'"),
            kOtlp + 1);
  for (WriteOutcome o : outcomes_) {
    EXPECT_NE(o, WriteOutcome::kKept);
  }
  expect_consistent(kOtlp + 1);
  // Sent again, every OTLP record is known.
  std::vector<SourcedRecord> again;
  for (int i = 0; i < kOtlp; ++i) {
    again.push_back(otlp("req_" + std::to_string(i), 10 + i, kT0 + i));
  }
  commit(std::move(again));
  EXPECT_EQ(count("SELECT count(*) FROM requests"), kOtlp + 1);
  expect_consistent(kOtlp + 1);
}

TEST_F(OtlpJoin, HostAndUserFiltersSelectWhoMadeTheRequests) {
  commit({transcript("msg_1", "req_1", 300, kT0), transcript("msg_2", "req_2", 5, kT0)});
  commit({otlp("req_1", 300, kT0 + 1'000), otlp("req_9", 9, kT0 + 2'000)});
  auto outputs = [&](RequestQuery q) {
    std::int64_t sum = 0;
    EXPECT_TRUE(ledger_->for_each_request(q, [&](const analytics::RequestRow& row) {
      sum += row.tokens.output;
    }));
    return sum;
  };
  RequestQuery by_host;
  by_host.host = "devbox";
  EXPECT_EQ(outputs(by_host), 309);
  for (const std::string& user : {std::string("dev@example.com"), std::string("acct-uuid"), std::string(64, 'a')}) {
    RequestQuery by_user;
    by_user.user = user;
    EXPECT_EQ(outputs(by_user), 309) << user;
  }
  RequestQuery nobody;
  nobody.user = "someone@else";
  EXPECT_EQ(outputs(nobody), 0);
  EXPECT_EQ(outputs({}), 314);
}

TEST_F(OtlpJoin, EventsAreKeptOnceAndMetricPointsAsSent) {
  TelemetryEvent e;
  e.instant = from_epoch_ms(kT0);
  e.name = "tool_result";
  e.session_id = "s1";
  e.sequence = 7;
  e.origin = devbox();
  e.attributes = {{"session.id", "s1"}, {"event.timestamp", "2025-11-21T04:40:00.000Z"},
                  {"tool_name", "Edit"}, {"success", "false"}, {"duration_ms", "35"},
                  {"error_type", "Error:ENOENT"}};
  MetricPoint p;
  p.name = "claude_code.lines_of_code.count";
  p.instant = from_epoch_ms(kT0);
  p.value = 12;
  p.session_id = "s1";
  p.origin = *devbox();
  p.attributes = {{"type", "added"}, {"session.id", "s1"}};
  for (int round = 0; round < 2; ++round) {
    IngestBatch batch;
    batch.events = {e};
    batch.metric_points = {p};
    ASSERT_TRUE(ledger_->commit(batch));
  }
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE source = 'otlp'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE tool = 'Edit' AND success = 0 AND "
                  "duration_ms = 35 AND error = 'Error:ENOENT' AND host = 'devbox' AND "
                  "user = 'dev@example.com' AND origin IS NOT NULL"),
            1);
  // Metric points are deltas: the same point twice is two increases (the ingest thread's
  // CumulativeToDelta drops retried ones before they get here).
  EXPECT_EQ(count("SELECT sum(value) FROM metric_points WHERE type = 'added'"), 24);
  EXPECT_EQ(count("SELECT count(*) FROM origins"), 1);
}

}  // namespace
}  // namespace ccgauge::ledger

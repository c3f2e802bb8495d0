// The bulk load of an empty ledger (RequestWriter::begin_bulk/end_bulk): what it leaves behind
// when it ends (indexes, WAL, connection settings), that the join's index comes with the first
// OTLP row, and that a process killed in the middle leaves a ledger the next one completes
// without losing or doubling a request.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "ledger/ledger.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::ledger {
namespace {

using ccgauge::testing::TempDir;

constexpr std::int64_t kT0 = 1'763'700'000'000;  // 2025-11-21T04:40:00Z

SourcedRecord request(int n, std::int64_t output) {
  SourcedRecord r;
  r.record.message_id = "msg_" + std::to_string(n);
  r.record.request_id = "req_" + std::to_string(n);
  r.record.session_id = "s" + std::to_string(n % 7);
  r.record.project = "/home/dev/app";
  r.record.model = "claude-sonnet-4-5";
  r.record.instant = from_epoch_ms(kT0 + n * 1000);
  r.record.tokens = TokenCounts{100, output, 200, 0, 1000, 0, 0};
  return r;
}

// Requests [from, to), each with output n % 100.
IngestBatch batch(int from, int to) {
  IngestBatch b;
  for (int n = from; n < to; ++n) {
    b.records.push_back(request(n, n % 100));
  }
  return b;
}

std::int64_t output_of(int from, int to) {
  std::int64_t sum = 0;
  for (int n = from; n < to; ++n) {
    sum += n % 100;
  }
  return sum;
}

std::set<std::string> request_indexes(const Ledger& ledger) {
  std::set<std::string> names;
  auto q = ledger.database().prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'");
  EXPECT_TRUE(q);
  if (q) {
    EXPECT_TRUE(q->for_each_row([&] { names.emplace(q->column_text(0)); }));
  }
  return names;
}

std::int64_t pragma(const Ledger& ledger, const std::string& name) {
  auto q = ledger.database().prepare("PRAGMA " + name);
  EXPECT_TRUE(q);
  if (!q) {
    return -1;
  }
  std::int64_t value = -1;
  EXPECT_TRUE(q->for_each_row([&] { value = q->column_int(0); }));
  return value;
}

// Requests and output tokens, from the requests and from the rollup (which must agree).
struct Sums {
  std::int64_t requests = 0;
  std::int64_t output = 0;
  friend bool operator==(const Sums&, const Sums&) = default;
};

Sums sums(const Ledger& ledger) {
  Sums from_requests;
  EXPECT_TRUE(ledger.for_each_request({}, [&](const analytics::RequestRow& row) {
    ++from_requests.requests;
    from_requests.output += row.tokens.output;
  }));
  Sums from_rollup;
  EXPECT_TRUE(ledger.for_each_rollup({}, analytics::CostMode::kAuto,
                                     [&](const analytics::RequestRow& row) {
                                       from_rollup.requests += row.count;
                                       from_rollup.output += row.tokens.output;
                                     }));
  EXPECT_EQ(from_requests, from_rollup);
  return from_requests;
}

Ledger open(const std::string& path) {
  auto ledger = Ledger::open(path, pricing::PriceTable::embedded());
  EXPECT_TRUE(ledger) << ledger.error().message;
  return std::move(*ledger);
}

TEST(BulkLoad, EndsWithTheIndexesAnEmptyWalAndTheUsualSettings) {
  TempDir dir;
  std::string path = dir / "ledger.db";
  Ledger ledger = open(path);
  // In bulk mode: no indexes to maintain, no sync, no checkpoint before 16 MiB.
  EXPECT_EQ(request_indexes(ledger).count("requests_key_hash"), 0u);
  EXPECT_EQ(pragma(ledger, "synchronous"), 0);
  IngestBatch first = batch(0, 3000);
  ASSERT_TRUE(ledger.commit(first));
  IngestBatch second = batch(2000, 5000);  // 1,000 of them again: kept once
  ASSERT_TRUE(ledger.commit(second));
  ASSERT_TRUE(ledger.end_bulk_load());
  std::set<std::string> indexes = request_indexes(ledger);
  EXPECT_EQ(indexes.count("requests_key_hash"), 1u);
  EXPECT_EQ(indexes.count("requests_ts"), 1u);
  // The join's index waits for the first OTLP row.
  EXPECT_EQ(indexes.count("requests_request_id"), 0u);
  EXPECT_EQ(pragma(ledger, "synchronous"), 1);  // NORMAL
  EXPECT_EQ(pragma(ledger, "wal_autocheckpoint"), 256);
  EXPECT_EQ(ledger.wal_file_bytes(), 0);
  EXPECT_EQ(sums(ledger), (Sums{5000, output_of(0, 5000)}));
  // Ending twice is harmless; a later open finds nothing to do.
  EXPECT_TRUE(ledger.end_bulk_load());
  Ledger again = open(path);
  EXPECT_EQ(pragma(again, "synchronous"), 1);
  EXPECT_EQ(sums(again), (Sums{5000, output_of(0, 5000)}));
}

TEST(BulkLoad, TheFirstOtlpRowBuildsTheJoinIndexAndJoins) {
  TempDir dir;
  Ledger ledger = open(dir / "ledger.db");
  IngestBatch transcripts = batch(0, 100);
  ASSERT_TRUE(ledger.commit(transcripts));
  ASSERT_TRUE(ledger.end_bulk_load());
  ASSERT_EQ(request_indexes(ledger).count("requests_request_id"), 0u);
  // The same request as transcript row 42, reported through OpenTelemetry: it joins by request
  // id and counts once.
  IngestBatch telemetry;
  SourcedRecord event;
  event.record = request(42, 42).record;
  event.record.message_id.clear();
  event.source = std::string(kOtlpSource);
  telemetry.records.push_back(event);
  ASSERT_TRUE(ledger.commit(telemetry));
  EXPECT_EQ(request_indexes(ledger).count("requests_request_id"), 1u);
  EXPECT_EQ(telemetry.records[0].outcome, WriteOutcome::kKept);
  EXPECT_EQ(sums(ledger), (Sums{100, output_of(0, 100)}));
}

// Runs `body` in a child process, which SIGKILLs itself at its end, as a crash would.
template <class Body>
void in_killed_child(Body&& body) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    ::raise(SIGKILL);
    ::_exit(1);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST(BulkLoad, AProcessKilledMidLoadLeavesALedgerTheNextOneCompletes) {
  TempDir dir;
  std::string path = dir / "ledger.db";
  // Two batches committed in bulk mode, a third under way, then the kill: no end_bulk, so no
  // indexes, no final checkpoint, and synchronous=OFF on the dead connection.
  in_killed_child([&] {
    auto ledger = Ledger::open(path, pricing::PriceTable::embedded());
    if (!ledger) {
      ::_exit(2);
    }
    IngestBatch first = batch(0, 4000);
    IngestBatch second = batch(4000, 8000);
    if (!ledger->commit(first) || !ledger->commit(second)) {
      ::_exit(3);
    }
    ledger->database().exec("BEGIN IMMEDIATE");
    ledger->database().exec(
        "INSERT INTO requests SELECT NULL, key_hash + 1, key || 'x', message_id, request_id, "
        "ts, session, project, model, agent, sidechain, speed, host, source, input, output, "
        "cache_write_5m, cache_write_1h, cache_read, web_search, web_fetch, reported_cost, "
        "computed_cost, priced, limit_reset, user, origin FROM requests");
  });
  struct stat wal {};
  ASSERT_EQ(::stat((path + "-wal").c_str(), &wal), 0);
  EXPECT_GT(wal.st_size, 0);  // what was committed is still in the WAL
  // The next process finds the committed batches, builds the indexes, and completes the load:
  // the uncommitted third batch is gone, and the first two are not counted twice.
  Ledger ledger = open(path);
  std::set<std::string> indexes = request_indexes(ledger);
  EXPECT_EQ(indexes.count("requests_key_hash"), 1u);
  EXPECT_EQ(indexes.count("requests_ts"), 1u);
  EXPECT_EQ(pragma(ledger, "synchronous"), 1);
  EXPECT_EQ(sums(ledger), (Sums{8000, output_of(0, 8000)}));
  IngestBatch again = batch(0, 12000);
  ASSERT_TRUE(ledger.commit(again));
  EXPECT_EQ(sums(ledger), (Sums{12000, output_of(0, 12000)}));
  auto check = ledger.database().prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check);
  std::string result;
  ASSERT_TRUE(check->for_each_row([&] { result = std::string(check->column_text(0)); }));
  EXPECT_EQ(result, "ok");
}

}  // namespace
}  // namespace ccgauge::ledger

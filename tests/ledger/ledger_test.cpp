#include "ledger/ledger.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "ledger/sqlite.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::ledger {
namespace {

using ccgauge::testing::TempDir;

SourcedRecord record(const std::string& msg, const std::string& req, std::int64_t output,
                     std::int64_t ts_ms, bool sidechain = false,
                     const std::string& model = "claude-sonnet-4-5") {
  SourcedRecord r;
  r.record.message_id = msg;
  r.record.request_id = req;
  r.record.session_id = "s";
  r.record.project = "/home/a/p";
  r.record.model = model;
  r.record.instant = from_epoch_ms(ts_ms);
  r.record.tokens = TokenCounts{100, output, 10, 0, 1000, 0, 0};
  r.record.sidechain = sidechain;
  r.record.agent = sidechain ? Agent::kSubagent : Agent::kMain;
  return r;
}

struct Sums {
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::int64_t requests = 0;
  friend bool operator==(const Sums&, const Sums&) = default;
};

Sums request_sums(const Ledger& ledger) {
  Sums s;
  EXPECT_TRUE(ledger.for_each_request({}, [&](const analytics::RequestRow& row) {
    s.tokens += row.tokens;
    s.cost += row.computed_cost;
    s.requests += row.count;
  }));
  return s;
}

Sums rollup_sums(const Ledger& ledger) {
  Sums s;
  EXPECT_TRUE(ledger.for_each_rollup({}, analytics::CostMode::kCalculate,
                                     [&](const analytics::RequestRow& row) {
                                       s.tokens += row.tokens;
                                       s.cost += row.computed_cost;
                                       s.requests += row.count;
                                     }));
  return s;
}

Status commit(Ledger& ledger, std::vector<SourcedRecord> records) {
  IngestBatch batch;
  batch.records = std::move(records);
  return ledger.commit(batch);
}

TEST(Ledger, ReplacementsKeepTheRollupEqualToTheRequests) {
  TempDir dir;
  auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger) << ledger.error().message;
  // A snapshot, then its final line in a later batch; a sidechain copy that loses; a replacement
  // that moves the request into another quarter hour.
  ASSERT_TRUE(commit(*ledger, {record("m1", "r1", 8, 1'000'000), record("m2", "r2", 5, 1'000'000)}));
  ASSERT_TRUE(commit(*ledger, {record("m1", "r1", 300, 1'000'500), record("m2", "r2", 5, 1'000'000, true)}));
  ASSERT_TRUE(ledger->end_bulk_load());
  ASSERT_TRUE(commit(*ledger, {record("m2", "r2", 9, 1'000'000 + 900'000)}));
  Sums requests = request_sums(*ledger);
  EXPECT_EQ(requests.requests, 2);
  EXPECT_EQ(requests.tokens.output, 309);
  EXPECT_EQ(rollup_sums(*ledger), requests);
}

TEST(Ledger, TwoWritersOnAnEmptyLedgerNeverCountARequestTwice) {
  TempDir dir;
  auto a = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  auto b = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(a && b);
  // Both opened an empty ledger, so both start in bulk mode.
  ASSERT_TRUE(commit(*a, {record("m1", "r1", 10, 1'000), record("m2", "r2", 10, 2'000)}));
  ASSERT_TRUE(commit(*b, {record("m1", "r1", 10, 1'000), record("m3", "r3", 10, 3'000)}));
  ASSERT_TRUE(commit(*a, {record("m3", "r3", 12, 3'000), record("m2", "r2", 10, 2'000)}));
  ASSERT_TRUE(a->end_bulk_load());
  ASSERT_TRUE(b->end_bulk_load());
  Sums sums = request_sums(*a);
  EXPECT_EQ(sums.requests, 3);
  EXPECT_EQ(sums.tokens.output, 32);
  EXPECT_EQ(rollup_sums(*a), sums);
}

TEST(Ledger, AnInterruptedBulkLoadGetsItsIndexesAtTheNextOpen) {
  TempDir dir;
  {
    auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger);
    ASSERT_TRUE(commit(*ledger, {record("m1", "r1", 10, 1'000)}));
    // No end_bulk_load(): as if the process were killed.
  }
  auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger);
  auto db = Database::open(dir / "l.db", Database::Mode::kReadOnly);
  ASSERT_TRUE(db);
  auto stmt = db->prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
      "('requests_key_hash', 'requests_ts')");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(stmt->step());
  EXPECT_EQ(stmt->column_int(0), 2);
  // And the request is found, not inserted again.
  ASSERT_TRUE(commit(*ledger, {record("m1", "r1", 10, 1'000)}));
  EXPECT_EQ(request_sums(*ledger).requests, 1);
}

TEST(Ledger, AChangedPriceTableRepricesStoredRequestsAndTheRollup) {
  TempDir dir;
  {
    auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger);
    ASSERT_TRUE(commit(*ledger, {record("m1", "r1", 1000, 1'000, false, "my-gateway-model")}));
    EXPECT_EQ(request_sums(*ledger).cost, 0);
  }
  testing::write_file(dir / "pricing.json", R"({"my-gateway-model": {"input": 1, "output": 2}})");
  auto prices = pricing::PriceTable::with_overrides(dir / "pricing.json");
  ASSERT_TRUE(prices) << prices.error().message;
  auto ledger = Ledger::open(dir / "l.db", *prices);
  ASSERT_TRUE(ledger);
  Sums sums = request_sums(*ledger);
  // 100 input at $1/M + 1000 output at $2/M + 10 cache writes at $1.25/M + 1000 reads at $0.1/M.
  EXPECT_EQ(sums.cost, 100 * 1000 + 1000 * 2000 + 10 * 1250 + 1000 * 100);
  EXPECT_EQ(rollup_sums(*ledger), sums);
}

}  // namespace
}  // namespace ccgauge::ledger

namespace ccgauge::ledger {
namespace {

TEST(Ledger, ANewerSchemaIsAClearErrorAndIsLeftAlone) {
  TempDir dir;
  ASSERT_TRUE(Ledger::open(dir / "l.db", pricing::PriceTable::embedded()));
  {
    auto db = Database::open(dir / "l.db", Database::Mode::kReadWrite);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'"));
  }
  auto again = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("newer"), std::string::npos) << again.error().message;
}

TEST(Ledger, SumsOfRequestsAndRollupCostsMatchTheRowsTheyStandFor) {
  TempDir dir;
  auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger) << ledger.error().message;
  const std::int64_t quarter = Ledger::kRollupBucket.count();
  const std::int64_t t0 = 1'000 * quarter;
  ASSERT_TRUE(commit(*ledger, {record("m1", "r1", 10, t0), record("m2", "r2", 20, t0 + 5),
                               record("m3", "r3", 40, t0 + quarter),
                               record("m4", "r4", 80, t0 + 2 * quarter - 1),
                               record("m5", "r5", 160, t0 + 2 * quarter)}));
  ASSERT_TRUE(ledger->end_bulk_load());

  // Both ends inclusive, to the millisecond.
  auto sum = ledger->sum_requests(from_epoch_ms(t0 + 5), from_epoch_ms(t0 + 2 * quarter - 1));
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->count, 3);
  EXPECT_EQ(sum->tokens.output, 20 + 40 + 80);
  EXPECT_EQ(sum->tokens.input, 300);
  EXPECT_EQ(sum->tokens.cache_read, 3000);
  EXPECT_EQ(sum->instant, from_epoch_ms(t0 + 2 * quarter - 1));
  auto none = ledger->sum_requests(from_epoch_ms(0), from_epoch_ms(t0 - 1));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->count, 0);
  EXPECT_EQ(none->computed_cost, 0);

  // The first two quarter hours hold four requests; their cost is the requests' cost.
  Nanodollars four = 0;
  ASSERT_TRUE(ledger->for_each_request({}, [&](const analytics::RequestRow& row) {
    if (row.instant < from_epoch_ms(t0 + 2 * quarter)) {
      four += row.computed_cost;
    }
  }));
  auto totals = ledger->rollup_totals(from_epoch_ms(t0), from_epoch_ms(t0 + 2 * quarter),
                                      analytics::CostMode::kCalculate);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_GT(four, 0);
  EXPECT_EQ(totals->computed_cost, four);
  EXPECT_EQ(totals->count, 4);
  EXPECT_EQ(totals->tokens.output, 10 + 20 + 40 + 80);
  // Off the quarter hours, a row counts where its first request is, as in the reports: the
  // first quarter hour's row (t0 and t0 + 5) is in [t0, t0 + 1) and not in [t0 + 1, ...).
  auto first = ledger->rollup_totals(from_epoch_ms(t0), from_epoch_ms(t0 + 1),
                                     analytics::CostMode::kCalculate);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->count, 2);
  EXPECT_EQ(first->tokens.output, 10 + 20);
  auto later = ledger->rollup_totals(from_epoch_ms(t0 + 1), from_epoch_ms(t0 + 2 * quarter + 1),
                                     analytics::CostMode::kCalculate);
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(later->count, 3);
  EXPECT_EQ(later->tokens.output, 40 + 80 + 160);
  auto last_excluded = ledger->rollup_totals(from_epoch_ms(t0 + 1),
                                             from_epoch_ms(t0 + 2 * quarter),
                                             analytics::CostMode::kCalculate);
  ASSERT_TRUE(last_excluded);
  EXPECT_EQ(last_excluded->count, 2);
  auto empty = ledger->rollup_totals(from_epoch_ms(t0 + 2), from_epoch_ms(t0 + 2),
                                     analytics::CostMode::kCalculate);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->count, 0);

  auto newest = ledger->newest_request(from_epoch_ms(t0), from_epoch_ms(t0 + 2 * quarter));
  ASSERT_TRUE(newest && *newest);
  EXPECT_EQ((*newest)->first, from_epoch_ms(t0 + 2 * quarter - 1));
  EXPECT_EQ((*newest)->second, "claude-sonnet-4-5");
  auto nothing = ledger->newest_request(from_epoch_ms(0), from_epoch_ms(t0));
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing);
}

TEST(Ledger, ADeferredStatementIsPreparedAtFirstUseAndReportsBadSqlThere) {
  TempDir dir;
  auto db = Database::open(dir / "d.db", Database::Mode::kReadWrite);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER)"));
  Statement bad = db->prepare_deferred("SELECT x FROM missing WHERE x = ?1");
  bad.bind(1, std::int64_t{1});  // binding an unprepared statement is harmless
  bad.reset();
  auto step = bad.step();
  ASSERT_FALSE(step);
  EXPECT_NE(step.error().message.find("no such table: missing"), std::string::npos)
      << step.error().message;
  EXPECT_FALSE(bad.run());  // and it stays failed

  Statement insert = db->prepare_deferred("INSERT INTO t(x) VALUES(?1)");
  Statement count = db->prepare_deferred("SELECT count(*), sum(x) FROM t");
  ASSERT_TRUE(db->exec("CREATE TABLE later(y)"));  // schema changes before first use are fine
  for (std::int64_t x : {2, 3}) {
    insert.bind(1, x);
    ASSERT_TRUE(insert.run());
  }
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 2);
  EXPECT_EQ(count.column_int(1), 5);
}

TEST(Ledger, AStatementGoesBackResetAndUnboundAndMayOutliveItsConnection) {
  TempDir dir;
  auto db = Database::open(dir / "d.db", Database::Mode::kReadWrite);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1), (2), (3)"));
  constexpr const char* kSql = "SELECT count(*) FROM t WHERE ?1 IS NULL OR x >= ?1";
  {
    auto first = db->prepare(kSql);
    ASSERT_TRUE(first);
    first->bind(1, std::int64_t{3});
    ASSERT_TRUE(first->step());
    EXPECT_EQ(first->column_int(0), 1);
    // Dropped mid-read: it must not keep the read transaction open.
  }
  auto other = Database::open(dir / "d.db", Database::Mode::kReadWrite);
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->exec("INSERT INTO t VALUES(4)"));
  ASSERT_TRUE(other->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  struct stat wal {};
  ASSERT_EQ(::stat((dir / "d.db-wal").c_str(), &wal), 0);
  EXPECT_EQ(wal.st_size, 0);  // no reader held the WAL back
  {
    auto again = db->prepare(kSql);  // the same SQL: bindings cleared, sees the new row
    ASSERT_TRUE(again && again->step());
    EXPECT_EQ(again->column_int(0), 4);
    auto twin = db->prepare(kSql);  // while the first is in use: a second statement
    ASSERT_TRUE(twin);
    twin->bind(1, std::int64_t{2});
    ASSERT_TRUE(twin->step());
    EXPECT_EQ(twin->column_int(0), 3);
  }
  auto outliving = db->prepare(kSql);
  ASSERT_TRUE(outliving);
  { Database closing = std::move(*db); }
  ASSERT_TRUE(outliving->step());  // the connection closes once its last statement is gone
  EXPECT_EQ(outliving->column_int(0), 4);
}

TEST(Ledger, AWriterWaitsForTheLockUpToItsTimeoutAndNoLonger) {
  TempDir dir;
  auto holder = Database::open(dir / "d.db", Database::Mode::kReadWrite);
  ASSERT_TRUE(holder) << holder.error().message;
  ASSERT_TRUE(holder->exec("CREATE TABLE t(x INTEGER)"));
  auto patient = Database::open(dir / "d.db", Database::Mode::kReadWrite, 5000);
  auto hasty = Database::open(dir / "d.db", Database::Mode::kReadWrite, 30);
  ASSERT_TRUE(patient && hasty);

  ASSERT_TRUE(holder->exec("BEGIN IMMEDIATE"));
  auto start = std::chrono::steady_clock::now();
  Status refused = hasty->exec("INSERT INTO t VALUES(1)");
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnavailable) << refused.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(30));
  EXPECT_LT(waited, std::chrono::milliseconds(1000));

  // Released after 50 ms: the patient writer goes on, well before its 5 s.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(holder->exec("COMMIT"));
  });
  start = std::chrono::steady_clock::now();
  Status written = patient->exec("INSERT INTO t VALUES(2)");
  waited = std::chrono::steady_clock::now() - start;
  release.join();
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(40));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));
}

TEST(Ledger, LatestLimitSamplesAreTheNewestOfEachSourceAndWindow) {
  TempDir dir;
  auto ledger = Ledger::open(dir / "l.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger) << ledger.error().message;
  IngestBatch batch;
  const std::int64_t day = 86'400'000;
  const std::int64_t now = 100 * day;
  int n = 0;
  for (const char* source : {"oauth", "statusline", "transcript"}) {
    for (const char* window : {"five_hour", "seven_day", "opus_weekly"}) {
      for (std::int64_t age : {9 * day, 3 * day, day}) {
        batch.limit_samples.push_back({from_epoch_ms(now - age - n), source, window,
                                       static_cast<double>(n), std::nullopt, "s"});
        ++n;
      }
    }
  }
  // Stamped after `now`: newest of all, yet not at or before now.
  batch.limit_samples.push_back(
      {from_epoch_ms(now + day), "transcript", "five_hour", std::nullopt, 123, "s"});
  ASSERT_TRUE(ledger->commit(batch));

  auto latest = ledger->latest_limit_samples(from_epoch_ms(now - 7 * day));
  ASSERT_TRUE(latest) << latest.error().message;
  ASSERT_EQ(latest->size(), 9u);  // three sources, three windows
  for (const LimitSample& s : *latest) {
    if (s.source == "transcript" && s.window == "five_hour") {
      EXPECT_EQ(s.instant, from_epoch_ms(now + day));
    } else {
      // The one a day old: the third of its source and window.
      EXPECT_EQ(static_cast<int>(*s.used_percent) % 3, 2) << s.source << " " << s.window;
      EXPECT_EQ(s.instant, from_epoch_ms(now - day - static_cast<int>(*s.used_percent)));
    }
  }
  auto none = ledger->latest_limit_samples(from_epoch_ms(now + 2 * day));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  auto any = ledger->latest_limit_sample("five_hour");
  ASSERT_TRUE(any && *any);
  EXPECT_EQ((*any)->instant, from_epoch_ms(now + day));
  auto until_now = ledger->latest_limit_sample("five_hour", from_epoch_ms(now));
  ASSERT_TRUE(until_now && *until_now);
  EXPECT_EQ((*until_now)->source, "oauth");  // the smallest offset n of the day-old samples
  EXPECT_EQ((*until_now)->instant, from_epoch_ms(now - day - 2));
}

}  // namespace
}  // namespace ccgauge::ledger

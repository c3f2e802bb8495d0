#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace ccgauge::ledger

// Google Benchmarks for the hot paths: line parsing, pricing, the ledger's batch commit, and a
// report over the ledger.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "analytics/reports.h"
#include "ingest/transcripts/line_parser.h"
#include "ledger/ledger.h"
#include "pricing/price_table.h"

namespace ccgauge {
namespace {

const std::string kLine =
    R"({"parentUuid":"f467f361-1bca-4ff1-8b64-c9841385c305","isSidechain":false,"userType":"external","cwd":"/home/alice/work/web-demo","sessionId":"9f6ddbd2-63bb-4e05-95b2-5e55d179140d","version":"2.1.14","gitBranch":"main","message":{"model":"claude-opus-4-6","id":"msg_01fD2koa7eLHxdazr9FTQJ0d","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_01Qm3","name":"Bash","input":{"command":"ls -la","description":"List files"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":4,"cache_creation_input_tokens":24324,"cache_read_input_tokens":28434,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":24324},"output_tokens":375,"service_tier":"standard"}},"requestId":"req_011CEyh7BvqMEucZCZ7gOLZl","type":"assistant","uuid":"273bf4dc-879d-4fb1-8e8a-1e3651b15c68","timestamp":"2026-03-02T03:03:51.467Z"})";

void BM_ParseAssistantLine(benchmark::State& state) {
  std::string buffer = kLine + std::string(ingest::kLinePadding, ' ');
  ingest::LineParser parser;
  ingest::ParsedLine out;
  for (auto _ : state) {
    parser.parse(std::string_view(buffer.data(), kLine.size()), out);
    benchmark::DoNotOptimize(out.record.tokens.output);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kLine.size()));
}
BENCHMARK(BM_ParseAssistantLine);

void BM_Prefilter(benchmark::State& state) {
  std::string user(2000, 'x');
  for (auto _ : state) {
    benchmark::DoNotOptimize(ingest::may_carry_usage(user));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * user.size()));
}
BENCHMARK(BM_Prefilter);

void BM_PriceLookupAndCost(benchmark::State& state) {
  const auto& table = pricing::PriceTable::embedded();
  TokenCounts t{4, 375, 0, 24324, 28434, 0, 0};
  for (auto _ : state) {
    const pricing::ModelPrice* p = table.find("claude-sonnet-4-5-20250929");
    benchmark::DoNotOptimize(pricing::cost_of(*p, t, Speed::kStandard));
  }
}
BENCHMARK(BM_PriceLookupAndCost);

// Commits batches of 5,000 distinct requests into a fresh ledger.
void BM_LedgerCommit(benchmark::State& state) {
  std::string path = std::filesystem::temp_directory_path() / "ccgauge-bench-ledger.db";
  std::filesystem::remove(path);
  auto ledger = ledger::Ledger::open(path, pricing::PriceTable::embedded());
  std::int64_t n = 0;
  for (auto _ : state) {
    ledger::IngestBatch batch;
    for (int i = 0; i < 5000; ++i, ++n) {
      ledger::SourcedRecord r;
      r.record.message_id = "msg_" + std::to_string(n);
      r.record.request_id = "req_" + std::to_string(n);
      r.record.session_id = "session";
      r.record.project = "/home/alice/work/web-demo";
      r.record.model = "claude-opus-4-6";
      r.record.instant = from_epoch_ms(1'770'000'000'000 + n * 1000);
      r.record.tokens = TokenCounts{4, 375, 0, 24324, 28434, 0, 0};
      batch.records.push_back(std::move(r));
    }
    auto s = ledger->commit(batch);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * 5000);
  std::filesystem::remove(path);
}
BENCHMARK(BM_LedgerCommit)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ccgauge

BENCHMARK_MAIN();

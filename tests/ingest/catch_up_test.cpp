#include "ingest/transcripts/catch_up.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace ccgauge::ingest {
namespace {

using ccgauge::testing::append_file;
using ccgauge::testing::TempDir;
using ccgauge::testing::write_file;

std::string usage_line(const std::string& msg, const std::string& req, const std::string& session,
                       int output, const std::string& ts = "2026-03-02T10:00:00.000Z",
                       bool sidechain = false, const std::string& cwd = "/home/a/proj") {
  std::string request = req.empty() ? "" : R"(,"requestId":")" + req + "\"";
  return R"({"isSidechain":)" + std::string(sidechain ? "true" : "false") + R"(,"cwd":")" + cwd +
         R"(","sessionId":")" + session +
         R"(","message":{"model":"claude-sonnet-4-5","id":")" + msg +
         R"(","usage":{"input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":)" +
         std::to_string(output) + "}}" + request + R"(,"type":"assistant","timestamp":")" + ts +
         "\"}\n";
}

class CatchUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = ledger::Ledger::open(dir_ / "ledger.db", pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger) << ledger.error().message;
    ledger_.emplace(std::move(*ledger));
  }

  std::string transcript(const std::string& rel) { return dir_ / ("claude/projects/" + rel); }

  CatchUpStats run() {
    CatchUpOptions options;
    options.config_dirs = {dir_ / "claude"};
    auto stats = catch_up(*ledger_, options);
    EXPECT_TRUE(stats) << stats.error().message;
    return stats ? *stats : CatchUpStats{};
  }

  // Sum of output tokens and number of requests in the ledger.
  std::pair<std::int64_t, std::int64_t> totals() {
    std::int64_t output = 0;
    std::int64_t count = 0;
    auto s = ledger_->for_each_request({}, [&](const analytics::RequestRow& row) {
      output += row.tokens.output;
      ++count;
    });
    EXPECT_TRUE(s);
    return {output, count};
  }

  TempDir dir_;
  std::optional<ledger::Ledger> ledger_;
};

TEST_F(CatchUpTest, DedupesStreamingSnapshotsKeepingTheLargestOutput) {
  write_file(transcript("-home-a-proj/s1.jsonl"),
             usage_line("m1", "r1", "s1", 8) + usage_line("m1", "r1", "s1", 310) +
                 usage_line("m1", "r1", "s1", 8) + usage_line("m2", "r2", "s1", 5));
  run();
  EXPECT_EQ(totals(), std::make_pair(std::int64_t{315}, std::int64_t{2}));
}

TEST_F(CatchUpTest, ReadsOnlyNewBytesAndWaitsForAPartialLine) {
  std::string path = transcript("-home-a-proj/s1.jsonl");
  write_file(path, usage_line("m1", "r1", "s1", 10));
  EXPECT_EQ(run().bytes_read, static_cast<std::int64_t>(usage_line("m1", "r1", "s1", 10).size()));
  std::string next = usage_line("m2", "r2", "s1", 20);
  append_file(path, next.substr(0, 50));  // Claude Code is still writing this line.
  CatchUpStats partial = run();
  EXPECT_EQ(partial.bytes_read, 0);
  EXPECT_EQ(partial.malformed_lines, 0);
  EXPECT_EQ(totals().first, 10);
  append_file(path, next.substr(50));
  CatchUpStats rest = run();
  EXPECT_EQ(rest.bytes_read, static_cast<std::int64_t>(next.size()));
  EXPECT_EQ(totals(), std::make_pair(std::int64_t{30}, std::int64_t{2}));
  EXPECT_EQ(run().files_read, 0);  // Nothing changed: nothing read.
}

TEST_F(CatchUpTest, TruncatedAndReplacedFilesAreReadAgainWithoutDoubling) {
  std::string path = transcript("-home-a-proj/s1.jsonl");
  write_file(path, usage_line("m1", "r1", "s1", 10) + usage_line("m2", "r2", "s1", 20));
  run();
  write_file(path, usage_line("m1", "r1", "s1", 10));  // truncated: shorter than the cursor
  EXPECT_EQ(run().files_reset, 1);
  EXPECT_EQ(totals(), std::make_pair(std::int64_t{30}, std::int64_t{2}));
  // Replaced by a new file (new inode) holding old and new lines.
  std::string tmp = path + ".tmp";
  write_file(tmp, usage_line("m1", "r1", "s1", 10) + usage_line("m2", "r2", "s1", 20) +
                      usage_line("m3", "r3", "s1", 40));
  std::filesystem::rename(tmp, path);
  EXPECT_EQ(run().files_reset, 1);
  EXPECT_EQ(totals(), std::make_pair(std::int64_t{70}, std::int64_t{3}));
}

TEST_F(CatchUpTest, HistoryStaysAfterTheTranscriptIsDeleted) {
  std::string path = transcript("-home-a-proj/s1.jsonl");
  write_file(path, usage_line("m1", "r1", "s1", 10));
  run();
  std::filesystem::remove(path);
  run();
  EXPECT_EQ(totals().first, 10);
}

TEST_F(CatchUpTest, ResumedSessionsAndSubagentCopiesCountOnce) {
  write_file(transcript("-home-a-proj/s1.jsonl"), usage_line("m1", "r1", "s1", 10));
  // A resumed session copies the line into a new file with a new session id.
  write_file(transcript("-home-a-proj/s2.jsonl"),
             usage_line("m1", "r1", "s2", 10) + usage_line("m9", "r9", "s2", 1));
  // A subagent file and its sidechain copy of a request.
  write_file(transcript("-home-a-proj/s1/subagents/agent-1.jsonl"),
             usage_line("m5", "r5", "s1", 7, "2026-03-02T10:00:00.000Z", true));
  run();
  EXPECT_EQ(totals(), std::make_pair(std::int64_t{18}, std::int64_t{3}));
}

TEST_F(CatchUpTest, WithoutRequestIdTheMessageIdIsScopedBySession) {
  // A gateway reuses message ids across sessions: different sessions, different requests.
  write_file(transcript("-home-a-proj/s1.jsonl"),
             usage_line("m1", "", "s1", 10) + usage_line("m1", "", "s1", 12));
  write_file(transcript("-home-a-proj/s2.jsonl"), usage_line("m1", "", "s2", 20));
  run();
  EXPECT_EQ(totals(), std::make_pair(std::int64_t{32}, std::int64_t{2}));
}

TEST_F(CatchUpTest, MainThreadBeatsASidechainCopyWithTheSameOutput) {
  write_file(transcript("-home-a-proj/s1/subagents/agent-1.jsonl"),
             usage_line("m1", "r1", "s1", 10, "2026-03-02T10:00:00.000Z", true));
  write_file(transcript("-home-a-proj/s1.jsonl"), usage_line("m1", "r1", "s1", 10));
  run();
  int sidechains = 0;
  (void)ledger_->for_each_request({}, [&](const analytics::RequestRow& row) {
    sidechains += row.agent == Agent::kSubagent;
  });
  EXPECT_EQ(sidechains, 0);
}

TEST_F(CatchUpTest, MalformedLinesAreCountedAndNamed) {
  std::string path = transcript("-home-a-proj/s1.jsonl");
  write_file(path, usage_line("m1", "r1", "s1", 10) + "{\"usage\": {\"input_tokens\": 3\n" +
                       usage_line("m2", "r2", "s1", 20));
  CatchUpStats stats = run();
  EXPECT_EQ(stats.malformed_lines, 1);
  ASSERT_EQ(stats.malformed.size(), 1u);
  EXPECT_EQ(stats.malformed[0].path, path);
  EXPECT_EQ(stats.malformed[0].line, 2);
  EXPECT_EQ(totals().first, 30);
  auto stored = ledger_->malformed_lines(10);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), 1u);
}

TEST_F(CatchUpTest, ProjectComesFromTheFirstCwd) {
  write_file(transcript("-home-a-my-proj/s1.jsonl"),
             usage_line("m1", "r1", "s1", 10, "2026-03-02T10:00:00.000Z", false, "/home/a/my_proj") +
                 usage_line("m2", "r2", "s1", 10, "2026-03-02T10:00:01.000Z", false, "/home/a/my_proj/sub"));
  run();
  (void)ledger_->for_each_request({}, [&](const analytics::RequestRow& row) {
    EXPECT_EQ(row.project, "/home/a/my_proj");
  });
}

TEST_F(CatchUpTest, ManyFilesOnWorkerThreadsGiveTheSameTotals) {
  // Enough bytes to take the threaded path.
  std::int64_t expected = 0;
  for (int f = 0; f < 40; ++f) {
    std::string text;
    for (int i = 0; i < 2000; ++i) {
      std::string id = std::to_string(f) + "-" + std::to_string(i);
      text += usage_line("m" + id, "r" + id, "s" + std::to_string(f), i % 50);
      expected += i % 50;
    }
    write_file(transcript("-home-a-proj/s" + std::to_string(f) + ".jsonl"), text);
  }
  CatchUpOptions options;
  options.config_dirs = {dir_ / "claude"};
  options.threads = 2;
  auto stats = catch_up(*ledger_, options);
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->bytes_read, 8 << 20);
  EXPECT_EQ(totals(), std::make_pair(expected, std::int64_t{80000}));
}

}  // namespace
}  // namespace ccgauge::ingest

namespace ccgauge::ingest {
namespace {

TEST_F(CatchUpTest, CutShortLinesWithoutUsageAreCountedToo) {
  std::string path = transcript("-home-a-proj/s1.jsonl");
  write_file(path, "{\"type\":\"user\",\"message\":{\"content\":\"hel\n\n" +
                       usage_line("m1", "r1", "s1", 10));
  CatchUpStats stats = run();
  EXPECT_EQ(stats.malformed_lines, 1);
  ASSERT_EQ(stats.malformed.size(), 1u);
  EXPECT_EQ(stats.malformed[0].line, 1);
  EXPECT_EQ(totals().first, 10);
}

}  // namespace
}  // namespace ccgauge::ingest

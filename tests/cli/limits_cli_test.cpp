// `ccgauge limits` end to end: the estimate before any official reading, the official figures
// after a status line call, limit-hit messages from transcripts, plans, bad config, --watch.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using testing::RunResult;
using testing::TempDir;

constexpr const char* kNow = "2026-03-02T12:00:00Z";
constexpr std::int64_t kNowEpoch = 1772452800;

std::string assistant_line(const std::string& ts, const std::string& id, int input, int output) {
  return fmt::format(
      R"({{"type":"assistant","sessionId":"s1","cwd":"/home/u/app","timestamp":"{}","requestId":"r{}","message":{{"id":"m{}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{},"output_tokens":{}}}}}}})"
      "\n",
      ts, id, id, input, output);
}

class LimitsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string lines;
    // Two past days with one block each, and the current block (two requests).
    lines += assistant_line("2026-02-28T10:00:00.000Z", "a", 30000, 10000);
    lines += assistant_line("2026-03-01T10:00:00.000Z", "b", 50000, 10000);
    lines += assistant_line("2026-03-02T11:10:00.000Z", "c", 20000, 1000);
    lines += assistant_line("2026-03-02T11:55:00.000Z", "d", 9000, 1000);
    transcript_ = dir_ / "claude/projects/-home-u-app/s1.jsonl";
    testing::write_file(transcript_, lines);
  }

  std::vector<std::pair<std::string, std::string>> env() {
    return {{"CLAUDE_CONFIG_DIR", dir_ / "claude"},
            {"HOME", dir_.path()},
            {"CCGAUGE_CONFIG_DIR", dir_ / "config"},
            {"CCGAUGE_NOW", kNow},
            {"CCGAUGE_PLAN", ""},
            {"TZ", "UTC"},
            {"NO_COLOR", "1"}};
  }

  RunResult ccgauge(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(dir_ / "ledger.db");
    return testing::run_binary(args, env(), dir_.path());
  }

  RunResult statusline(const std::string& json) {
    testing::write_file(dir_ / "stdin.json", json);
    std::string cmd = fmt::format(
        "cd {0} && env HOME={0} CLAUDE_CONFIG_DIR={0}/claude CCGAUGE_CONFIG_DIR={0}/config "
        "NO_COLOR=1 TZ=UTC CCGAUGE_NOW={2} {1} statusline --ledger {0}/ledger.db "
        "< {0}/stdin.json > {0}/sl.txt 2> {0}/sl.err",
        dir_.path(), CCG_BINARY, kNow);
    RunResult r;
    int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = testing::slurp(dir_ / "sl.txt");
    r.err = testing::slurp(dir_ / "sl.err");
    return r;
  }

  TempDir dir_;
  std::string transcript_;
  simdjson::dom::parser parser_;
};

TEST_F(LimitsCliTest, EstimateBeforeAnyStatusLineCallOfficialAfter) {
  RunResult before = ccgauge({"limits", "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  simdjson::dom::element doc = parser_.parse(before.out);
  simdjson::dom::element five = doc["fiveHour"];
  EXPECT_EQ(std::string_view(five["usedProvenance"]), "estimate");
  EXPECT_EQ(std::string_view(five["source"]), "p90");
  EXPECT_EQ(std::string_view(five["resetProvenance"]), "estimate");
  EXPECT_EQ(std::string_view(five["windowStart"]), "2026-03-02T11:00:00.000Z");
  EXPECT_EQ(std::string_view(five["resetsAt"]), "2026-03-02T16:00:00.000Z");
  EXPECT_EQ(int64_t(five["usage"]["requests"]), 2);
  // P90 of the two past blocks (40k and 60k input+output): Python's quantiles(n=10)[8]
  // extrapolates past the largest with two points: 74,000.
  EXPECT_EQ(int64_t(five["tokenLimit"]), 74000);
  EXPECT_NEAR(double(five["usedPercent"]), 100.0 * 31000 / 74000, 0.05);

  RunResult sl = statusline(fmt::format(
      R"({{"session_id":"s1","transcript_path":"{}","model":{{"display_name":"Sonnet"}},)"
      R"("rate_limits":{{"five_hour":{{"used_percentage":37.5,"resets_at":{}}},)"
      R"("seven_day":{{"used_percentage":12,"resets_at":"2026-03-06T09:00:00Z"}}}}}})",
      transcript_, kNowEpoch + 5400));
  ASSERT_EQ(sl.exit_code, 0);
  // Today: $0.075 + $0.042. Burn: $0.042 in the last ten minutes, $0.25/h. 37.5 % for the
  // window's $0.117 is 320 % per dollar, so $0.25/h uses the other 62.5 % in 46 minutes.
  EXPECT_EQ(sl.out, "Sonnet │ $0.12 today │ 5h 38% ↻1h 30m │ 7d 12% │ $0.25/h │ out in 46m\n")
      << sl.err;

  RunResult after = ccgauge({"limits", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  doc = parser_.parse(after.out);
  five = doc["fiveHour"];
  EXPECT_EQ(std::string_view(five["usedProvenance"]), "official");
  EXPECT_EQ(std::string_view(five["source"]), "statusline");
  EXPECT_DOUBLE_EQ(double(five["usedPercent"]), 37.5);
  EXPECT_EQ(std::string_view(five["resetsAt"]), "2026-03-02T13:30:00.000Z");
  EXPECT_EQ(int64_t(five["resetsInSeconds"]), 5400);
  simdjson::dom::element seven = doc["sevenDay"];
  EXPECT_EQ(std::string_view(seven["usedProvenance"]), "official");
  EXPECT_DOUBLE_EQ(double(seven["usedPercent"]), 12.0);
  EXPECT_EQ(std::string_view(seven["windowStart"]), "2026-02-27T09:00:00.000Z");
  EXPECT_EQ(int64_t(seven["usage"]["requests"]), 4);

  RunResult text = ccgauge({"limits"});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("5-hour window  official · statusline"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("resets        13:30 (in 1h 30m)  official"), std::string::npos);
}

TEST_F(LimitsCliTest, TranscriptLimitMessageIsAnOfficialHit) {
  testing::append_file(
      transcript_,
      R"x({"type":"assistant","sessionId":"s1","timestamp":"2026-03-02T11:58:00.000Z","isApiErrorMessage":true,"error":"rate_limit","message":{"id":"e1","model":"<synthetic>","usage":{"input_tokens":0,"output_tokens":0},"content":[{"type":"text","text":"You've hit your session limit · resets 2pm (UTC)"}]}})x"
      "\n");
  RunResult r = ccgauge({"limits", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::element five = parser_.parse(r.out)["fiveHour"];
  EXPECT_EQ(std::string_view(five["usedProvenance"]), "official");
  EXPECT_EQ(std::string_view(five["source"]), "transcript");
  EXPECT_TRUE(bool(five["limitHit"]));
  EXPECT_EQ(std::string_view(five["resetsAt"]), "2026-03-02T14:00:00.000Z");
}

TEST_F(LimitsCliTest, PlanFromFlagsOrConfigAndBadConfigIsAnError) {
  RunResult flag = ccgauge({"limits", "--json", "--plan", "pro"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  simdjson::dom::element doc = parser_.parse(flag.out);
  EXPECT_EQ(std::string_view(doc["plan"]), "pro");
  EXPECT_EQ(std::string_view(doc["fiveHour"]["usedProvenance"]), "plan");
  EXPECT_EQ(int64_t(doc["fiveHour"]["tokenLimit"]), 19000);

  testing::write_file(dir_ / "config/config.json",
                      R"({"plan":"max20","limits":{"cost_7d":10.5}})");
  RunResult config = ccgauge({"limits", "--json"});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  doc = parser_.parse(config.out);
  EXPECT_EQ(std::string_view(doc["plan"]), "max20");
  EXPECT_EQ(std::string_view(doc["sevenDay"]["usedProvenance"]), "plan");
  EXPECT_DOUBLE_EQ(double(doc["sevenDay"]["costLimitUSD"]), 10.5);

  testing::write_file(dir_ / "config/config.json", R"({"plan":"max20","limits":{"cost_7d":"x"}})");
  RunResult bad = ccgauge({"limits", "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("limits.cost_7d"), std::string::npos) << bad.err;
  testing::write_file(dir_ / "config/config.json", "{nope");
  bad = ccgauge({"limits"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("config.json"), std::string::npos) << bad.err;
  RunResult unknown = ccgauge({"limits", "--plan", "gold"});
  EXPECT_NE(unknown.exit_code, 0);
}

TEST_F(LimitsCliTest, WatchRefreshesUntilInterrupted) {
  std::vector<std::string> args = {"limits", "--watch", "--interval", "0.2", "--ledger",
                                   dir_ / "ledger.db"};
  pid_t pid = testing::spawn_binary(args, env(), dir_ / "watch.txt", dir_ / "watch.err");
  // Wait for two frames, then add a request and wait for a frame that shows it.
  auto frames = [&] {
    std::string out = testing::slurp(dir_ / "watch.txt");
    std::size_t n = 0;
    for (std::size_t p = out.find("5-hour window"); p != std::string::npos;
         p = out.find("5-hour window", p + 1)) {
      ++n;
    }
    return std::pair(n, out);
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (frames().first < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  testing::append_file(transcript_, assistant_line("2026-03-02T11:59:00.000Z", "e", 1, 1));
  while (frames().second.find("3 requests") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGINT);
  EXPECT_EQ(testing::wait_exit_code(pid), 0);
  EXPECT_NE(frames().second.find("3 requests"), std::string::npos) << frames().second;
}

}  // namespace
}  // namespace ccgauge

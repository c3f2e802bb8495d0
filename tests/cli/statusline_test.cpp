// `ccgauge statusline` driven as Claude Code drives it: JSON on stdin, one line out, exit 0.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ledger/ledger.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using testing::RunResult;
using testing::TempDir;

class StatusLineTest : public ::testing::Test {
 protected:
  // Runs the status line with `json` on stdin; "now" is pinned to 2026-03-02T12:00:00Z.
  RunResult statusline(const std::string& json, const std::string& out = "out",
                       const std::string& now = "2026-03-02T12:00:00Z",
                       const std::string& flags = "") {
    testing::write_file(dir_ / "stdin.json", json);
    std::string cmd = fmt::format(
        "cd {0} && env -u TZ HOME={0} NO_COLOR=1 CCGAUGE_NOW={3} {1} statusline {4} "
        "--ledger {0}/ledger.db < {0}/stdin.json > {0}/{2}.txt 2> {0}/{2}.err",
        dir_.path(), CCG_BINARY, out, now, flags);
    RunResult r;
    int status = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = testing::slurp(dir_ / (out + ".txt"));
    r.err = testing::slurp(dir_ / (out + ".err"));
    return r;
  }

  std::vector<ledger::LimitSample> samples() {
    auto ledger = ledger::Ledger::open(dir_ / "ledger.db", pricing::PriceTable::embedded());
    EXPECT_TRUE(ledger);
    auto all = ledger->limit_samples(std::nullopt);
    EXPECT_TRUE(all);
    return all ? *all : std::vector<ledger::LimitSample>{};
  }

  TempDir dir_;
};

// 2026-03-02T12:00:00Z plus these seconds.
std::string epoch_plus(int seconds) { return std::to_string(1772452800 + seconds); }

TEST_F(StatusLineTest, ShowsAndRecordsTheOfficialFigures) {
  std::string json = R"({"session_id":"s1","model":{"id":"claude-opus-4-6","display_name":"Opus"},
      "cost":{"total_cost_usd":1.234},
      "context_window":{"total_input_tokens":50000,"context_window_size":200000},
      "rate_limits":{"five_hour":{"used_percentage":23.5,"resets_at":)" +
                     epoch_plus(7800) + R"(},
                     "seven_day":{"used_percentage":81,"resets_at":"2026-03-05T00:00:00Z"}}})";
  RunResult r = statusline(json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Opus │ $1.23 session │ $0.00 today │ 5h 24% ↻2h 10m │ 7d 81% │ ctx 25%\n");
  auto recorded = samples();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].source, "statusline");
  EXPECT_EQ(*recorded[0].resets_at_epoch_s, 1772452800 + 7800);
  // The same figures again: nothing new to record.
  statusline(json);
  EXPECT_EQ(samples().size(), 2u);
}

TEST_F(StatusLineTest, WithoutRateLimitsTheLedgersCurrentFigureIsUsed) {
  statusline(R"({"rate_limits":{"five_hour":{"used_percentage":40,"resets_at":)" +
             epoch_plus(3600) + "}}}");
  RunResult r = statusline(R"({"model":{"display_name":"Sonnet"}})");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "Sonnet │ $0.00 today │ 5h 40% ↻1h 0m\n");
}

TEST_F(StatusLineTest, StaleFiguresAreNotShown) {
  RunResult r = statusline(R"({"model":{"display_name":"Opus"},"rate_limits":{"five_hour":)"
                           R"({"used_percentage":99,"resets_at":)" + epoch_plus(-60) + "}}}");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "Opus │ $0.00 today\n");
}

TEST_F(StatusLineTest, GarbageGivesAFallbackLineExitZeroAndALoggedReason) {
  for (const char* input : {"not json", "", "[1,2,3]", "{\"model\":"}) {
    RunResult r = statusline(input);
    EXPECT_EQ(r.exit_code, 0) << input;
    EXPECT_EQ(r.out, "ccgauge │ usage unavailable\n") << input;
  }
  std::string log = testing::slurp(dir_ / ".local/state/ccgauge/statusline.log");
  EXPECT_NE(log.find("not JSON"), std::string::npos) << log;
}

TEST_F(StatusLineTest, InputOverOneMebibyteIsRefusedWithAFallbackLine) {
  // Valid JSON, padded past the bound: refused as too large, not parsed half.
  std::string json = R"({"model":{"display_name":"Opus"},"pad":")" + std::string(1 << 20, 'x') +
                     R"("})";
  RunResult r = statusline(json);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "ccgauge │ usage unavailable\n");
  std::string log = testing::slurp(dir_ / ".local/state/ccgauge/statusline.log");
  EXPECT_NE(log.find("larger than 1 MiB"), std::string::npos) << log;
  // Just under the bound, it is read whole.
  RunResult fits = statusline(R"({"model":{"display_name":"Opus"},"pad":")" +
                              std::string((1 << 20) - 100, 'x') + R"("})");
  EXPECT_TRUE(fits.out.starts_with("Opus │ ")) << fits.out;
}

TEST_F(StatusLineTest, CatchesUpTheSessionsTranscript) {
  std::string transcript = dir_ / "claude/projects/-w/s1.jsonl";
  testing::write_file(
      transcript,
      R"({"sessionId":"s1","cwd":"/w","timestamp":"2026-03-02T11:30:00.000Z","requestId":"r1","type":"assistant","message":{"model":"claude-sonnet-4-5","id":"m1","usage":{"input_tokens":100000,"output_tokens":0}}})"
      "\n");
  RunResult r = statusline(R"({"transcript_path":")" + transcript + R"("})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 100k input tokens at $3/M, in today's total; an active block without an official figure.
  EXPECT_EQ(r.out, "$0.30 today │ 5h~ $0.30 ↻4h 0m │ $0.30/h\n");
}

TEST_F(StatusLineTest, ASampleStampedAfterNowDoesNotMakeEveryCallRecordAgain) {
  // A transcript from a machine whose clock runs an hour ahead: its limit message is "newer"
  // than any reading taken now.
  std::string transcript = dir_ / "claude/projects/-w/s1.jsonl";
  testing::write_file(
      transcript,
      R"({"sessionId":"s1","type":"assistant","timestamp":"2026-03-02T13:00:00.000Z","message":{"id":"m9","model":"<synthetic>","role":"assistant","usage":{"input_tokens":0,"output_tokens":0},"content":[{"type":"text","text":"Claude AI usage limit reached|)" +
          epoch_plus(7200) + R"("}]},"isApiErrorMessage":true})"
                             "\n");
  std::string json = R"({"session_id":"s1","transcript_path":")" + transcript +
                     R"(","rate_limits":{"five_hour":{"used_percentage":30,"resets_at":)" +
                     epoch_plus(7200) + "}}}";
  ASSERT_EQ(statusline(json).exit_code, 0);
  auto first = samples();
  ASSERT_EQ(first.size(), 2u);  // the transcript's and the status line's
  for (const char* now : {"2026-03-02T12:00:01Z", "2026-03-02T12:00:02Z"}) {
    RunResult r = statusline(json, "out", now);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(samples().size(), 2u);
}

TEST_F(StatusLineTest, ADayThatStartsOffAQuarterHourIsStillExact) {
  // New York kept local mean time (UTC-4:56:02) until 1883: its days began off the quarter
  // hours the rollups are summed in, so today's cost is taken row by row.
  std::string transcript = dir_ / "claude/projects/-w/s1.jsonl";
  auto line = [](const char* id, const char* ts, int input) {
    return fmt::format(
        R"({{"sessionId":"s1","cwd":"/w","timestamp":"{}","requestId":"r{}","type":"assistant","message":{{"model":"claude-sonnet-4-5","id":"m{}","usage":{{"input_tokens":{},"output_tokens":0}}}}}})"
        "\n",
        ts, id, id, input);
  };
  // 04:30Z is 23:33:58 the day before, local time; 20:00Z is today.
  testing::write_file(transcript, line("0", "1880-06-01T04:30:00.000Z", 10000) +
                                      line("1", "1880-06-01T20:00:00.000Z", 100000));
  RunResult r = statusline(R"({"transcript_path":")" + transcript +
                               R"(","model":{"display_name":"Sonnet"}})",
                           "out", "1880-06-01T21:00:00Z", "--timezone America/New_York");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Sonnet │ $0.30 today │")) << r.out;
}

TEST_F(StatusLineTest, FiftyConcurrentCallsAllAnswer) {
  std::string transcript = dir_ / "claude/projects/-w/s1.jsonl";
  std::string lines;
  for (int i = 0; i < 2000; ++i) {
    lines += R"({"sessionId":"s1","timestamp":"2026-03-02T11:30:00.000Z","requestId":"r)" +
             std::to_string(i) +
             R"(","message":{"model":"claude-sonnet-4-5","id":"m","usage":{"input_tokens":1000,"output_tokens":0}}})"
             "\n";
  }
  testing::write_file(transcript, lines);
  testing::write_file(dir_ / "stdin.json", R"({"transcript_path":")" + transcript + R"("})");
  std::vector<pid_t> pids;
  for (int i = 0; i < 50; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string cmd = fmt::format(
          "cd {0} && env -u TZ HOME={0} NO_COLOR=1 CCGAUGE_NOW=2026-03-02T12:00:00Z {1} statusline "
          "--ledger {0}/ledger.db < {0}/stdin.json > {0}/c{2}.txt",
          dir_.path(), CCG_BINARY, i);
      ::_exit(WEXITSTATUS(std::system(cmd.c_str())));
    }
    pids.push_back(pid);
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(testing::wait_exit_code(pids[i]), 0);
    std::string out = testing::slurp(dir_ / ("c" + std::to_string(i) + ".txt"));
    // Each waited for the catch-up running before it, so each shows the whole transcript,
    // counted once.
    EXPECT_EQ(out, "$6.00 today │ 5h~ $6.00 ↻4h 0m │ $6.00/h\n") << i;
  }
  RunResult after = statusline(R"({"transcript_path":")" + transcript + R"("})");
  EXPECT_EQ(after.out, "$6.00 today │ 5h~ $6.00 ↻4h 0m │ $6.00/h\n");
}

TEST_F(StatusLineTest, FormatTemplateNamesFields) {
  std::string json = R"({"session_id":"s1","model":{"display_name":"Opus"},"cwd":"/home/u/app",
      "cost":{"total_cost_usd":2.5},"context_window":{"used_percentage":61},
      "rate_limits":{"five_hour":{"used_percentage":23.5,"resets_at":)" +
                     epoch_plus(7800) + R"(}}})";
  testing::write_file(dir_ / "stdin.json", json);
  std::string cmd = fmt::format(
      "cd {0} && env -u TZ HOME={0} NO_COLOR=1 CCGAUGE_NOW=2026-03-02T12:00:00Z {1} statusline "
      "--ledger {0}/ledger.db --format '[{{project}}] {{model}} {{5h}} ({{5h_provenance}}, "
      "{{5h_reset}}) ctx {{ctx}} {{session_cost}} {{nope}} {{{{literal}}}}' < {0}/stdin.json > "
      "{0}/f.txt",
      dir_.path(), CCG_BINARY);
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(testing::slurp(dir_ / "f.txt"),
            "[app] Opus 24% (official, 2h 10m) ctx 61% $2.50 {nope} {literal}\n");
  std::string log = testing::slurp(dir_ / ".local/state/ccgauge/statusline.log");
  EXPECT_NE(log.find("unknown field {nope}"), std::string::npos) << log;
  // The session's cost and context are kept, newest per session.
  auto ledger = ledger::Ledger::open(dir_ / "ledger.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger);
  auto st = ledger->session_status("s1");
  ASSERT_TRUE(st && *st);
  EXPECT_DOUBLE_EQ(*(*st)->cost_usd, 2.5);
  EXPECT_DOUBLE_EQ(*(*st)->context_percent, 61.0);
  EXPECT_EQ((*st)->project, "/home/u/app");
}

TEST_F(StatusLineTest, InstallAndUninstallEditSettingsSafely) {
  std::string settings = dir_ / ".claude/settings.json";
  testing::write_file(settings, "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"A\": \"1\"\n  }\n}\n");
  auto run = [&](const std::string& sub) {
    std::string cmd = fmt::format(
        "cd {0} && env -u CLAUDE_CONFIG_DIR HOME={0} {1} statusline {2} > {0}/i.txt 2> {0}/i.err",
        dir_.path(), CCG_BINARY, sub);
    int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  ASSERT_EQ(run("install"), 0) << testing::slurp(dir_ / "i.err");
  std::string installed = testing::slurp(settings);
  EXPECT_EQ(installed, fmt::format("{{\n  \"model\": \"opus\",\n  \"env\": {{\n    \"A\": \"1\"\n  }},\n"
                                   "  \"statusLine\": {{\n    \"type\": \"command\",\n"
                                   "    \"command\": \"{} statusline\",\n    \"padding\": 0\n  }}\n}}\n",
                                   CCG_BINARY));
  int backups = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / ".claude")) {
    backups += e.path().filename().string().find("ccgauge-backup") != std::string::npos;
  }
  EXPECT_EQ(backups, 1);
  ASSERT_EQ(run("install"), 0);  // idempotent: no write, no second backup
  EXPECT_NE(testing::slurp(dir_ / "i.txt").find("already installed"), std::string::npos);
  EXPECT_EQ(testing::slurp(settings), installed);
  ASSERT_EQ(run("uninstall"), 0);
  EXPECT_EQ(testing::slurp(settings), "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"A\": \"1\"\n  }\n}\n");
  testing::write_file(settings, "{\"model\": \"opus\",}");
  EXPECT_EQ(run("install"), 1);
  EXPECT_NE(testing::slurp(dir_ / "i.err").find("line 1, column"), std::string::npos);
  EXPECT_EQ(testing::slurp(settings), "{\"model\": \"opus\",}");
}

}  // namespace
}  // namespace ccgauge

// End-to-end tests of the ccgauge binary on a generated transcript tree: totals equal the
// generator's truth, every report agrees, errors are clear, and a SIGKILL at any point of a
// catch-up loses and doubles nothing.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include <simdjson.h>

#include "core/time.h"
#include "gen/transcript_generator.h"
#include "ledger/sqlite.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using testing::run_binary;
using testing::RunResult;
using testing::TempDir;

struct DayTokens {
  std::int64_t input = 0, output = 0, cache_creation = 0, cache_read = 0;
  friend bool operator==(const DayTokens&, const DayTokens&) = default;
};

std::ostream& operator<<(std::ostream& os, const DayTokens& d) {
  return os << "{in " << d.input << ", out " << d.output << ", cc " << d.cache_creation << ", cr "
            << d.cache_read << "}";
}

// Reads a ccusage-shaped report (`daily`, `monthly`, ...) into date-or-period -> tokens.
std::map<std::string, DayTokens> read_rows(const std::string& json, const char* section,
                                           const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  std::map<std::string, DayTokens> rows;
  for (simdjson::dom::element row : doc[section].get_array()) {
    DayTokens t;
    t.input = row["inputTokens"].get_int64();
    t.output = row["outputTokens"].get_int64();
    t.cache_creation = row["cacheCreationTokens"].get_int64();
    t.cache_read = row["cacheReadTokens"].get_int64();
    rows[std::string(row[key].get_string().value())] = t;
  }
  return rows;
}

DayTokens read_totals(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element totals = parser.parse(json)["totals"];
  return DayTokens{totals["inputTokens"].get_int64(), totals["outputTokens"].get_int64(),
                   totals["cacheCreationTokens"].get_int64(), totals["cacheReadTokens"].get_int64()};
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    gen::GeneratorOptions options;
    options.out_dir = *dir_ / "claude";
    options.target_bytes = 24 << 20;
    options.seed = 11;
    options.days = 20;
    options.end_date = "2026-03-20";
    auto totals = gen::generate(options);
    ASSERT_TRUE(totals) << totals.error().message;
    truth_ = new gen::TrueTotals(std::move(*totals));
  }
  static void TearDownTestSuite() {
    delete truth_;
    delete dir_;
  }

  RunResult ccgauge(std::vector<std::string> args, const std::string& ledger = "ledger.db",
                    std::vector<std::pair<std::string, std::string>> env = {}) {
    args.push_back("--ledger");
    args.push_back(*dir_ / ledger);
    env.emplace_back("CLAUDE_CONFIG_DIR", *dir_ / "claude");
    env.emplace_back("NO_COLOR", "");
    env.emplace_back("FORCE_COLOR", "");
    return run_binary(args, env, dir_->path());
  }

  static TempDir* dir_;
  static gen::TrueTotals* truth_;
};

TempDir* CliTest::dir_ = nullptr;
gen::TrueTotals* CliTest::truth_ = nullptr;

TEST_F(CliTest, DailyTotalsEqualTheGeneratorsTruthExactly) {
  RunResult r = ccgauge({"daily", "--json", "--timezone", "UTC"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = read_rows(r.out, "daily", "date");
  ASSERT_EQ(rows.size(), truth_->days.size());
  for (const gen::DayTotals& day : truth_->days) {
    DayTokens expected{day.tokens.input, day.tokens.output, day.tokens.cache_creation(),
                       day.tokens.cache_read};
    EXPECT_EQ(rows[format_date(day.date)], expected) << format_date(day.date);
  }
  EXPECT_GT(truth_->malformed_lines, 0);
  EXPECT_NE(r.err.find("malformed"), std::string::npos) << r.err;
}

// A first report into an empty ledger prints, then leaves the bulk load's indexes and final
// checkpoint to a child process; once that has finished the ledger is complete and the next
// report reads the same numbers from it.
TEST_F(CliTest, AFirstReportFinishesItsLedgerInTheBackground) {
  RunResult first = ccgauge({"daily", "--json", "--timezone", "UTC"}, "fresh.db");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string path = *dir_ / "fresh.db";
  int lock = ::open((path + ".checkpoint.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(lock, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the ledger was never finished";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::close(lock);
  {
    auto db = ledger::Database::open(path, ledger::Database::Mode::kReadOnly);
    ASSERT_TRUE(db) << db.error().message;
    auto names = db->prepare(
        "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND "
        "tbl_name = 'requests' ORDER BY name)");
    ASSERT_TRUE(names && names->step());
    EXPECT_EQ(names->column_text(0), "requests_key_hash,requests_otlp,requests_ts");
  }
  struct stat wal {};
  EXPECT_TRUE(::stat((path + "-wal").c_str(), &wal) != 0 || wal.st_size == 0);
  RunResult again = ccgauge({"daily", "--json", "--timezone", "UTC"}, "fresh.db");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
}

TEST_F(CliTest, EveryReportHasTheSameTotals) {
  DayTokens daily = read_totals(ccgauge({"daily", "--json"}).out);
  for (const char* report : {"weekly", "monthly", "session", "hourly"}) {
    RunResult r = ccgauge({report, "--json"});
    ASSERT_EQ(r.exit_code, 0) << report << ": " << r.err;
    EXPECT_EQ(read_totals(r.out), daily) << report;
  }
  RunResult blocks = ccgauge({"blocks", "--json"});
  ASSERT_EQ(blocks.exit_code, 0) << blocks.err;
  simdjson::dom::parser parser;
  DayTokens sum;
  for (simdjson::dom::element b : parser.parse(blocks.out)["blocks"].get_array()) {
    sum.input += b["tokenCounts"]["inputTokens"].get_int64();
    sum.output += b["tokenCounts"]["outputTokens"].get_int64();
    sum.cache_creation += b["tokenCounts"]["cacheCreationInputTokens"].get_int64();
    sum.cache_read += b["tokenCounts"]["cacheReadInputTokens"].get_int64();
  }
  EXPECT_EQ(sum, daily);
}

TEST_F(CliTest, SinceAndUntilKeepOnlyThoseDays) {
  RunResult r = ccgauge({"daily", "--json", "-z", "UTC", "--since", "20260310", "--until", "2026-03-12"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = read_rows(r.out, "daily", "date");
  ASSERT_FALSE(rows.empty());
  for (const auto& [date, tokens] : rows) {
    EXPECT_GE(date, "2026-03-10");
    EXPECT_LE(date, "2026-03-12");
  }
}

TEST_F(CliTest, BadArgumentsAreClearErrors) {
  RunResult zone = ccgauge({"daily", "--timezone", "Mars/Olympus"});
  EXPECT_EQ(zone.exit_code, 1);
  EXPECT_NE(zone.err.find("Mars/Olympus"), std::string::npos);
  RunResult date = ccgauge({"daily", "--since", "2026-02-30"});
  EXPECT_EQ(date.exit_code, 1);
  EXPECT_NE(date.err.find("2026-02-30"), std::string::npos);
  RunResult limit = ccgauge({"blocks", "--token-limit", "lots"});
  EXPECT_EQ(limit.exit_code, 1);
  RunResult dir = run_binary({"daily"}, {{"CLAUDE_CONFIG_DIR", *dir_ / "nowhere"}}, dir_->path());
  EXPECT_EQ(dir.exit_code, 1);
  EXPECT_NE(dir.err.find("CLAUDE_CONFIG_DIR"), std::string::npos);
}

TEST_F(CliTest, NoClaudeDataIsAnEmptyReportAndAHint) {
  TempDir home;
  RunResult r = run_binary({"daily", "--json", "--ledger", home / "l.db"},
                           {{"HOME", home.path()}, {"CLAUDE_CONFIG_DIR", ""}, {"XDG_CONFIG_HOME", ""}},
                           home.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("ccgauge demo"), std::string::npos);
  EXPECT_EQ(read_totals(r.out), DayTokens{});
}

TEST_F(CliTest, CsvAndColour) {
  RunResult csv = ccgauge({"monthly", "--csv"});
  ASSERT_EQ(csv.exit_code, 0);
  EXPECT_EQ(csv.out.rfind("month,", 0), 0u) << csv.out.substr(0, 80);
  RunResult plain = ccgauge({"daily"});
  EXPECT_EQ(plain.out.find("\033["), std::string::npos);
  RunResult colour = ccgauge({"daily", "--color"});
  EXPECT_NE(colour.out.find("\033["), std::string::npos);
  RunResult no_color_env = ccgauge({"daily"}, "ledger.db", {{"NO_COLOR", "1"}});
  EXPECT_EQ(no_color_env.out.find("\033["), std::string::npos);
}

TEST_F(CliTest, SessionIdShowsOneSession) {
  RunResult sessions = ccgauge({"session", "--json"});
  simdjson::dom::parser parser;
  simdjson::dom::element first = parser.parse(sessions.out)["sessions"].at(0);
  std::string id(first["sessionId"].get_string().value());
  std::int64_t total = first["totalTokens"].get_int64();
  RunResult one = ccgauge({"session", "--id", id, "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  simdjson::dom::parser parser2;
  EXPECT_EQ(parser2.parse(one.out)["totalTokens"].get_int64().value(), total);
  EXPECT_EQ(ccgauge({"session", "--id", "no-such-session", "--json"}).out, "null\n");
}

// SIGKILL at many points of a cold catch-up; after each, a complete run gives totals identical
// to a clean run: nothing lost, nothing doubled.
TEST_F(CliTest, KilledCatchUpsLoseAndDoubleNothing) {
  RunResult clean = ccgauge({"daily", "--json"}, "clean.db");
  ASSERT_EQ(clean.exit_code, 0);
  // The kill points are spread over a cold catch-up's duration: the faster of two, so that
  // a slow outlier does not put them all after the end.
  auto cold = std::chrono::steady_clock::duration::max();
  for (const char* timing : {"timing1.db", "timing2.db"}) {
    auto start = std::chrono::steady_clock::now();
    ccgauge({"daily", "--json"}, timing);
    cold = std::min(cold, std::chrono::steady_clock::now() - start);
  }
  const int kPoints = 16;
  int killed = 0;
  for (int point = 0; point < kPoints; ++point) {
    std::string ledger = "kill-" + std::to_string(point) + ".db";
    // Kill the first run at a point spread over the first half of the cold catch-up (a busy
    // machine makes the timing runs slower than these), then a second run at half that, then
    // let a third finish.
    auto delay = cold * (point + 1) / (2 * (kPoints + 1));
    for (auto d : {delay, delay / 2}) {
      pid_t pid = testing::spawn_binary(
          {"daily", "--json", "--ledger", *dir_ / ledger},
          {{"CLAUDE_CONFIG_DIR", *dir_ / "claude"}}, *dir_ / "k.out", *dir_ / "k.err");
      std::this_thread::sleep_for(d);
      ::kill(pid, SIGKILL);
      killed += testing::wait_exit_code(pid) == 128 + SIGKILL;
    }
    RunResult after = ccgauge({"daily", "--json"}, ledger);
    ASSERT_EQ(after.exit_code, 0) << after.err;
    EXPECT_EQ(after.out, clean.out) << "killed at point " << point;
  }
  // Enough kills landed while work was under way for the test to mean something (the rest
  // found the work done, which must give the same totals too).
  EXPECT_GE(killed, kPoints / 2);
}

}  // namespace
}  // namespace ccgauge

namespace ccgauge {
namespace {

TEST(Demo, GeneratesASampleAndReportsOnIt) {
  testing::TempDir dir;
  testing::RunResult r = testing::run_binary({"demo", "--dir", dir / "sample", "--size", "2MiB"},
                                             {{"NO_COLOR", "1"}}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Claude Code Token Usage Report - Daily"), std::string::npos);
  EXPECT_NE(r.out.find("Session Blocks"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "sample/ledger.db"));
  EXPECT_NE(r.err.find("CLAUDE_CONFIG_DIR=" + (dir / "sample")), std::string::npos);
  testing::RunResult bad = testing::run_binary({"demo", "--size", "lots"}, {}, dir.path());
  EXPECT_NE(bad.exit_code, 0);
}

}  // namespace
}  // namespace ccgauge

namespace ccgauge {
namespace {

// Many commands at once on one ledger (status lines, scripts, a shell loop): every one answers,
// with the same numbers, and none counts anything twice.
TEST_F(CliTest, ConcurrentCommandsOnOneLedgerAgree) {
  RunResult reference = ccgauge({"daily", "--json"}, "reference.db");
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  const int kRuns = 20;
  std::vector<pid_t> pids;
  for (int i = 0; i < kRuns; ++i) {
    pids.push_back(testing::spawn_binary(
        {"daily", "--json", "--ledger", *dir_ / "shared.db"},
        {{"CLAUDE_CONFIG_DIR", *dir_ / "claude"}},
        *dir_ / ("c" + std::to_string(i) + ".out"), *dir_ / ("c" + std::to_string(i) + ".err")));
  }
  for (int i = 0; i < kRuns; ++i) {
    EXPECT_EQ(testing::wait_exit_code(pids[i]), 0)
        << testing::slurp(*dir_ / ("c" + std::to_string(i) + ".err"));
    EXPECT_EQ(testing::slurp(*dir_ / ("c" + std::to_string(i) + ".out")), reference.out) << i;
  }
}

}  // namespace
}  // namespace ccgauge

// `ccgauge statusline` while `ccgauge serve` runs: the command hands its input to the daemon over
// the Unix socket next to the spool and prints the daemon's answer, which is the line it would
// have computed itself; without a daemon (or with a dead one's socket left behind) it does the
// work itself.

#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/statusline.h"
#include "core/time.h"
#include "ledger/events.h"
#include "ledger/ledger.h"
#include "pricing/price_table.h"
#include "tests/support/daemon_process.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using testing::RunResult;
using testing::TempDir;

constexpr const char* kNow = "2026-03-02T12:00:00Z";

std::string request_line(const std::string& id, const std::string& ts, int input) {
  return fmt::format(
      R"({{"sessionId":"s1","cwd":"/w","timestamp":"{}","requestId":"r{}","type":"assistant","message":{{"model":"claude-sonnet-4-5","id":"m{}","usage":{{"input_tokens":{},"output_tokens":0}}}}}})"
      "\n",
      ts, id, id, input);
}

// Sends raw bytes to a Unix socket, half-closes, returns everything it answers.
std::string ask(const std::string& path, const std::string& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) {
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

class ServeStatusLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transcript_ = dir_ / "claude/projects/-w/s1.jsonl";
    testing::write_file(transcript_, request_line("1", "2026-03-02T11:30:00.000Z", 100000));
    json_ = R"({"session_id":"s1","transcript_path":")" + transcript_ +
            R"(","model":{"display_name":"Sonnet"},"rate_limits":{"five_hour":{"used_percentage":40,"resets_at":)" +
            std::to_string(1772452800 + 3600) + "}}}";
    testing::write_file(dir_ / "stdin.json", json_);
  }

  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"CLAUDE_CONFIG_DIR", dir_ / "claude"},
            {"HOME", dir_.path()},
            {"CCGAUGE_CONFIG_DIR", dir_ / "config"},
            {"CCGAUGE_NOW", kNow},
            {"CCGAUGE_TOKEN", ""},
            {"NO_COLOR", "1"},
            {"TZ", "UTC"}};
  }

  RunResult statusline(const std::string& ledger, const std::string& tz = "UTC") {
    auto e = env();
    e.back() = {"TZ", tz};
    return testing::run_binary({"statusline", "--ledger", dir_ / ledger}, e, dir_.path(),
                               dir_ / "stdin.json");
  }

  // `ccgauge serve` on ledger.db, once its status line socket is up (or 10 s have passed).
  std::unique_ptr<testing::DaemonProcess> start_daemon() {
    auto daemon = std::make_unique<testing::DaemonProcess>(
        dir_.path(),
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--no-otlp", "--ledger",
                                 dir_ / "ledger.db"},
        env(), std::chrono::seconds(30));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (daemon->port() != 0 && !std::filesystem::exists(socket_for("ledger.db")) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return daemon;
  }

  std::string socket_for(const std::string& ledger) const {
    return ledger::statusline_socket_for(dir_ / ".local/state/ccgauge/spool", dir_ / ledger);
  }

  TempDir dir_;
  std::string transcript_;
  std::string json_;
};

TEST(StatusLineJob, SurvivesTheSocketAndGarbageIsRefused) {
  cli::StatusLineJob job;
  job.now = from_epoch_ms(1772452800123);
  job.timezone = "Europe/Paris";
  job.colour = true;
  job.format = "{model} \"{5h}\"\n";
  job.plan.name = "custom";
  job.plan.tokens_5h = 88000;
  job.plan.cost_7d = 140'000'000'000;
  job.input = "{\"a\":1}\n{\"b\":2}";
  auto back = cli::decode_statusline_job(cli::encode_statusline_job(job));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->now, job.now);
  EXPECT_EQ(back->timezone, job.timezone);
  EXPECT_TRUE(back->colour);
  EXPECT_EQ(back->format, job.format);
  EXPECT_EQ(back->plan.name, "custom");
  EXPECT_EQ(back->plan.tokens_5h, 88000);
  EXPECT_FALSE(back->plan.cost_5h);
  EXPECT_FALSE(back->plan.tokens_7d);
  EXPECT_EQ(back->plan.cost_7d, 140'000'000'000);
  EXPECT_EQ(back->input, job.input);
  for (const char* bad : {"", "no newline", "[1]\n{}", "{\"now\":\"x\"}\n{}", "{}\n{}"}) {
    EXPECT_FALSE(cli::decode_statusline_job(bad)) << bad;
  }
}

TEST_F(ServeStatusLineTest, TheDaemonAnswersWhatTheCommandWouldHaveComputed) {
  auto daemon_owner = start_daemon();
  testing::DaemonProcess& daemon = *daemon_owner;
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  std::string socket = socket_for("ledger.db");
  struct stat st {};
  ASSERT_EQ(::stat(socket.c_str(), &st), 0) << daemon.err();
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // the owner's spending, for the owner only

  // A request the daemon has not seen yet: the answer must count it. The command does not
  // open the ledger itself (the daemon has it open already; nothing else opens it meanwhile).
  testing::append_file(transcript_, request_line("2", "2026-03-02T11:45:00.000Z", 200000));
  int opens = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(::inotify_add_watch(opens, (dir_ / "ledger.db").c_str(), IN_OPEN), 0);
  RunResult through_daemon = statusline("ledger.db");
  ASSERT_EQ(through_daemon.exit_code, 0) << through_daemon.err;
  char events[4096];
  EXPECT_LT(::read(opens, events, sizeof(events)), 0) << "the command opened the ledger";
  std::FILE* control = std::fopen((dir_ / "ledger.db").c_str(), "r");  // the watch works
  ASSERT_NE(control, nullptr);
  std::fclose(control);
  EXPECT_GT(::read(opens, events, sizeof(events)), 0);
  ::close(opens);
  // The same call on a ledger no daemon serves: the command computes the line itself.
  RunResult by_itself = statusline("own.db");
  ASSERT_EQ(by_itself.exit_code, 0) << by_itself.err;
  EXPECT_EQ(through_daemon.out, by_itself.out);
  // 300k input tokens at $3/M today, over the four hours the official window has run; 40 %.
  EXPECT_EQ(through_daemon.out, "Sonnet │ $0.90 today │ 5h 40% ↻1h 0m │ $0.23/h\n");

  // The socket itself: a job gets "ok" and the line, garbage gets "error" and why.
  cli::StatusLineJob job;
  job.now = *parse_timestamp(kNow);
  job.input = json_;
  EXPECT_EQ(ask(socket, cli::encode_statusline_job(job)),
            "ok\nSonnet │ $0.90 today │ 5h 40% ↻1h 0m │ $0.23/h");
  EXPECT_TRUE(ask(socket, "garbage").starts_with("error\n"));

  // What the daemon recorded: the official reading, from the status line.
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_FALSE(std::filesystem::exists(socket));  // removed at exit
  auto ledger = ledger::Ledger::open(dir_ / "ledger.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger) << ledger.error().message;
  auto samples = ledger->limit_samples(std::nullopt);
  ASSERT_TRUE(samples);
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_EQ((*samples)[0].source, "statusline");
  EXPECT_EQ((*samples)[0].used_percent, 40.0);
}

TEST_F(ServeStatusLineTest, FiftyWindowsAtOnceAllGetTheDaemonsLine) {
  auto daemon_owner = start_daemon();
  testing::DaemonProcess& daemon = *daemon_owner;
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  std::string socket = socket_for("ledger.db");
  ASSERT_TRUE(std::filesystem::exists(socket)) << daemon.err();
  testing::append_file(transcript_, request_line("2", "2026-03-02T11:45:00.000Z", 200000));
  std::vector<pid_t> pids;
  for (int i = 0; i < 50; ++i) {
    pids.push_back(testing::spawn_binary({"statusline", "--ledger", dir_ / "ledger.db"}, env(),
                                         dir_ / fmt::format("c{}.out", i),
                                         dir_ / fmt::format("c{}.err", i), dir_ / "stdin.json"));
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(testing::wait_exit_code(pids[i]), 0) << i;
    EXPECT_EQ(testing::slurp(dir_ / fmt::format("c{}.out", i)),
              "Sonnet │ $0.90 today │ 5h 40% ↻1h 0m │ $0.23/h\n")
        << i;
  }
  // One reading recorded, however many windows reported it.
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  auto ledger = ledger::Ledger::open(dir_ / "ledger.db", pricing::PriceTable::embedded());
  ASSERT_TRUE(ledger) << ledger.error().message;
  auto samples = ledger->limit_samples(std::nullopt);
  ASSERT_TRUE(samples);
  EXPECT_EQ(samples->size(), 1u);
}

TEST_F(ServeStatusLineTest, TodayIsTheCallersDayNotTheDaemons) {
  // 09:00 UTC is today in UTC (the daemon's zone) but yesterday on Kiritimati (UTC+14), where
  // it is already 02:00 on March 3rd at noon UTC.
  testing::write_file(transcript_, request_line("0", "2026-03-02T09:00:00.000Z", 100000) +
                                       request_line("1", "2026-03-02T11:30:00.000Z", 100000));
  auto daemon_owner = start_daemon();
  testing::DaemonProcess& daemon = *daemon_owner;
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  std::string socket = socket_for("ledger.db");
  ASSERT_TRUE(std::filesystem::exists(socket)) << daemon.err();
  RunResult kiritimati = statusline("ledger.db", "Pacific/Kiritimati");
  ASSERT_EQ(kiritimati.exit_code, 0) << kiritimati.err;
  EXPECT_TRUE(kiritimati.out.starts_with("Sonnet │ $0.30 today")) << kiritimati.out;
  RunResult utc = statusline("ledger.db", "UTC");
  EXPECT_TRUE(utc.out.starts_with("Sonnet │ $0.60 today")) << utc.out;
}

TEST_F(ServeStatusLineTest, ADeadDaemonsSocketIsPassedOver) {
  // A socket file nobody listens on (its daemon was killed): refused at once.
  std::string socket = socket_for("ledger.db");
  std::filesystem::create_directories(std::filesystem::path(socket).parent_path());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto start = std::chrono::steady_clock::now();
  RunResult r = statusline("ledger.db");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Sonnet │ $0.30 today │ 5h 40% ↻1h 0m │ $0.07/h\n");
}

}  // namespace
}  // namespace ccgauge

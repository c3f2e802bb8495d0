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
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "cli/statusline.h"
#include "core/time.h"
#include "ledger/events.h"
#include "ledger/ledger.h"
#include "ledger/sqlite.h"
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
  job.plan.plan = "custom";
  job.plan.tokens_5h = 88000;
  job.plan.cost_7d = 140.5;
  job.plan_file = "/home/a/.config/ccgauge/config.json";
  job.input = "{\"a\":1}\n{\"b\":2}";
  auto decoded = cli::decode_job(cli::encode_job(job));
  ASSERT_TRUE(decoded) << decoded.error().message;
  auto* back = std::get_if<cli::StatusLineJob>(&*decoded);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->now, job.now);
  EXPECT_EQ(back->timezone, job.timezone);
  EXPECT_TRUE(back->colour);
  EXPECT_EQ(back->format, job.format);
  EXPECT_EQ(back->plan.plan, "custom");
  EXPECT_EQ(back->plan.tokens_5h, 88000);
  EXPECT_FALSE(back->plan.cost_5h);
  EXPECT_FALSE(back->plan.tokens_7d);
  EXPECT_EQ(back->plan.cost_7d, 140.5);
  EXPECT_EQ(back->plan_file, job.plan_file);
  EXPECT_EQ(back->input, job.input);

  cli::HookJob hook{from_epoch_ms(1772452800456), true, "{\"hook_event_name\":\"Stop\"}"};
  auto hook_back = cli::decode_job(cli::encode_job(hook));
  ASSERT_TRUE(hook_back) << hook_back.error().message;
  ASSERT_TRUE(std::holds_alternative<cli::HookJob>(*hook_back));
  EXPECT_EQ(std::get<cli::HookJob>(*hook_back).now, hook.now);
  EXPECT_TRUE(std::get<cli::HookJob>(*hook_back).tool_input);
  EXPECT_EQ(std::get<cli::HookJob>(*hook_back).input, hook.input);

  for (const char* bad : {"", "no newline", "[1]\n{}", "{\"now\":\"x\"}\n{}", "{}\n{}",
                          "{\"kind\":\"other\",\"now\":1}\n{}",
                          "{\"kind\":\"hook\",\"now\":1}\n{}"}) {
    EXPECT_FALSE(cli::decode_job(bad)) << bad;
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
  // (On a saturated machine the daemon's lower-priority ingest thread may not get to the job
  // within its wait, and the command then rightly does the work itself: a few tries.)
  testing::append_file(transcript_, request_line("2", "2026-03-02T11:45:00.000Z", 200000));
  int opens = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(::inotify_add_watch(opens, (dir_ / "ledger.db").c_str(), IN_OPEN), 0);
  RunResult through_daemon;
  char events[4096];
  bool opened = true;
  for (int attempt = 0; attempt < 3 && opened; ++attempt) {
    through_daemon = statusline("ledger.db");
    ASSERT_EQ(through_daemon.exit_code, 0) << through_daemon.err;
    opened = ::read(opens, events, sizeof(events)) > 0;
  }
  EXPECT_FALSE(opened) << "the command opened the ledger";
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
  EXPECT_EQ(ask(socket, cli::encode_job(job)),
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

// `ccgauge hook` through the launcher: handed to the daemon over the socket, which spools and
// records it, without the command opening the ledger; an input too big for the socket goes to
// the full command, stdin and all, and arrives too.
TEST_F(ServeStatusLineTest, HooksGoThroughTheDaemonAndABigOneStillArrives) {
  auto daemon_owner = start_daemon();
  testing::DaemonProcess& daemon = *daemon_owner;
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  ASSERT_TRUE(std::filesystem::exists(socket_for("ledger.db"))) << daemon.err();
  auto hook = [&](const std::string& tool_use_id, std::size_t response_bytes) {
    testing::write_file(
        dir_ / "hook.json",
        R"({"session_id":"s1","hook_event_name":"PostToolUse","cwd":"/w","tool_name":"Read",)"
        R"("tool_use_id":")" + tool_use_id + R"(","tool_input":{"file_path":"/w/a"},)"
        R"("tool_response":")" + std::string(response_bytes, 'x') + R"("})");
    return testing::run_binary({"hook", "--ledger", dir_ / "ledger.db"}, env(), dir_.path(),
                               dir_ / "hook.json");
  };
  int opens = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(::inotify_add_watch(opens, (dir_ / "ledger.db").c_str(), IN_OPEN), 0);
  RunResult small = hook("toolu_small", 100);
  ASSERT_EQ(small.exit_code, 0) << small.err;
  char events[4096];
  EXPECT_LT(::read(opens, events, sizeof(events)), 0) << "the hook opened the ledger";
  ::close(opens);
  RunResult big = hook("toolu_big", 3 << 20);  // over the socket's 1 MiB
  ASSERT_EQ(big.exit_code, 0) << big.err;

  auto recorded = [&] {
    auto db = ledger::Database::open(dir_ / "ledger.db", ledger::Database::Mode::kReadOnly);
    auto stmt = db ? db->prepare("SELECT group_concat(tool_use_id) FROM (SELECT tool_use_id "
                                 "FROM events WHERE tool_use_id != '' ORDER BY tool_use_id)")
                   : Result<ledger::Statement>(tl::unexpected(db.error()));
    if (!stmt || !stmt->step()) {
      return std::string();
    }
    return std::string(stmt->column_text(0));
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (recorded() != "toolu_big,toolu_small" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(recorded(), "toolu_big,toolu_small") << daemon.err();
}

}  // namespace
}  // namespace ccgauge

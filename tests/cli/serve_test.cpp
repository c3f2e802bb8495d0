// `ccgauge serve` end to end: the real binary on a temp Claude config dir. Live events from file
// writes, /usage, /metrics checked by promtool and scraped by a real Prometheus, loopback and
// token rules, clean SIGTERM, and `ccgauge service install`.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/time.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

std::string now_iso() {
  return format_iso_ms(
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
}

std::string assistant_line(const std::string& session, const std::string& id, int input,
                           int output, const std::string& model = "claude-opus-4-6") {
  return fmt::format(
      R"({{"type":"assistant","sessionId":"{}","cwd":"/home/u/app","timestamp":"{}","requestId":"req_{}","message":{{"id":"msg_{}","model":"{}","usage":{{"input_tokens":{},"output_tokens":{}}}}}}})"
      "\n",
      session, now_iso(), id, id, model, input, output);
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// `ccgauge serve` on port 0 with its own ledger and config in `dir`; SIGTERM when destroyed.
class Daemon : public testing::DaemonProcess {
 public:
  Daemon(const TempDir& dir, std::vector<std::string> extra = {})
      : DaemonProcess(dir.path(), arguments(dir, std::move(extra)),
                      {{"CLAUDE_CONFIG_DIR", dir / "claude"},
                       {"HOME", dir.path()},
                       {"CCGAUGE_CONFIG_DIR", dir / "config"},
                       {"CCGAUGE_TOKEN", ""},
                       {"TZ", "UTC"}},
                      std::chrono::seconds(30)) {}

 private:
  static std::vector<std::string> arguments(const TempDir& dir, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--ledger", dir / "ledger.db"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transcript_ = dir_ / "claude/projects/-home-u-app/s1.jsonl";
    testing::write_file(transcript_, assistant_line("s1", "a", 1000, 100));
  }
  TempDir dir_;
  std::string transcript_;
  simdjson::dom::parser parser_;
};

// The live state's "today": the whole quarter hours come from the rollups and the rest from the
// requests; together they must count every request of the day up to a minute past now, once.
TEST(ServeToday, TodaysTotalsJoinTheRollupsAndTheLatestRequestsExactly) {
  TempDir dir;
  auto line = [](const std::string& id, const std::string& ts, int input) {
    return fmt::format(
        R"({{"type":"assistant","sessionId":"s1","cwd":"/home/u/app","timestamp":"{}","requestId":"req_{}","message":{{"id":"msg_{}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{},"output_tokens":0}}}}}})"
        "\n",
        ts, id, id, input);
  };
  // Now is 12:07 UTC: 12:00 starts the quarter hour that is read request by request.
  testing::write_file(dir / "claude/projects/-home-u-app/s1.jsonl",
                      line("y", "2026-03-19T23:59:59.999Z", 1) +    // yesterday
                          line("a", "2026-03-20T00:00:00.000Z", 2) +  // the day's first instant
                          line("b", "2026-03-20T08:00:00.000Z", 4) +
                          line("c", "2026-03-20T11:59:59.999Z", 8) +  // the last whole quarter
                          line("d", "2026-03-20T12:00:00.000Z", 16) +
                          line("e", "2026-03-20T12:07:30.000Z", 32) +  // within a minute ahead
                          line("f", "2026-03-20T12:09:00.000Z", 64));  // further ahead: not yet
  testing::DaemonProcess daemon(dir.path(),
                                {"--listen", "127.0.0.1:0", "--no-otlp", "--ledger", dir / "l.db"},
                                {{"CLAUDE_CONFIG_DIR", dir / "claude"},
                                 {"HOME", dir.path()},
                                 {"CCGAUGE_CONFIG_DIR", dir / "config"},
                                 {"CCGAUGE_NOW", "2026-03-20T12:07:00Z"},
                                 {"CCGAUGE_TOKEN", ""},
                                 {"TZ", "UTC"}},
                                std::chrono::seconds(30));
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  testing::WsClient ws(daemon.port());
  auto snapshot = ws.read();
  ASSERT_TRUE(snapshot);
  simdjson::dom::parser parser;
  simdjson::dom::element today = parser.parse(*snapshot)["today"];
  EXPECT_EQ(int64_t(today["requests"]), 5);
  EXPECT_EQ(int64_t(today["totalTokens"]), 2 + 4 + 8 + 16 + 32);
  // One model, input tokens only: the cost is the day's cost in proportion.
  testing::RunResult daily = testing::run_binary(
      {"daily", "--json", "--since", "20260320", "--until", "20260320", "--ledger", dir / "l.db"},
      {{"CLAUDE_CONFIG_DIR", dir / "claude"}, {"HOME", dir.path()}, {"TZ", "UTC"}}, dir.path());
  ASSERT_EQ(daily.exit_code, 0) << daily.err;
  double day_cost = double(parser.parse(daily.out)["totals"]["totalCost"]);
  EXPECT_NEAR(double(parser.parse(*snapshot)["today"]["costUSD"]), day_cost * 62.0 / 126.0, 1e-12);
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

TEST_F(ServeTest, FileWritesBecomeLiveEventsQuickly) {
  Daemon daemon(dir_);
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  testing::WsClient ws(daemon.port());
  auto snapshot = ws.read();
  ASSERT_TRUE(snapshot);
  simdjson::dom::element snap = parser_.parse(*snapshot);
  EXPECT_EQ(std::string_view(snap["type"]), "snapshot");
  EXPECT_EQ(int64_t(snap["today"]["requests"]), 1);

  // Appends to the existing file, then a new project created after the start.
  std::vector<double> latencies_ms;
  for (int i = 0; i < 20; ++i) {
    auto written = std::chrono::steady_clock::now();
    testing::append_file(transcript_, assistant_line("s1", "n" + std::to_string(i), 10, 20 + i));
    for (;;) {
      auto msg = ws.read_for(5s);
      ASSERT_TRUE(msg) << "no event for write " << i;
      simdjson::dom::element e = parser_.parse(*msg);
      if (std::string_view(e["type"]) == "request") {
        EXPECT_EQ(std::string_view(e["requestId"]), "req_n" + std::to_string(i));
        EXPECT_EQ(std::string_view(e["sessionId"]), "s1");
        EXPECT_EQ(int64_t(e["outputTokens"]), 20 + i);
        latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - written)
                .count());
        break;
      }
    }
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("file write to WebSocket event: median %.2f ms, max %.2f ms\n",
              latencies_ms[latencies_ms.size() / 2], latencies_ms.back());
  EXPECT_LT(latencies_ms[latencies_ms.size() / 2], 250.0);

  testing::write_file(dir_ / "claude/projects/-home-u-new/s2.jsonl",
                      assistant_line("s2", "b", 5, 5, "claude-sonnet-4-5"));
  bool started = false;
  bool request = false;
  while (!(started && request)) {
    auto msg = ws.read_for(5s);
    ASSERT_TRUE(msg) << "new project not seen";
    simdjson::dom::element e = parser_.parse(*msg);
    std::string_view type = e["type"];
    started = started || (type == "session_start" && std::string_view(e["sessionId"]) == "s2");
    request = request || (type == "request" && std::string_view(e["sessionId"]) == "s2");
  }
  EXPECT_EQ(daemon.stop(), 0);
}

TEST_F(ServeTest, UsageContractAndFilteredSubscriptions) {
  Daemon daemon(dir_);
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  testing::HttpClient http(daemon.port());
  auto usage = http.get("/usage");
  ASSERT_EQ(usage.status, 200);
  EXPECT_LE(usage.body.size(), 1024u);
  EXPECT_EQ(usage.header("cache-control"), "no-store");
  simdjson::dom::element u = parser_.parse(usage.body);
  EXPECT_EQ(int64_t(u["schema"]), 1);
  EXPECT_EQ(std::string_view(u["five_hour"]["pct_source"]), "local_estimate");
  EXPECT_EQ(int64_t(u["five_hour"]["used_tokens"]), 1100);
  EXPECT_EQ(std::string_view(u["model"]), "opus");
  for (const char* key : {"seq", "generated_at", "poll_hint_ms", "seven_day", "tpm", "model_id",
                          "flags", "source_age_s", "rate_1m", "window_5h_pct", "last_model",
                          "hot", "warn", "stall", "idle", "updated_at"}) {
    EXPECT_EQ(u[key].error(), simdjson::SUCCESS) << key;
  }

  // A client that wants only sonnet requests of at least 100 tokens.
  testing::WsClient ws(daemon.port());
  ASSERT_TRUE(ws.read());  // snapshot
  ws.send(R"({"subscribe":{"types":["request"],"models":["claude-sonnet-4-5"],"min_tokens":100}})");
  auto ack = ws.read();
  ASSERT_TRUE(ack);
  EXPECT_NE(ack->find("subscribed"), std::string::npos);
  testing::append_file(transcript_, assistant_line("s1", "x1", 10, 10, "claude-opus-4-6"));
  testing::append_file(transcript_, assistant_line("s1", "x2", 10, 10, "claude-sonnet-4-5"));
  testing::append_file(transcript_, assistant_line("s1", "x3", 100, 10, "claude-sonnet-4-5"));
  auto msg = ws.read_for(5s);
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find("req_x3"), std::string::npos) << *msg;
}

TEST_F(ServeTest, MetricsPassPromtoolAndARealPrometheusScrapesThem) {
  Daemon daemon(dir_);
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  testing::HttpClient http(daemon.port());
  auto metrics = http.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                "ccgauge_tokens_total{type=\"input\",model=\"claude-opus-4-6\",project=\"/home/"
                "u/app\"} 1000"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("ccgauge_limit_used_percent{window=\"five_hour\""),
            std::string::npos);
  testing::write_file(dir_ / "metrics.txt", metrics.body);
  std::string check = fmt::format("promtool check metrics < {} > {} 2>&1", dir_ / "metrics.txt",
                                  dir_ / "promtool.txt");
  EXPECT_EQ(std::system(check.c_str()), 0) << testing::slurp(dir_ / "promtool.txt");

  // A real Prometheus scrapes the daemon every second; a PromQL query sees the requests.
  std::uint16_t prom_port = free_port();
  testing::write_file(dir_ / "prometheus.yml",
                      fmt::format("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                                  "  - job_name: ccgauge\n    static_configs:\n"
                                  "      - targets: ['127.0.0.1:{}']\n",
                                  daemon.port()));
  pid_t prom = ::fork();
  if (prom == 0) {
    std::string config = "--config.file=" + (dir_ / "prometheus.yml");
    std::string storage = "--storage.tsdb.path=" + (dir_ / "prom-data");
    std::string listen = fmt::format("--web.listen-address=127.0.0.1:{}", prom_port);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execlp("prometheus", "prometheus", config.c_str(), storage.c_str(), listen.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string answer;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    try {
      testing::HttpClient client(prom_port, 2s);
      auto r = client.get("/api/v1/query?query=sum(ccgauge_requests_total)");
      if (r.status == 200 && r.body.find("\"result\":[{") != std::string::npos) {
        answer = r.body;
        break;
      }
    } catch (const std::exception&) {
      // Prometheus is still starting.
    }
  }
  ::kill(prom, SIGTERM);
  testing::wait_exit_code(prom);
  ASSERT_FALSE(answer.empty()) << "Prometheus never answered the query";
  EXPECT_NE(answer.find("\"1\"]"), std::string::npos) << answer;  // one request so far
}

TEST_F(ServeTest, LoopbackByDefaultAndTokensOffIt) {
  // Off loopback without a token: refused at start.
  testing::RunResult refused = testing::run_binary(
      {"serve", "--listen", "0.0.0.0:0", "--ledger", dir_ / "ledger.db"},
      {{"CLAUDE_CONFIG_DIR", dir_ / "claude"}, {"HOME", dir_.path()}, {"CCGAUGE_TOKEN", ""}},
      dir_.path());
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("token"), std::string::npos) << refused.err;

  // With a token every route but health needs it.
  Daemon daemon(dir_, {"--token", "s3cret"});
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  testing::HttpClient http(daemon.port());
  EXPECT_EQ(http.get("/usage").status, 401);
  EXPECT_EQ(http.get("/metrics").status, 401);
  EXPECT_EQ(http.get("/api/v1/health").status, 200);
  EXPECT_EQ(http.get("/usage", {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(http.get("/usage", {{"Authorization", "Bearer wrong"}}).status, 401);
}

TEST_F(ServeTest, SigtermStopsCleanlyWithNothingLost) {
  Daemon daemon(dir_);
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  std::string lines;
  for (int i = 0; i < 3000; ++i) {
    lines += assistant_line("s1", "bulk" + std::to_string(i), 1, 1);
  }
  testing::append_file(transcript_, lines);
  EXPECT_EQ(daemon.stop(), 0);
  EXPECT_NE(daemon.err().find("SIGTERM received"), std::string::npos);
  // Whatever the daemon had not read is read by the next command, once.
  testing::RunResult daily = testing::run_binary(
      {"daily", "--json", "--ledger", dir_ / "ledger.db"},
      {{"CLAUDE_CONFIG_DIR", dir_ / "claude"}, {"HOME", dir_.path()}}, dir_.path());
  ASSERT_EQ(daily.exit_code, 0) << daily.err;
  simdjson::dom::element totals = parser_.parse(daily.out)["totals"];
  EXPECT_EQ(int64_t(totals["inputTokens"]), 1000 + 3000);
}

TEST(ServiceTest, InstallWritesTheUnitFromDeploy) {
  TempDir dir;
  testing::RunResult r = testing::run_binary(
      {"service", "install", "--no-start", "--listen", "127.0.0.1:9999"},
      {{"HOME", dir.path()}, {"XDG_CONFIG_HOME", ""}, {"CLAUDE_CONFIG_DIR", "/data/claude"}},
      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string unit = testing::slurp(dir / ".config/systemd/user/ccgauge.service");
  EXPECT_NE(unit.find(fmt::format("ExecStart={} serve --listen 127.0.0.1:9999", CCG_BINARY)),
            std::string::npos)
      << unit;
  EXPECT_NE(unit.find("Environment=CLAUDE_CONFIG_DIR=/data/claude"), std::string::npos) << unit;
  EXPECT_NE(unit.find("WantedBy=default.target"), std::string::npos);
  // systemd's own checker accepts it (when systemd-analyze is installed).
  if (std::system("command -v systemd-analyze > /dev/null 2>&1") == 0) {
    std::string verify = fmt::format(
        "systemd-analyze verify --user {} > {} 2>&1", dir / ".config/systemd/user/ccgauge.service",
        dir / "verify.txt");
    int rc = std::system(verify.c_str());
    std::string out = testing::slurp(dir / "verify.txt");
    // Without a user bus, systemd-analyze may not run at all; a unit error names the file.
    EXPECT_TRUE(rc == 0 || out.find("ccgauge.service:") == std::string::npos) << out;
  }
  testing::RunResult removed = testing::run_binary(
      {"service", "uninstall"}, {{"HOME", dir.path()}, {"XDG_CONFIG_HOME", ""}}, dir.path());
  EXPECT_EQ(removed.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / ".config/systemd/user/ccgauge.service"));
}

}  // namespace
}  // namespace ccgauge

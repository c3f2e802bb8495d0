// The daemon's OTLP receivers end to end: the real ccgauge binary, the real OpenTelemetry JS SDK
// and its six OTLP exporters from npm (tests/otlp-clients/, installed once into the build
// directory with `npm ci`), gRPC and raw HTTP clients for the status codes, and the reports that
// read what arrived (`ccgauge daily --json`, `ccgauge activity --json`).

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>
#include <zlib.h>

#include "cli/otlp_receiver.h"
#include "core/time.h"
#include "ledger/sqlite.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "tests/ingest/otlp_payloads.h"
#include "tests/support/http_client.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
namespace pb = testing::otlp;

// ---- the npm clients --------------------------------------------------------------------------

std::string build_dir() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
}

// Runs a shell command; its exit code and combined output.
std::pair<int, std::string> shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) {
    output.append(buffer, n);
  }
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// Installs tests/otlp-clients into <build>/otlp-clients once (`npm ci`, pinned by the lock
// file); later runs reuse it while the lock file is unchanged. Several test processes may race
// here: an flock serializes them. Empty when ready, else why not (skip_reason set when npm could
// not reach the registry, which is the only reason to skip).
struct NpmClients {
  std::string dir;
  std::string failure;
  std::string skip_reason;
};

const NpmClients& npm_clients() {
  static const NpmClients clients = [] {
    NpmClients c;
    c.dir = build_dir() + "/otlp-clients";
    std::string source = std::string(CCG_SOURCE_DIR) + "/tests/otlp-clients";
    std::filesystem::create_directories(c.dir);
    int lock = ::open((c.dir + "/.install.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ::flock(lock, LOCK_EX);
    // Other test processes may be running node from this directory: a file is replaced by a
    // rename, never rewritten in place, and only when it changed.
    for (const char* file : {"package.json", "package-lock.json", "send.js"}) {
      std::string from = source + "/" + file;
      std::string to = c.dir + "/" + file;
      if (testing::slurp(from) == testing::slurp(to)) continue;
      std::filesystem::copy_file(from, to + ".new",
                                 std::filesystem::copy_options::overwrite_existing);
      std::filesystem::rename(to + ".new", to);
    }
    std::string stamp = c.dir + "/node_modules/.ccgauge-installed-lock";
    if (testing::slurp(stamp) != testing::slurp(c.dir + "/package-lock.json")) {
      if (shell("command -v node && command -v npm").first != 0) {
        c.skip_reason = "node and npm are not installed";
      } else {
        auto [code, output] = shell("cd " + shell_quote(c.dir) +
                                    " && npm ci --ignore-scripts --no-audit --no-fund");
        if (code != 0) {
          bool offline = std::regex_search(
              output, std::regex("ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|"
                                 "ENETUNREACH|network"));
          (offline ? c.skip_reason : c.failure) = "npm ci failed:\n" + output;
        } else {
          std::filesystem::copy_file(c.dir + "/package-lock.json", stamp,
                                     std::filesystem::copy_options::overwrite_existing);
        }
      }
    }
    ::flock(lock, LOCK_UN);
    ::close(lock);
    return c;
  }();
  return clients;
}

#define CCG_REQUIRE_NPM_CLIENTS()                                                          \
  do {                                                                                     \
    const NpmClients& npm = npm_clients();                                                 \
    if (!npm.skip_reason.empty()) GTEST_SKIP() << "OTLP JS clients: " << npm.skip_reason; \
    ASSERT_TRUE(npm.failure.empty()) << npm.failure;                                       \
  } while (0)

// ---- the daemon ---------------------------------------------------------------------------------

// `ccgauge serve` on port 0s with both OTLP receivers; stopped (SIGTERM) when destroyed.
class Daemon {
 public:
  Daemon(const TempDir& dir, std::vector<std::string> extra = {}) : dir_(dir) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--otlp-grpc",
                                     "127.0.0.1:0", "--otlp-http", "127.0.0.1:0", "--ledger",
                                     dir / "ledger.db"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::filesystem::create_directories(dir / "claude/projects");
    pid_ = testing::spawn_binary(args, environment(dir), dir / "serve.out", dir / "serve.err");
    std::regex api(R"(listening on http://127\.0\.0\.1:(\d+))");
    std::regex grpc(R"(otlp grpc on 127\.0\.0\.1:(\d+))");
    std::regex http(R"(otlp http on http://127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string out = testing::slurp(dir / "serve.out");
      std::smatch a, g, h;
      if (std::regex_search(out, a, api) && std::regex_search(out, g, grpc) &&
          std::regex_search(out, h, http)) {
        api_port_ = static_cast<std::uint16_t>(std::stoi(a[1]));
        grpc_port_ = static_cast<std::uint16_t>(std::stoi(g[1]));
        http_port_ = static_cast<std::uint16_t>(std::stoi(h[1]));
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      stop();
    }
  }
  int stop() {
    ::kill(pid_, SIGTERM);
    int rc = testing::wait_exit_code(pid_);
    pid_ = -1;
    return rc;
  }
  static std::vector<std::pair<std::string, std::string>> environment(const TempDir& dir) {
    return {{"CLAUDE_CONFIG_DIR", dir / "claude"},
            {"HOME", dir.path()},
            {"CCGAUGE_CONFIG_DIR", dir / "config"},
            {"CCGAUGE_TOKEN", ""},
            {"CCGAUGE_NOW", ""},
            {"TZ", "UTC"}};
  }
  bool ready() const { return http_port_ != 0; }
  std::uint16_t grpc_port() const { return grpc_port_; }
  std::uint16_t http_port() const { return http_port_; }
  std::string err() const { return testing::slurp(dir_ / "serve.err"); }
  std::string out() const { return testing::slurp(dir_ / "serve.out"); }

 private:
  const TempDir& dir_;
  pid_t pid_ = -1;
  std::uint16_t api_port_ = 0;
  std::uint16_t grpc_port_ = 0;
  std::uint16_t http_port_ = 0;
};

// ---- helpers ------------------------------------------------------------------------------------

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t count(const std::string& ledger_path, const std::string& sql) {
  auto db = ledger::Database::open(ledger_path, ledger::Database::Mode::kReadOnly);
  if (!db) {
    return -1;
  }
  auto stmt = db->prepare(sql);
  if (!stmt) {
    return -1;  // the schema is not there yet
  }
  std::int64_t n = -1;
  (void)stmt->for_each_row([&] { n = stmt->column_int(0); });
  return n;
}

// Waits until `sql` counts `expected` (the ingest thread commits asynchronously).
bool wait_for_count(const std::string& ledger_path, const std::string& sql, std::int64_t expected,
                    std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count(ledger_path, sql) == expected) {
      return true;
    }
    std::this_thread::sleep_for(25ms);
  }
  return count(ledger_path, sql) == expected;
}

std::string gzip(std::string_view data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// An OTLP/protobuf logs request: `good` api_request events and `bad` ones with unreadable
// tokens, request ids req_<prefix>_<i>.
std::string logs_request(const std::string& prefix, int good, int bad = 0,
                         std::int64_t ts_ms = now_ms()) {
  pb::pb_collector_logs::ExportLogsServiceRequest request;
  auto* rl = request.add_resource_logs();
  pb::add_attrs(rl->mutable_resource()->mutable_attributes(), pb::claude_resource());
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("com.anthropic.claude_code.events");
  for (int i = 0; i < good + bad; ++i) {
    auto* record = sl->add_log_records();
    record->set_time_unix_nano(static_cast<std::uint64_t>(ts_ms) * 1'000'000);
    record->mutable_body()->set_string_value("claude_code.api_request");
    std::vector<pb::Attr> attrs = {
        pb::S("event.name", "api_request"), pb::S("session.id", "raw-session"),
        pb::I("event.sequence", i), pb::S("model", "claude-sonnet-4-5"),
        pb::S("request_id", fmt::format("req_{}_{}", prefix, i)), pb::I("output_tokens", 10)};
    attrs.push_back(i < good ? pb::I("input_tokens", 100) : pb::S("input_tokens", "lots"));
    pb::add_attrs(record->mutable_attributes(), attrs);
  }
  return request.SerializeAsString();
}

const testing::Headers kProtobuf = {{"Content-Type", "application/x-protobuf"}};

// A JSON number of either kind as a double.
double num(simdjson::dom::element e) {
  if (e.is_int64()) {
    return static_cast<double>(int64_t(e));
  }
  if (e.is_uint64()) {
    return static_cast<double>(uint64_t(e));
  }
  return double(e);
}

// ---- tests ------------------------------------------------------------------------------------

struct Client {
  const char* protocol;
  const char* compression;
};

void PrintTo(const Client& c, std::ostream* out) { *out << c.protocol << " " << c.compression; }

class OtlpRealClients : public ::testing::TestWithParam<Client> {
 protected:
  // Runs send.js with these options (protocol and endpoint filled in); its parsed output.
  simdjson::dom::element send(const Daemon& daemon, std::string options_json) {
    const NpmClients& npm = npm_clients();
    bool grpc = std::string_view(GetParam().protocol) == "grpc";
    std::string endpoint = fmt::format("http://127.0.0.1:{}", grpc ? daemon.grpc_port()
                                                                   : daemon.http_port());
    std::string options = fmt::format(R"({{"protocol":"{}","compression":"{}","endpoint":"{}",)",
                                      GetParam().protocol, GetParam().compression, endpoint) +
                          options_json.substr(1);
    auto [code, output] =
        shell("cd " + shell_quote(npm.dir) + " && node send.js " + shell_quote(options));
    EXPECT_EQ(code, 0) << output;
    return parse(output);
  }

  // Each document gets a parser of its own, so elements of earlier ones stay valid.
  simdjson::dom::element parse(std::string text) {
    outputs_.push_back(std::move(text));
    return parsers_.emplace_back().parse(outputs_.back());
  }

  testing::RunResult ccgauge(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(dir_ / "ledger.db");
    return testing::run_binary(args, Daemon::environment(dir_), dir_.path());
  }

  simdjson::dom::element json_of(const testing::RunResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse(r.out);
  }

  TempDir dir_;
  std::deque<std::string> outputs_;  // parsed documents point into these
  std::deque<simdjson::dom::parser> parsers_;
};

TEST_P(OtlpRealClients, ClaudeCodeShapedEventsAndMetricsReachTheLedgerAndTheReports) {
  CCG_REQUIRE_NPM_CLIENTS();
  Daemon daemon(dir_);
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  simdjson::dom::element result =
      send(daemon, R"({"prefix":"a","requests":6,"badRecords":1,"session":"sess-a"})");
  for (simdjson::dom::element e : result["exports"].get_array()) {
    EXPECT_EQ(int64_t(e["code"]), 0) << simdjson::to_string(e);
  }
  EXPECT_GE(result["exports"].get_array().size(), 2u);  // logs, metrics
  // The bad record came back in partial_success, which the exporter logs.
  simdjson::dom::array partial = result["partialSuccess"];
  ASSERT_EQ(partial.size(), 1u) << simdjson::to_string(result);
  std::string_view partial_line = partial.at(0);
  EXPECT_NE(partial_line.find("rejectedLogRecords"), std::string_view::npos);
  EXPECT_NE(partial_line.find("unreadable input_tokens"), std::string_view::npos);

  simdjson::dom::element sent = result["sent"];
  std::string ledger = dir_ / "ledger.db";
  ASSERT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests WHERE source = 'otlp'", 6));
  ASSERT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM events WHERE source = 'otlp'",
                             int64_t(sent["events"]) - 1));
  ASSERT_TRUE(wait_for_count(
      ledger, "SELECT count(*) FROM metric_points WHERE name = 'claude_code.commit.count'", 1));

  // ccgauge daily --json totals are exactly the api_request events' tokens and cost.
  simdjson::dom::element totals = json_of(ccgauge({"daily", "--json"}))["totals"];
  EXPECT_EQ(int64_t(totals["inputTokens"]), int64_t(sent["input"]));
  EXPECT_EQ(int64_t(totals["outputTokens"]), int64_t(sent["output"]));
  EXPECT_EQ(int64_t(totals["cacheReadTokens"]), int64_t(sent["cacheRead"]));
  EXPECT_EQ(int64_t(totals["cacheCreationTokens"]), int64_t(sent["cacheCreation"]));
  EXPECT_NEAR(num(totals["totalCost"]), num(sent["costUsd"]), 1e-9);
  // The same through the host and user filters; nothing for someone else.
  for (std::vector<std::string> filter : {std::vector<std::string>{"--host", "devbox"},
                                          {"--user", "dev@example.com"},
                                          {"--user", "acct-uuid"}}) {
    std::vector<std::string> args = {"daily", "--json"};
    args.insert(args.end(), filter.begin(), filter.end());
    EXPECT_EQ(int64_t(json_of(ccgauge(args))["totals"]["inputTokens"]), int64_t(sent["input"]))
        << filter[0] << " " << filter[1];
  }
  EXPECT_EQ(json_of(ccgauge({"daily", "--json", "--host", "elsewhere"}))["daily"]
                .get_array()
                .size(),
            0u);

  // ccgauge activity --json: lines, commits, PRs, active time, decisions, results, errors.
  simdjson::dom::element activity = json_of(ccgauge({"activity", "--json"}))["totals"];
  EXPECT_EQ(num(activity["linesAdded"]), num(sent["linesAdded"]));
  EXPECT_EQ(num(activity["linesRemoved"]), num(sent["linesRemoved"]));
  EXPECT_EQ(num(activity["commits"]), num(sent["commits"]));
  EXPECT_EQ(num(activity["pullRequests"]), num(sent["pullRequests"]));
  EXPECT_EQ(num(activity["activeUserSeconds"]), num(sent["activeUser"]));
  EXPECT_EQ(num(activity["activeCliSeconds"]), num(sent["activeCli"]));
  EXPECT_EQ(int64_t(activity["toolDecisions"]["accept"]), int64_t(sent["toolAccept"]));
  EXPECT_EQ(int64_t(activity["toolDecisions"]["reject"]), int64_t(sent["toolReject"]));
  EXPECT_EQ(num(activity["editDecisions"]["accept"]), 1.0);
  EXPECT_EQ(int64_t(activity["toolResults"]), 2);
  EXPECT_EQ(int64_t(activity["toolFailures"]), 1);  // success sent as the bool false
  EXPECT_EQ(int64_t(activity["apiErrors"]), int64_t(sent["apiErrors"]));
  EXPECT_EQ(int64_t(activity["prompts"]), 1);
  simdjson::dom::array by_tool = json_of(ccgauge({"activity", "--json", "--by", "tool"}))["activity"];
  std::vector<std::string> tools;
  for (simdjson::dom::element row : by_tool) {
    tools.emplace_back(std::string_view(row["tool"]));
  }
  EXPECT_EQ(tools, (std::vector<std::string>{"(none)", "Bash", "Edit", "Read"}));
  simdjson::dom::array by_project =
      json_of(ccgauge({"activity", "--json", "--by", "project"}))["activity"];
  ASSERT_EQ(by_project.size(), 1u);
  EXPECT_EQ(std::string_view(by_project.at(0)["project"]), "ccgauge");  // the repo attribute

  // Numbers sent as numbers and as strings (§1.6) read the same: all six requests priced from
  // their reported cost, none lost.
  EXPECT_EQ(count(ledger, "SELECT count(*) FROM requests WHERE reported_cost IS NOT NULL"), 6);
  EXPECT_EQ(count(ledger, "SELECT count(*) FROM requests WHERE host = 'devbox' AND "
                          "user = 'dev@example.com'"),
            6);
}

TEST_P(OtlpRealClients, CumulativeMetricsCountEachIncreaseOnce) {
  CCG_REQUIRE_NPM_CLIENTS();
  Daemon daemon(dir_);
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  simdjson::dom::element sent =
      send(daemon, R"({"signals":["metrics"],"temporality":"cumulative"})")["sent"];
  EXPECT_EQ(num(sent["linesAdded"]), 20.0);
  std::string ledger = dir_ / "ledger.db";
  ASSERT_TRUE(wait_for_count(ledger,
                             "SELECT sum(value) FROM metric_points WHERE "
                             "name = 'claude_code.lines_of_code.count' AND type = 'added'",
                             20));
  simdjson::dom::element activity = json_of(ccgauge({"activity", "--json"}))["totals"];
  EXPECT_EQ(num(activity["linesAdded"]), 20.0);
  EXPECT_EQ(num(activity["commits"]), 2.0);
  EXPECT_EQ(num(activity["activeCliSeconds"]), 60.5);
  EXPECT_EQ(num(activity["sessions"]), 1.0);
}

// The transcript lines of the requests send.js reports for prefix `prefix` (same request ids
// and tokens), in session `session`.
std::string transcript_lines(const std::string& prefix, const std::string& session, int requests,
                             std::int64_t ts_ms) {
  std::string out;
  for (int i = 0; i < requests; ++i) {
    out += fmt::format(
        R"({{"type":"assistant","sessionId":"{}","cwd":"/home/dev/app","timestamp":"{}","requestId":"req_{}_{}","message":{{"id":"msg_{}_{}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{},"output_tokens":{},"cache_read_input_tokens":{},"cache_creation_input_tokens":{}}}}}}})"
        "\n",
        session, format_iso_ms(from_epoch_ms(ts_ms)), prefix, i, prefix, i, 100 + i, 50 + 2 * i,
        1000 + 10 * i, 200 + i);
  }
  return out;
}

TEST_P(OtlpRealClients, ARequestInATranscriptAndInOtlpCountsOnceInEitherOrder) {
  CCG_REQUIRE_NPM_CLIENTS();
  std::int64_t ts = now_ms() - 5'000;
  std::string ledger = dir_ / "ledger.db";
  std::string transcript_a = dir_ / "claude/projects/-home-dev-app/sess-a.jsonl";
  std::string transcript_b = dir_ / "claude/projects/-home-dev-app/sess-b.jsonl";
  // Order 1: the transcript is there first.
  testing::write_file(transcript_a, transcript_lines("a", "sess-a", 4, ts));
  Daemon daemon(dir_);
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  ASSERT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests", 4));
  send(daemon, fmt::format(R"({{"prefix":"a","requests":4,"session":"sess-a","timestampMs":{}}})",
                           ts + 3'000));
  ASSERT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM events WHERE name = 'api_request'", 4));
  // Order 2: OTLP first, the transcript after.
  send(daemon, fmt::format(R"({{"prefix":"b","requests":4,"session":"sess-b","timestampMs":{}}})",
                           ts + 3'000));
  ASSERT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests WHERE source = 'otlp'", 4));
  testing::write_file(transcript_b, transcript_lines("b", "sess-b", 4, ts));
  ASSERT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests WHERE source = 'otlp'", 0));

  EXPECT_EQ(count(ledger, "SELECT count(*) FROM requests"), 8);
  // Every row is the transcript's (its message id and project) with the OTLP sender kept.
  EXPECT_EQ(count(ledger, "SELECT count(*) FROM requests WHERE source = 'transcript' AND "
                          "message_id != '' AND project = '/home/dev/app' AND host = 'devbox' AND "
                          "origin IS NOT NULL"),
            8);
  // Both orders gave the same report.
  simdjson::dom::array sessions = json_of(ccgauge({"session", "--json"}))["sessions"];
  ASSERT_EQ(sessions.size(), 2u);
  for (simdjson::dom::element s : sessions) {
    EXPECT_EQ(int64_t(s["inputTokens"]), 4 * 100 + 6) << simdjson::to_string(s);
    EXPECT_EQ(int64_t(s["outputTokens"]), 4 * 50 + 12) << simdjson::to_string(s);
    EXPECT_EQ(int64_t(s["cacheReadTokens"]), 4 * 1000 + 60);
    EXPECT_EQ(int64_t(s["cacheCreationTokens"]), 4 * 200 + 6);
  }
}

TEST_P(OtlpRealClients, WithATokenEveryExportNeedsIt) {
  CCG_REQUIRE_NPM_CLIENTS();
  Daemon daemon(dir_, {"--token", "s3cret"});
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  simdjson::dom::element refused = send(daemon, R"({"signals":["logs"],"requests":1})");
  ASSERT_EQ(refused["exports"].get_array().size(), 1u);
  EXPECT_NE(int64_t(refused["exports"].at(0)["code"]), 0);
  simdjson::dom::element accepted =
      send(daemon, R"({"signals":["logs"],"requests":1,"token":"s3cret","prefix":"t"})");
  EXPECT_EQ(int64_t(accepted["exports"].at(0)["code"]), 0) << simdjson::to_string(accepted);
  EXPECT_TRUE(wait_for_count(dir_ / "ledger.db", "SELECT count(*) FROM requests", 1));
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtlpRealClients,
                         ::testing::Values(Client{"grpc", "none"}, Client{"grpc", "gzip"},
                                           Client{"http/protobuf", "none"},
                                           Client{"http/protobuf", "gzip"},
                                           Client{"http/json", "none"},
                                           Client{"http/json", "gzip"}),
                         [](const ::testing::TestParamInfo<Client>& info) {
                           std::string name = std::string(info.param.protocol) + "_" +
                                              info.param.compression;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// ---- status codes, with raw clients ---------------------------------------------------------

class OtlpStatus : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(OtlpStatus, HttpAnswersAsTheSpecSays) {
  Daemon daemon(dir_, {"--otlp-max-body", "65536"});
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  testing::HttpClient http(daemon.http_port());
  std::string ledger = dir_ / "ledger.db";

  // 200 with partial_success for the records we could not use, in the request's encoding.
  auto ok = http.request("POST", "/v1/logs", logs_request("p", 2, 1), kProtobuf);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("content-type"), "application/x-protobuf");
  pb::pb_collector_logs::ExportLogsServiceResponse response;
  ASSERT_TRUE(response.ParseFromString(ok.body));
  EXPECT_EQ(response.partial_success().rejected_log_records(), 1);
  EXPECT_NE(response.partial_success().error_message().find("input_tokens"), std::string::npos);
  EXPECT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests", 2));

  // gzip bodies; an empty request is a success with an empty response.
  auto gz = http.request("POST", "/v1/logs", gzip(logs_request("g", 3)),
                         {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(gz.status, 200) << gz.body;
  EXPECT_TRUE(gz.body.empty());  // no partial_success
  EXPECT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests", 5));
  auto json = http.request("POST", "/v1/metrics", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(json.body, "{}");
  auto traces = http.request("POST", "/v1/traces", "", kProtobuf);
  EXPECT_EQ(traces.status, 200);

  // 400 only for bodies we cannot decode, with a google.rpc.Status.
  auto garbage = http.request("POST", "/v1/logs", "\x0a\xff\xff\xff", kProtobuf);
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.header("content-type"), "application/x-protobuf");
  auto bad_json = http.request("POST", "/v1/logs", "[1,2", {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("\"code\":3"), std::string::npos) << bad_json.body;
  auto corrupt_gzip = http.request("POST", "/v1/logs", "\x1f\x8b garbage",
                                   {{"Content-Type", "application/json"},
                                    {"Content-Encoding", "gzip"}});
  EXPECT_EQ(corrupt_gzip.status, 400);

  // 413 over the bound, compressed or inflated.
  auto big = http.request("POST", "/v1/logs", std::string(70'000, 'x'), kProtobuf);
  EXPECT_EQ(big.status, 413);
  testing::HttpClient http2(daemon.http_port());
  auto bomb = http2.request("POST", "/v1/logs", gzip(std::string(1 << 20, ' ')),
                            {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(bomb.status, 413) << bomb.body;

  // 415 for what we do not speak.
  auto text = http2.request("POST", "/v1/logs", "hi", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 415);
  auto brotli = http2.request("POST", "/v1/logs", "hi",
                              {{"Content-Type", "application/json"}, {"Content-Encoding", "br"}});
  EXPECT_EQ(brotli.status, 415);
  EXPECT_EQ(http2.get("/v1/logs").status, 405);
  EXPECT_EQ(http2.request("POST", "/v1/profiles", "", kProtobuf).status, 404);
  EXPECT_EQ(count(ledger, "SELECT count(*) FROM requests"), 5);
}

TEST_F(OtlpStatus, AFullSinkAnswers429WithRetryAfterAndResourceExhaustedWithRetryInfo) {
  Daemon daemon(dir_, {"--otlp-max-pending", "1"});
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  std::string ledger = dir_ / "ledger.db";
  // Hold the ledger's write lock, so the ingest thread cannot commit and the sink fills.
  auto blocker = ledger::Database::open(ledger, ledger::Database::Mode::kReadWrite);
  ASSERT_TRUE(blocker);
  ASSERT_TRUE(blocker->exec("BEGIN IMMEDIATE"));
  testing::HttpClient http(daemon.http_port());
  int accepted = 0;
  testing::HttpResult refused;
  for (int i = 0; i < 5 && refused.status != 429; ++i) {
    auto r = http.request("POST", "/v1/logs", logs_request(fmt::format("f{}", i), 1), kProtobuf);
    if (r.status == 200) {
      ++accepted;
    } else {
      refused = r;
    }
  }
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("retry-after"), "1");
  EXPECT_GE(accepted, 1);

  // gRPC: RESOURCE_EXHAUSTED, with a google.rpc.RetryInfo in the status details. The ingest
  // thread may still take what the sink holds into its one refused batch (on a loaded machine
  // it wakes late), leaving room for one more export: that one is accepted, and counted.
  auto channel = grpc::CreateChannel(fmt::format("127.0.0.1:{}", daemon.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = pb::pb_collector_logs::LogsService::NewStub(channel);
  grpc::Status status;
  for (int i = 0; i < 3 && status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED; ++i) {
    pb::pb_collector_logs::ExportLogsServiceRequest request;
    ASSERT_TRUE(request.ParseFromString(logs_request(fmt::format("g{}", i), 1)));
    pb::pb_collector_logs::ExportLogsServiceResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 5s);
    status = stub->Export(&context, request, &response);
    accepted += status.ok() ? 1 : 0;
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(status.error_details(), cli::rpc_status_bytes(8, status.error_message(), 1));
  EXPECT_NE(status.error_details().find("type.googleapis.com/google.rpc.RetryInfo"),
            std::string::npos);

  // Released, the ingest thread commits what was accepted; nothing accepted is lost.
  ASSERT_TRUE(blocker->exec("ROLLBACK"));
  EXPECT_TRUE(wait_for_count(ledger, "SELECT count(*) FROM requests", accepted));
}

TEST_F(OtlpStatus, GrpcChecksTheTokenAndReportsPartialSuccess) {
  Daemon daemon(dir_, {"--token", "s3cret"});
  ASSERT_TRUE(daemon.ready()) << daemon.err();
  auto channel = grpc::CreateChannel(fmt::format("127.0.0.1:{}", daemon.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = pb::pb_collector_logs::LogsService::NewStub(channel);
  pb::pb_collector_logs::ExportLogsServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(logs_request("k", 2, 1)));
  {
    grpc::ClientContext context;
    pb::pb_collector_logs::ExportLogsServiceResponse response;
    grpc::Status status = stub->Export(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer wrong");
    pb::pb_collector_logs::ExportLogsServiceResponse response;
    EXPECT_EQ(stub->Export(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer s3cret");
  pb::pb_collector_logs::ExportLogsServiceResponse response;
  grpc::Status status = stub->Export(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.partial_success().rejected_log_records(), 1);
  EXPECT_TRUE(wait_for_count(dir_ / "ledger.db", "SELECT count(*) FROM requests", 2));
  // OTLP/HTTP under the same token.
  testing::HttpClient http(daemon.http_port());
  EXPECT_EQ(http.request("POST", "/v1/logs", "", kProtobuf).status, 401);
  EXPECT_EQ(http.request("POST", "/v1/logs", "",
                         {{"Content-Type", "application/x-protobuf"},
                          {"Authorization", "Bearer s3cret"}})
                .status,
            200);
}

TEST_F(OtlpStatus, NoOtlpAndABusyExplicitPort) {
  {
    std::filesystem::create_directories(dir_ / "claude/projects");
    pid_t pid = testing::spawn_binary(
        {"serve", "--listen", "127.0.0.1:0", "--no-otlp", "--ledger", dir_ / "ledger.db"},
        Daemon::environment(dir_), dir_ / "noop.out", dir_ / "noop.err");
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (testing::slurp(dir_ / "noop.out").find("gauge") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    ::kill(pid, SIGTERM);
    EXPECT_EQ(testing::wait_exit_code(pid), 0);
    EXPECT_EQ(testing::slurp(dir_ / "noop.out").find("otlp"), std::string::npos);
  }
  // An explicit address that is taken is an error, not a silent skip.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::listen(fd, 1);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  testing::RunResult r = testing::run_binary(
      {"serve", "--listen", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0", "--otlp-http",
       fmt::format("127.0.0.1:{}", ntohs(addr.sin_port)), "--ledger", dir_ / "ledger.db"},
      Daemon::environment(dir_), dir_.path());
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("OTLP/HTTP"), std::string::npos) << r.err;
  // Off loopback without a token: refused.
  r = testing::run_binary({"serve", "--listen", "127.0.0.1:0", "--otlp-grpc", "0.0.0.0:0",
                           "--ledger", dir_ / "ledger.db"},
                          Daemon::environment(dir_), dir_.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("without a token"), std::string::npos) << r.err;
}

// The threads that take a flood in run below the API's thread: each one lowers itself once.
TEST(OtlpPriority, BulkThreadsLowerTheirOwnPriorityOnce) {
  int before = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  int lowered = 0;
  int again = 0;
  std::thread worker([&] {
    cli::lower_this_thread_priority();
    lowered = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    cli::lower_this_thread_priority();
    again = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  });
  worker.join();
  EXPECT_EQ(lowered, std::min(before + cli::kBulkNiceIncrement, 19));
  EXPECT_EQ(again, lowered);
  // The calling thread keeps its own.
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), before);
}

}  // namespace
}  // namespace ccgauge

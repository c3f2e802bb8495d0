// Hooks, harness runs and OpenTelemetry activity through the daemon, end to end: the real
// `ccgauge serve`, the real `ccgauge hook` and `ccgauge emit` binaries, a WebSocket client.
// Hook events show the session's status in /api/v1/sessions?active=1 and on the WebSocket;
// spooled events are drained; POST /api/v1/harness (and /metrics/harness) records a run once
// per event_id; /api/v1/tools, /api/v1/harness and /api/v1/activity answer the CLI's bytes;
// /metrics counts tools and activity.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/json_value.h"
#include "core/telemetry.h"
#include "core/time.h"
#include "ledger/events.h"
#include "ledger/ledger.h"
#include "pricing/price_table.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpResult;
using testing::RunResult;
using testing::TempDir;
using testing::WsClient;

JsonValue parse(const std::string& text) {
  auto v = JsonValue::parse(text);
  EXPECT_TRUE(v.has_value()) << text.substr(0, 400);
  return v ? *v : JsonValue();
}

std::string text_of(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.find(key);
  return m != nullptr && m->is_string() ? m->as_string() : std::string();
}

std::int64_t int_of(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.find(key);
  return m != nullptr ? m->to_int64().value_or(-1) : -1;
}

std::string iso(Instant t) { return format_iso_ms(t); }

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// An assistant line of a transcript: one request of `session` at `at`.
std::string assistant_line(const std::string& session, const std::string& id, Instant at,
                           int input, int output) {
  return fmt::format(
      R"({{"type":"assistant","sessionId":"{}","cwd":"/home/u/app","timestamp":"{}",)"
      R"("requestId":"req_{}","message":{{"id":"msg_{}","model":"claude-sonnet-4-5",)"
      R"("usage":{{"input_tokens":{},"output_tokens":{}}}}}}})"
      "\n",
      session, iso(at), id, id, input, output);
}

class ServeHooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "claude/projects");
    std::filesystem::create_directories(dir_ / "app");
  }

  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"CLAUDE_CONFIG_DIR", dir_ / "claude"},
            {"HOME", dir_.path()},
            {"XDG_STATE_HOME", dir_ / "state"},
            {"XDG_DATA_HOME", dir_ / "data"},
            {"CCGAUGE_CONFIG_DIR", dir_ / "config"},
            {"CLAUDE_PROJECT_DIR", ""},
            {"CCGAUGE_TOKEN", ""},
            {"CCGAUGE_NOW", ""},
            {"TZ", "UTC"}};
  }

  std::string ledger_path() const { return dir_ / "ledger.db"; }

  void start_daemon() {
    daemon_.emplace(dir_.path(),
                    std::vector<std::string>{"--listen", "127.0.0.1:0", "--ledger", ledger_path(),
                                             "--no-otlp"},
                    env(), 60s);
    ASSERT_NE(daemon_->port(), 0) << daemon_->err();
  }

  // `ccgauge ARGS...` with `stdin_text` on stdin.
  RunResult ccgauge(const std::vector<std::string>& args, const std::string& stdin_text = "",
                    std::vector<std::pair<std::string, std::string>> extra = {}) {
    testing::write_file(dir_ / "stdin.txt", stdin_text);
    auto e = env();
    e.insert(e.end(), extra.begin(), extra.end());
    return testing::run_binary(args, e, dir_.path(), dir_ / "stdin.txt");
  }

  // Runs the real hook binary with one event of session `session`.
  void hook(const std::string& session, const std::string& body) {
    std::string json = fmt::format(
        R"({{"session_id":"{}","transcript_path":"/x.jsonl","cwd":"/home/u/app",)"
        R"("permission_mode":"default",{}}})",
        session, body);
    RunResult r = ccgauge({"hook", "--ledger", ledger_path()}, json + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out, "");
  }

  HttpResult get(const std::string& target) { return HttpClient(daemon_->port()).get(target); }

  // The active session `id` once `ok` holds for it (within 5 s), else nullopt.
  std::optional<JsonValue> active_session_when(const std::string& id,
                                              const std::function<bool(const JsonValue&)>& ok) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      JsonValue list = parse(get("/api/v1/sessions?active=1").body);
      for (const JsonValue& s : list.find("sessions")->items()) {
        if (text_of(s, "sessionId") == id && ok(s)) {
          return s;
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  bool session_listed(const std::string& id) {
    JsonValue list = parse(get("/api/v1/sessions?active=1").body);
    for (const JsonValue& s : list.find("sessions")->items()) {
      if (text_of(s, "sessionId") == id) {
        return true;
      }
    }
    return false;
  }

  TempDir dir_;
  std::optional<testing::DaemonProcess> daemon_;
};

// Reads WebSocket messages until one of `type` satisfying `ok` (5 s at most).
std::optional<JsonValue> next_event(WsClient& ws, const std::string& type,
                                    const std::function<bool(const JsonValue&)>& ok =
                                        [](const JsonValue&) { return true; }) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = ws.read_for(5s);
    if (!message) {
      return std::nullopt;
    }
    JsonValue v = parse(*message);
    if (text_of(v, "type") == type && ok(v)) {
      return v;
    }
  }
  return std::nullopt;
}

TEST_F(ServeHooksTest, HookEventsDriveLiveSessionsOnTheApiAndTheWebSocket) {
  start_daemon();
  WsClient ws(daemon_->port());
  ASSERT_TRUE(next_event(ws, "snapshot"));

  hook("h1", R"("hook_event_name":"SessionStart","source":"startup")");
  auto hook_event = next_event(ws, "hook");
  ASSERT_TRUE(hook_event) << daemon_->err();
  EXPECT_EQ(text_of(*hook_event->find("event"), "name"), "SessionStart");
  EXPECT_EQ(text_of(*hook_event->find("event"), "session"), "h1");
  auto started = next_event(ws, "session_start");
  ASSERT_TRUE(started);
  EXPECT_EQ(text_of(*started, "sessionId"), "h1");
  EXPECT_EQ(text_of(*started, "status"), "started");
  auto s = active_session_when("h1", [](const JsonValue& v) {
    return text_of(v, "status") == "started";
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(text_of(*s, "projectPath"), "/home/u/app");
  EXPECT_EQ(int_of(*s, "requests"), 0);
  EXPECT_EQ(*s->find("hooks"), JsonValue(true));

  hook("h1", R"("hook_event_name":"UserPromptSubmit","prompt":"fix the test")");
  hook("h1", R"("hook_event_name":"PreToolUse","tool_name":"Bash",)"
             R"("tool_input":{"command":"npm test"},"tool_use_id":"t1")");
  s = active_session_when("h1", [](const JsonValue& v) {
    return text_of(v, "activity") == "tool";
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(text_of(*s, "status"), "working");
  EXPECT_EQ(text_of(*s, "tool"), "Bash");
  EXPECT_EQ(int_of(*s, "toolCalls"), 1);
  EXPECT_EQ(int_of(*s, "prompts"), 1);
  ASSERT_TRUE(next_event(ws, "session_status", [](const JsonValue& v) {
    return text_of(v, "tool") == "Bash";
  }));

  hook("h1", R"("hook_event_name":"Notification","message":"Claude needs your permission",)"
             R"("notification_type":"permission_prompt")");
  s = active_session_when("h1", [](const JsonValue& v) {
    return text_of(v, "status") == "waiting";
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(text_of(*s, "activity"), "permission");
  EXPECT_EQ(text_of(*s, "tool"), "Bash");

  hook("h1", R"("hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{},)"
             R"("tool_response":{"stdout":"ok"},"tool_use_id":"t1","duration_ms":1200)");
  hook("h1", R"("hook_event_name":"Stop","stop_hook_active":false)");
  s = active_session_when("h1", [](const JsonValue& v) {
    return text_of(v, "status") == "idle";
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(text_of(*s, "activity"), "done");

  // The daemon's tools report is the CLI's, byte for byte.
  RunResult cli = ccgauge({"tools", "--json", "--ledger", ledger_path()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  HttpResult api = get("/api/v1/tools");
  ASSERT_EQ(api.status, 200) << api.body;
  EXPECT_EQ(api.body, cli.out);
  JsonValue tools = parse(api.body);
  ASSERT_EQ(tools.find("tools")->items().size(), 1u);
  EXPECT_EQ(text_of(tools.find("tools")->items()[0], "tool"), "Bash");
  EXPECT_EQ(int_of(tools.find("tools")->items()[0], "calls"), 1);
  EXPECT_EQ(get("/api/v1/tools?by=session").body,
            ccgauge({"tools", "--json", "--by", "session", "--ledger", ledger_path()}).out);
  EXPECT_EQ(get("/api/v1/tools?by=nope").status, 400);

  // /metrics counts the tool calls.
  std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("ccgauge_tool_calls_total{tool=\"Bash\"} 1"), std::string::npos)
      << metrics;

  hook("h1", R"("hook_event_name":"SessionEnd","reason":"prompt_input_exit")");
  auto ended = next_event(ws, "session_end");
  ASSERT_TRUE(ended);
  EXPECT_EQ(text_of(*ended, "sessionId"), "h1");
  EXPECT_EQ(text_of(*ended, "status"), "ended");
  EXPECT_FALSE(session_listed("h1"));
}

TEST_F(ServeHooksTest, SpooledHookEventsAreDrainedAndShown) {
  start_daemon();
  // What `ccgauge hook` leaves when the ledger stays locked: a line in the spool.
  ledger::EventRow row;
  row.key = "hook|h2|PreToolUse|t9";
  row.instant = now_instant();
  row.source = "hook";
  row.name = "PreToolUse";
  row.session = "h2";
  row.project = "/home/u/other";
  row.tool = "Edit";
  row.tool_use_id = "t9";
  ASSERT_TRUE(ledger::spool_event(dir_ / "state/ccgauge/spool", ledger_path(), row));
  auto s = active_session_when("h2", [](const JsonValue& v) {
    return text_of(v, "tool") == "Edit";
  });
  ASSERT_TRUE(s) << daemon_->err();
  EXPECT_EQ(text_of(*s, "projectPath"), "/home/u/other");
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "state/ccgauge/spool")) {
    EXPECT_NE(entry.path().extension(), ".jsonl") << entry.path() << " was not drained";
  }
}

TEST_F(ServeHooksTest, HarnessRunsArriveByPostAndByEmitAndJoinTheirSessionsCost) {
  Instant now = now_instant();
  testing::write_file(dir_ / "claude/projects/-home-u-app/run-s1.jsonl",
                      assistant_line("run-s1", "a", now - 50s, 1000, 200) +
                          assistant_line("run-s1", "b", now - 40s, 3000, 400));
  start_daemon();
  WsClient ws(daemon_->port());
  ASSERT_TRUE(next_event(ws, "snapshot"));
  std::string url = fmt::format("http://127.0.0.1:{}", daemon_->port());

  RunResult r = ccgauge({"emit", "start", "--task", "T1", "--label", "nightly", "--session",
                         "run-s1", "--timestamp", iso(now - 60s)},
                        "", {{"CCGAUGE_URL", url}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto harness_event = next_event(ws, "harness");
  ASSERT_TRUE(harness_event) << daemon_->err();
  EXPECT_EQ(text_of(*harness_event->find("event"), "task_id"), "T1");
  r = ccgauge({"emit", "end", "--task", "T1", "--session", "run-s1", "--success", "true",
               "--timestamp", iso(now - 30s)},
              "", {{"CCGAUGE_URL", url}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(next_event(ws, "harness"));

  // The seeds' path takes the same event; an event_id sent twice is recorded once.
  std::string body = fmt::format(
      R"({{"source":"api-wrapper","event":"start","task_id":"T2","label":"nightly",)"
      R"("event_id":"e-1","timestamp":"{}"}})",
      iso(now - 20s));
  HttpClient client(daemon_->port());
  HttpResult posted = client.request("POST", "/metrics/harness", body);
  EXPECT_EQ(posted.status, 202) << posted.body;
  EXPECT_EQ(*parse(posted.body).find("accepted"), JsonValue(true));
  EXPECT_EQ(client.request("POST", "/api/v1/harness", body).status, 202);
  std::string end = fmt::format(
      R"({{"event":"end","task_id":"T2","success":false,"error":"timeout","event_id":"e-2",)"
      R"("timestamp":"{}"}})",
      iso(now - 10s));
  EXPECT_EQ(client.request("POST", "/api/v1/harness", end).status, 202);
  HttpResult bad = client.request("POST", "/api/v1/harness", R"({"event":"end","success":"no"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("success"), std::string::npos) << bad.body;
  EXPECT_EQ(client.request("POST", "/api/v1/harness", "not json").status, 400);
  EXPECT_EQ(client.request("GET", "/metrics/harness").status, 405);

  // The runs, once each, joined with run-s1's requests.
  JsonValue report;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    report = parse(get("/api/v1/harness").body);
    const auto& items = report.find("runs")->items();
    if (items.size() == 2 && std::none_of(items.begin(), items.end(), [](const JsonValue& run) {
          return text_of(run, "state") == "running";
        })) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  const auto& runs = report.find("runs")->items();
  ASSERT_EQ(runs.size(), 2u) << get("/api/v1/harness").body;
  const JsonValue& t1 = text_of(runs[0], "taskId") == "T1" ? runs[0] : runs[1];
  const JsonValue& t2 = text_of(runs[0], "taskId") == "T2" ? runs[0] : runs[1];
  EXPECT_EQ(*t1.find("success"), JsonValue(true));
  EXPECT_EQ(int_of(t1, "requests"), 2);
  EXPECT_EQ(int_of(t1, "inputTokens"), 4000);
  EXPECT_EQ(int_of(t1, "outputTokens"), 600);
  EXPECT_EQ(*t2.find("success"), JsonValue(false));
  EXPECT_EQ(text_of(t2, "error"), "timeout");
  EXPECT_EQ(text_of(t2, "source"), "api-wrapper");
  EXPECT_EQ(get("/api/v1/harness?label=other").body,
            ccgauge({"harness", "--json", "--label", "other", "--ledger", ledger_path()}).out);
  EXPECT_EQ(get("/api/v1/harness").body,
            ccgauge({"harness", "--json", "--ledger", ledger_path()}).out);
}

TEST_F(ServeHooksTest, TheApiWrapperExamplePostsItsRunsToTheDaemon) {
  if (::access("/usr/bin/python3", X_OK) != 0) {
    GTEST_SKIP() << "no python3";
  }
  start_daemon();
  // ccgauge is not on this PATH: the runs can only arrive through POST /api/v1/harness.
  testing::write_file(dir_ / "stdin.txt", "");
  auto e = env();
  e.emplace_back("PATH", "/usr/bin:/bin");
  e.emplace_back("CCGAUGE_URL", fmt::format("http://127.0.0.1:{}", daemon_->port()));
  std::string out = dir_ / "py.out", err = dir_ / "py.err";
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [name, value] : e) {
      value.empty() ? ::unsetenv(name.c_str()) : ::setenv(name.c_str(), value.c_str(), 1);
    }
    ::freopen(out.c_str(), "w", stdout);
    ::freopen(err.c_str(), "w", stderr);
    std::string script = std::string(CCG_SOURCE_DIR) + "/examples/harness_middleware.py";
    ::execl("/usr/bin/python3", "python3", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_EQ(testing::wait_exit_code(pid), 0) << testing::slurp(err);
  JsonValue report;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    report = parse(get("/api/v1/harness?label=example").body);
    if (report.find("runs")->items().size() == 4 &&
        int_of(*report.find("totals"), "succeeded") + int_of(*report.find("totals"), "failed") ==
            4) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  const auto& runs = report.find("runs")->items();
  ASSERT_EQ(runs.size(), 4u) << testing::slurp(err);
  EXPECT_EQ(text_of(runs[0], "source"), "api-wrapper");
  EXPECT_EQ(int_of(*report.find("totals"), "failed"), 1);
}

TEST_F(ServeHooksTest, ActivityFromOpenTelemetryIsInTheApiAndInMetrics) {
  {
    auto ledger = ledger::Ledger::open(ledger_path(), pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger) << ledger.error().message;
    ledger::IngestBatch batch;
    Instant at = now_instant() - 1h;
    MetricPoint lines;
    lines.name = "claude_code.lines_of_code.count";
    lines.instant = at;
    lines.value = 42;
    lines.session_id = "o1";
    lines.attributes = {{"type", "added"}};
    batch.metric_points.push_back(lines);
    MetricPoint commits;
    commits.name = "claude_code.commit.count";
    commits.instant = at;
    commits.value = 2;
    commits.session_id = "o1";
    batch.metric_points.push_back(commits);
    for (bool success : {true, true, false}) {
      TelemetryEvent e;
      e.instant = at;
      e.name = "tool_result";
      e.session_id = "o1";
      e.attributes = {{"tool_name", "Read"}, {"success", success ? "true" : "false"}};
      batch.events.push_back(e);
    }
    ASSERT_TRUE(ledger->commit(batch));
  }
  start_daemon();
  for (std::string by : {"day", "tool", "user"}) {
    RunResult cli = ccgauge({"activity", "--json", "--by", by, "--ledger", ledger_path()});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    HttpResult api = get("/api/v1/activity?by=" + by);
    ASSERT_EQ(api.status, 200) << api.body;
    EXPECT_EQ(api.body, cli.out) << by;
  }
  JsonValue totals = *parse(get("/api/v1/activity").body).find("totals");
  EXPECT_EQ(int_of(totals, "linesAdded"), 42);
  EXPECT_EQ(int_of(totals, "commits"), 2);
  EXPECT_EQ(int_of(totals, "toolResults"), 2);
  EXPECT_EQ(int_of(totals, "toolFailures"), 1);
  std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("ccgauge_lines_of_code_total{type=\"added\"} 42"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("ccgauge_commits_total 2"), std::string::npos);
  EXPECT_NE(metrics.find("ccgauge_otel_tool_results_total{tool=\"Read\",success=\"false\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace ccgauge

// `ccgauge hook`, `hooks install|uninstall|status`, `tools`, `emit` and `harness`, driven as
// Claude Code and a harness loop drive them: the real binary, a temporary HOME, real files, a
// real SQLite lock, a real socket for the daemon.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/json_value.h"
#include "ledger/events.h"
#include "ledger/ledger.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using testing::RunResult;
using testing::TempDir;
using Env = std::vector<std::pair<std::string, std::string>>;

const std::string kData = std::string(CCG_SOURCE_DIR) + "/tests/data/hooks/";

// Answers one HTTP request on 127.0.0.1 with `status`, keeping what it received.
class StubDaemon {
 public:
  explicit StubDaemon(int status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, status] { serve(status); });
  }
  ~StubDaemon() {
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // What it received; call after the client finished.
  const std::string& request() const { return request_; }

 private:
  void serve(int status) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) {
      return;
    }
    int client = ::accept(fd_, nullptr, nullptr);
    char buf[4096];
    std::size_t body_at = std::string::npos;
    std::size_t length = 0;
    while (body_at == std::string::npos || request_.size() < body_at + length) {
      ssize_t n = ::recv(client, buf, sizeof(buf), 0);
      if (n <= 0) {
        break;
      }
      request_.append(buf, static_cast<std::size_t>(n));
      if (body_at == std::string::npos && request_.find("\r\n\r\n") != std::string::npos) {
        body_at = request_.find("\r\n\r\n") + 4;
        auto header = request_.find("Content-Length: ");
        length = header == std::string::npos ? 0 : std::stoul(request_.substr(header + 16));
      }
    }
    std::string reply =
        "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(client);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

class HooksCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The ledger exists (any ccgauge command, or `hooks install`, creates it).
    auto ledger = ledger::Ledger::open(ledger_path(), pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger) << ledger.error().message;
    std::filesystem::create_directories(dir_ / "app");
  }

  std::string ledger_path() const { return dir_ / ".local/share/ccgauge/ledger.db"; }
  std::string spool_dir() const { return dir_ / ".local/state/ccgauge/spool"; }
  std::string log() const { return testing::slurp(dir_ / ".local/state/ccgauge/hook.log"); }

  Env base_env() const {
    return {{"HOME", dir_.path()},
            {"XDG_STATE_HOME", ""},
            {"XDG_DATA_HOME", ""},
            {"XDG_CONFIG_HOME", ""},
            {"CLAUDE_CONFIG_DIR", dir_ / "claude"},
            {"CLAUDE_PROJECT_DIR", ""},
            {"CCGAUGE_URL", "http://127.0.0.1:1"},  // nothing listens there
            {"CCGAUGE_TOKEN", ""},
            {"CCGAUGE_NOW", ""},
            {"CCGAUGE_HOOK_TOOL_INPUT", ""},
            {"USER", "tester"},
            {"TZ", "UTC"},
            {"CCGAUGE", CCG_BINARY}};
  }

  // Runs `program args...` in dir_/app with stdin from `stdin_path`.
  RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                        const std::string& stdin_path = "/dev/null", const Env& extra = {}) {
    Env env = base_env();
    env.insert(env.end(), extra.begin(), extra.end());
    std::string out = dir_ / "out.txt";
    std::string err = dir_ / "err.txt";
    pid_t pid = ::fork();
    if (pid == 0) {
      for (const auto& [name, value] : env) {
        value.empty() ? ::unsetenv(name.c_str()) : ::setenv(name.c_str(), value.c_str(), 1);
      }
      if (::chdir((dir_ / "app").c_str()) != 0) {
        ::_exit(126);
      }
      ::dup2(::open(stdin_path.c_str(), O_RDONLY), 0);
      ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
      ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
      std::vector<std::string> copy = args;
      std::vector<char*> argv{const_cast<char*>(program.c_str())};
      for (auto& a : copy) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
    RunResult r;
    r.exit_code = testing::wait_exit_code(pid);
    r.out = testing::slurp(out);
    r.err = testing::slurp(err);
    return r;
  }

  RunResult ccgauge(const std::vector<std::string>& args, const Env& extra = {}) {
    return run_program(CCG_BINARY, args, "/dev/null", extra);
  }

  // `ccgauge hook` with `json` on stdin, at `now` when given.
  RunResult hook(const std::string& json, const std::string& now = "",
                 const std::vector<std::string>& args = {}) {
    testing::write_file(dir_ / "stdin.json", json);
    std::vector<std::string> all = {"hook"};
    all.insert(all.end(), args.begin(), args.end());
    return run_program(CCG_BINARY, all, dir_ / "stdin.json", {{"CCGAUGE_NOW", now}});
  }

  std::vector<ledger::EventRow> events(const std::string& source = "") {
    auto ledger = ledger::Ledger::open_reader(ledger_path(), pricing::PriceTable::embedded());
    EXPECT_TRUE(ledger);
    std::vector<ledger::EventRow> rows;
    ledger::EventQuery q;
    if (!source.empty()) {
      q.source = source;
    }
    EXPECT_TRUE(ledger::for_each_event(*ledger, q, [&](const auto& e) { rows.push_back(e); }));
    return rows;
  }

  static JsonValue json_of(const std::string& text) {
    auto v = JsonValue::parse(text);
    EXPECT_TRUE(v) << text;
    return v ? *v : JsonValue();
  }

  TempDir dir_;
};

const JsonValue& at(const JsonValue& object, std::string_view key) {
  static const JsonValue kNull;
  const JsonValue* v = object.is_object() ? object.find(key) : nullptr;
  return v != nullptr ? *v : kNull;
}
std::int64_t int_at(const JsonValue& o, std::string_view key) {
  return at(o, key).to_int64().value_or(-1);
}
double number_at(const JsonValue& o, std::string_view key) {
  return at(o, key).to_double().value_or(-1);
}
std::string text_at(const JsonValue& o, std::string_view key) {
  return at(o, key).is_string() ? at(o, key).as_string() : "<" + at(o, key).dump() + ">";
}

// --- ccgauge hook -------------------------------------------------------------------------------

TEST_F(HooksCliTest, EveryRecordedPayloadIsRecordedSilentlyWithExitZero) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kData)) {
    files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 33u + 1 + 5);  // every event, an unknown one, garbage
  int expected_rows = 0;
  for (const std::string& file : files) {
    RunResult r = run_program(CCG_BINARY, {"hook"}, kData + file);
    EXPECT_EQ(r.exit_code, 0) << file;
    EXPECT_EQ(r.out, "") << file;  // hook stdout would reach Claude (telemetry.md 3.5)
    EXPECT_EQ(r.err, "") << file;
    expected_rows += file.starts_with("garbage") ? 0 : 1;
  }
  std::vector<ledger::EventRow> rows = events();
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(expected_rows));
  std::map<std::string, ledger::EventRow> by_name;
  for (const auto& row : rows) {
    EXPECT_EQ(row.source, "hook");
    EXPECT_EQ(row.session, "3f1c2a9e-5b7d-4e21-9c0a-7d2b8e4f6a13");
    EXPECT_EQ(row.project, "/home/dev/shop");
    EXPECT_EQ(row.user, "tester");
    EXPECT_FALSE(row.host.empty());
    EXPECT_TRUE(json_of(row.attributes).is_object()) << row.attributes;
    by_name[row.name] = row;
  }
  EXPECT_EQ(by_name.size(), rows.size());
  for (const std::string& file : files) {
    if (!file.starts_with("garbage") && !file.starts_with("unknown")) {
      EXPECT_TRUE(by_name.contains(file.substr(0, file.size() - 5))) << file;
    }
  }
  const auto& pre = by_name["PreToolUse"];
  EXPECT_EQ(pre.tool, "Bash");
  EXPECT_EQ(pre.tool_use_id, "toolu_01A8kQz6mYb3Xw2pTnV4cR5d");
  EXPECT_EQ(pre.attributes.find("npm test"), std::string::npos);  // not opted in
  const auto& post = by_name["PostToolUse"];
  EXPECT_EQ(post.success, true);
  EXPECT_EQ(post.duration_ms, 41);
  EXPECT_EQ(by_name["PostToolUseFailure"].success, false);
  EXPECT_NE(by_name["PostToolUseFailure"].error.find("TS2304"), std::string::npos);
  EXPECT_EQ(by_name["StopFailure"].error, "rate_limit");
  EXPECT_EQ(text_at(json_of(by_name["Notification"].attributes), "notification_type"),
            "permission_prompt");
  EXPECT_EQ(text_at(json_of(by_name["SessionEnd"].attributes), "reason"), "prompt_input_exit");
  EXPECT_EQ(text_at(json_of(by_name["SessionStart"].attributes), "transcript_path"),
            "/home/dev/.claude/projects/-home-dev-shop/3f1c2a9e-5b7d-4e21-9c0a-7d2b8e4f6a13.jsonl");
  EXPECT_EQ(text_at(json_of(by_name["SubagentStop"].attributes), "agent_id"), "a7c91e04");
  EXPECT_EQ(by_name["TaskCompleted"].task_id, "task-7");
  JsonValue unknown = json_of(by_name["PostPlanApproval"].attributes);
  EXPECT_EQ(at(unknown, "unknown_event"), JsonValue(true));
  EXPECT_EQ(int_at(unknown, "steps"), 7);
  // Each garbage input left its reason in the log.
  std::string log_text = log();
  EXPECT_NE(log_text.find("hook input is not JSON"), std::string::npos) << log_text;
  EXPECT_NE(log_text.find("not a JSON object"), std::string::npos) << log_text;
  EXPECT_NE(log_text.find("no hook_event_name"), std::string::npos) << log_text;
}

TEST_F(HooksCliTest, OptInToolInputAndProjectDirectory) {
  std::string pre = testing::slurp(kData + "PreToolUse.json");
  testing::write_file(dir_ / "stdin.json", pre);
  RunResult r = run_program(CCG_BINARY, {"hook", "--tool-input"}, dir_ / "stdin.json",
                            {{"CLAUDE_PROJECT_DIR", "/home/dev"}});
  ASSERT_EQ(r.exit_code, 0);
  auto rows = events();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].project, "/home/dev");
  JsonValue attributes = json_of(rows[0].attributes);
  EXPECT_EQ(text_at(attributes, "input"), "npm test -- --runInBand 2>&1 | tail -50");
  EXPECT_EQ(text_at(attributes, "cwd"), "/home/dev/shop");
  // The same tool call recorded again (a second settings file with another spelling of the
  // command) is kept once.
  hook(pre);
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(HooksCliTest, ALockedLedgerSpoolsAndTheSpoolIsDrainedExactlyOnce) {
  auto holder = ledger::Database::open(ledger_path(), ledger::Database::Mode::kReadWrite);
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->exec("BEGIN EXCLUSIVE"));
  for (const char* file : {"PreToolUse", "PostToolUse", "Stop"}) {
    auto start = std::chrono::steady_clock::now();
    RunResult r = run_program(CCG_BINARY, {"hook"}, kData + file + ".json");
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_LT(elapsed, std::chrono::milliseconds(1000)) << file;  // 40 ms of waiting, then on
  }
  std::string spool = ledger::spool_file_for(spool_dir(), ledger_path());
  std::string spooled = testing::slurp(spool);
  EXPECT_EQ(std::count(spooled.begin(), spooled.end(), '\n'), 3) << spooled;
  EXPECT_EQ(spooled.find("npm test"), std::string::npos);  // the spool holds no tool input
  ASSERT_TRUE(holder->exec("ROLLBACK"));
  EXPECT_TRUE(events().empty());

  // `ccgauge tools` moves the spool in first.
  RunResult tools = ccgauge({"tools", "--json"});
  ASSERT_EQ(tools.exit_code, 0) << tools.err;
  EXPECT_EQ(int_at(at(json_of(tools.out), "totals"), "calls"), 2);
  EXPECT_EQ(events().size(), 3u);
  EXPECT_FALSE(std::filesystem::exists(spool));
  ccgauge({"tools", "--json"});
  EXPECT_EQ(events().size(), 3u);

  // A drain that died after its commit left its claimed file behind: the next drain removes it
  // and inserts nothing twice.
  std::string id = std::filesystem::path(spool).stem().string();
  testing::write_file(spool_dir() + "/" + id + ".claimed-4242-1-0.jsonl", spooled);
  RunResult harness = ccgauge({"harness", "--json"});  // no Claude Code data: a warning only
  EXPECT_EQ(harness.exit_code, 0) << harness.err;
  EXPECT_EQ(events().size(), 3u);
  EXPECT_TRUE(std::filesystem::is_empty(spool_dir()));
}

TEST_F(HooksCliTest, WithoutALedgerYetEventsWaitInTheSpool) {
  std::filesystem::remove(ledger_path());
  RunResult r = run_program(CCG_BINARY, {"hook"}, kData + "SessionStart.json");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(ledger_path()));
  EXPECT_TRUE(std::filesystem::exists(ledger::spool_file_for(spool_dir(), ledger_path())));
  ccgauge({"tools"});  // creates the ledger and drains
  auto rows = events();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "SessionStart");
}

// --- ccgauge tools ------------------------------------------------------------------------------

std::string tool_event(const std::string& event, const std::string& session,
                       const std::string& tool, const std::string& id,
                       const std::string& extra = "") {
  return R"({"hook_event_name":")" + event + R"(","session_id":")" + session +
         R"(","cwd":"/work/)" + session + R"(","tool_name":")" + tool + R"(","tool_use_id":")" +
         id + "\"" + extra + "}";
}

std::string at_second(int s) {
  return fmt::format("2026-03-02T12:{:02}:{:02}.000Z", s / 60, s % 60);
}

TEST_F(HooksCliTest, ToolsReportCountsCallsFailuresDurationsPromptsAndInterrupts) {
  struct Step {
    int second;
    std::string json;
  };
  const std::vector<Step> steps = {
      // Session a: a timed Bash call (2 s between Pre and Post).
      {0, tool_event("PreToolUse", "a", "Bash", "t1")},
      {2, tool_event("PostToolUse", "a", "Bash", "t1", R"(,"tool_response":{"stdout":"ok"})")},
      // Claude Code's own duration wins over the hooks' timestamps.
      {3, tool_event("PreToolUse", "a", "Edit", "t2")},
      {4, tool_event("PostToolUse", "a", "Edit", "t2", R"(,"duration_ms":150)")},
      // A failure.
      {5, tool_event("PreToolUse", "a", "Bash", "t3")},
      {6, tool_event("PostToolUseFailure", "a", "Bash", "t3",
                     R"(,"error":"exit 1","duration_ms":900)")},
      // A call that needed permission and never finished before the turn ended.
      {7, tool_event("PreToolUse", "a", "Bash", "t4")},
      {8, R"({"hook_event_name":"PermissionRequest","session_id":"a","cwd":"/work/a","tool_name":"Bash"})"},
      {13, R"({"hook_event_name":"Notification","session_id":"a","cwd":"/work/a","notification_type":"permission_prompt"})"},
      {20, R"({"hook_event_name":"Stop","session_id":"a","cwd":"/work/a"})"},
      // Denied in auto mode.
      {21, tool_event("PreToolUse", "a", "Bash", "t5")},
      {22, tool_event("PermissionDenied", "a", "Bash", "t5", R"(,"reason":"no")")},
      // Interrupted by the user.
      {23, tool_event("PreToolUse", "a", "Read", "t6")},
      {24, tool_event("PostToolUseFailure", "a", "Read", "t6",
                      R"(,"error":"Interrupted","is_interrupt":true)")},
      // Session b (an older Claude Code: no PermissionRequest, so the notification counts).
      {30, tool_event("PreToolUse", "b", "Read", "t7")},
      {31, tool_event("PostToolUse", "b", "Read", "t7", R"(,"duration_ms":10)")},
      {32, tool_event("PreToolUse", "b", "Bash", "t8")},
      {38, R"({"hook_event_name":"Notification","session_id":"b","cwd":"/work/b","notification_type":"permission_prompt"})"},
      // An async PostToolUse recorded after the Stop that followed it: not an interrupt.
      {40, R"({"hook_event_name":"Stop","session_id":"b","cwd":"/work/b"})"},
      {41, tool_event("PostToolUse", "b", "Bash", "t8", R"(,"duration_ms":300)")},
  };
  for (const Step& step : steps) {
    ASSERT_EQ(hook(step.json, at_second(step.second)).exit_code, 0);
  }
  ASSERT_EQ(events().size(), steps.size());

  RunResult r = ccgauge({"tools", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonValue report = json_of(r.out);
  std::map<std::string, JsonValue> tools;
  for (const JsonValue& row : at(report, "tools").items()) {
    tools[text_at(row, "tool")] = row;
  }
  ASSERT_EQ(tools.size(), 3u);
  const JsonValue& bash = tools["Bash"];
  EXPECT_EQ(int_at(bash, "calls"), 5);
  EXPECT_EQ(int_at(bash, "failures"), 1);
  EXPECT_EQ(int_at(bash, "denied"), 1);
  EXPECT_EQ(int_at(bash, "interrupts"), 1);
  EXPECT_EQ(int_at(bash, "permissionPrompts"), 2);
  EXPECT_EQ(int_at(bash, "timedCalls"), 3);
  EXPECT_EQ(int_at(bash, "totalDurationMs"), 2000 + 900 + 300);
  EXPECT_EQ(int_at(bash, "maxDurationMs"), 2000);
  EXPECT_EQ(int_at(tools["Edit"], "totalDurationMs"), 150);
  EXPECT_EQ(int_at(tools["Read"], "calls"), 2);
  EXPECT_EQ(int_at(tools["Read"], "interrupts"), 1);
  EXPECT_EQ(int_at(tools["Read"], "failures"), 0);
  EXPECT_EQ(text_at(tools["Read"], "lastUsed"), "2026-03-02T12:00:31.000Z");
  const JsonValue& totals = at(report, "totals");
  EXPECT_EQ(int_at(totals, "calls"), 8);
  EXPECT_EQ(int_at(totals, "interrupts"), 2);
  EXPECT_EQ(int_at(totals, "timedCalls"), 6);
  EXPECT_EQ(int_at(totals, "totalDurationMs"), 2000 + 150 + 900 + 1000 + 10 + 300);
  EXPECT_EQ(text_at(at(report, "tools").items()[0], "tool"), "Bash");  // most calls first

  JsonValue sessions = json_of(ccgauge({"tools", "--json", "--by", "session"}).out);
  ASSERT_EQ(at(sessions, "tools").items().size(), 2u);
  EXPECT_EQ(text_at(at(sessions, "tools").items()[0], "session"), "a");
  EXPECT_EQ(int_at(at(sessions, "tools").items()[0], "calls"), 6);
  EXPECT_EQ(text_at(at(sessions, "tools").items()[0], "project"), "/work/a");
  JsonValue only_b = json_of(ccgauge({"tools", "--json", "--project", "b"}).out);
  EXPECT_EQ(int_at(at(only_b, "totals"), "calls"), 2);
  JsonValue by_session = json_of(ccgauge({"tools", "--json", "--session", "a"}).out);
  EXPECT_EQ(int_at(at(by_session, "totals"), "calls"), 6);
  JsonValue none = json_of(ccgauge({"tools", "--json", "--since", "2026-03-03"}).out);
  EXPECT_EQ(int_at(at(none, "totals"), "calls"), 0);

  RunResult table = ccgauge({"tools"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("Bash       5       1       1            1        2   1.1s   2.0s"),
            std::string::npos)
      << table.out;
  EXPECT_NE(ccgauge({"tools", "--by", "model"}).exit_code, 0);
}

// --- ccgauge hooks install|uninstall|status -----------------------------------------------------

TEST_F(HooksCliTest, InstallUninstallAndStatusEditSettingsSafely) {
  std::string settings = dir_ / "claude/settings.json";
  testing::write_file(settings, R"({
  "model": "opus",
  "hooks": {
    "PreToolUse": [
      {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/audit-bash"}]}
    ]
  },
  "statusLine": {"type": "command", "command": "my-line"}
}
)");
  RunResult install = ccgauge({"hooks", "install"});
  ASSERT_EQ(install.exit_code, 0) << install.err;
  JsonValue doc = json_of(testing::slurp(settings));
  EXPECT_EQ(text_at(doc, "model"), "opus");
  EXPECT_EQ(text_at(at(doc, "statusLine"), "command"), "my-line");
  const JsonValue& hooks = at(doc, "hooks");
  std::string ours = std::string(CCG_BINARY) + " hook";
  for (const std::string& event : cli::recommended_hook_events()) {
    SCOPED_TRACE(event);
    const JsonValue& groups = at(hooks, event);
    ASSERT_TRUE(groups.is_array());
    const JsonValue& handler = at(groups.items().back(), "hooks").items().at(0);
    EXPECT_EQ(text_at(handler, "command"), ours);
    EXPECT_EQ(int_at(handler, "timeout"), 5);
    bool teardown = event == "Stop" || event == "StopFailure" || event == "SessionEnd";
    EXPECT_EQ(at(handler, "async") == JsonValue(true), !teardown);
  }
  // The user's own hook is still there, first.
  EXPECT_EQ(text_at(at(at(hooks, "PreToolUse").items()[0], "hooks").items()[0], "command"),
            "/usr/local/bin/audit-bash");
  auto backups = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "claude")) {
      n += e.path().filename().string().starts_with("settings.json.ccgauge-backup-") ? 1 : 0;
    }
    return n;
  };
  EXPECT_GE(backups(), 1);
  int backups_after_install = backups();

  // Idempotent: nothing changes, no new backup.
  std::string before = testing::slurp(settings);
  RunResult again = ccgauge({"hooks", "install"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already installed"), std::string::npos) << again.out;
  EXPECT_EQ(testing::slurp(settings), before);
  EXPECT_EQ(backups(), backups_after_install);

  RunResult status = ccgauge({"hooks", "status"});
  ASSERT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("ccgauge hooks on 15 of 15"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("PreToolUse          installed               1"), std::string::npos)
      << status.out;

  RunResult uninstall = ccgauge({"hooks", "uninstall"});
  ASSERT_EQ(uninstall.exit_code, 0) << uninstall.err;
  doc = json_of(testing::slurp(settings));
  EXPECT_EQ(testing::slurp(settings).find(" hook\""), std::string::npos);
  EXPECT_EQ(text_at(at(at(at(doc, "hooks"), "PreToolUse").items()[0], "hooks").items()[0],
                    "command"),
            "/usr/local/bin/audit-bash");
  EXPECT_EQ(at(at(doc, "hooks"), "Stop"), JsonValue());
  EXPECT_NE(ccgauge({"hooks", "status"}).out.find("on 0 of 15"), std::string::npos);
}

TEST_F(HooksCliTest, InstallForAProjectWithChosenEvents) {
  std::string project = dir_ / "proj";
  RunResult r = ccgauge(
      {"hooks", "install", "--project", project, "--events", "Stop, PostToolUse", "--tool-input"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonValue doc = json_of(testing::slurp(project + "/.claude/settings.json"));
  const JsonValue& hooks = at(doc, "hooks");
  EXPECT_EQ(hooks.members().size(), 2u);
  EXPECT_EQ(text_at(at(at(hooks, "PostToolUse").items()[0], "hooks").items()[0], "command"),
            std::string(CCG_BINARY) + " hook --tool-input");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "claude/settings.json"));
  RunResult bad = ccgauge({"hooks", "install", "--events", "PreToolUse,Bogus"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("Bogus is not a Claude Code hook event"), std::string::npos) << bad.err;
  testing::write_file(dir_ / "broken.json", "{\"hooks\": [}");
  RunResult broken = ccgauge({"hooks", "install", "--settings", dir_ / "broken.json"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("line 1"), std::string::npos) << broken.err;
}

// --- ccgauge emit and harness -------------------------------------------------------------------

TEST_F(HooksCliTest, EmitPostsToTheDaemonWhenItAnswers) {
  {
    StubDaemon daemon(201);
    RunResult r = ccgauge({"emit", "end", "--task", "T9", "--label", "nightly", "--success",
                           "false", "--error", "boom", "--duration-ms", "1234", "--source",
                           "loop.sh"},
                          {{"CCGAUGE_URL", daemon.url() + "/"}, {"CCGAUGE_TOKEN", "s3cret"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    const std::string& request = daemon.request();
    EXPECT_TRUE(request.starts_with("POST /api/v1/harness HTTP/1.1\r\n")) << request;
    EXPECT_NE(request.find("\r\nAuthorization: Bearer s3cret\r\n"), std::string::npos);
    JsonValue body = json_of(request.substr(request.find("\r\n\r\n") + 4));
    EXPECT_EQ(text_at(body, "event"), "end");
    EXPECT_EQ(text_at(body, "task_id"), "T9");
    EXPECT_EQ(text_at(body, "label"), "nightly");
    EXPECT_EQ(at(body, "success"), JsonValue(false));
    EXPECT_EQ(text_at(body, "error"), "boom");
    EXPECT_EQ(int_at(body, "duration_ms"), 1234);
    EXPECT_EQ(text_at(body, "source"), "loop.sh");
    EXPECT_EQ(text_at(body, "project"), dir_ / "app");
    EXPECT_EQ(text_at(body, "event_id").size(), 32u);
    EXPECT_EQ(text_at(body, "user"), "tester");
    // What the daemon does with it: the same function makes its row, recorded once.
    auto ledger = ledger::Ledger::open_reader(ledger_path(), pricing::PriceTable::embedded());
    ASSERT_TRUE(ledger);
    std::string json = request.substr(request.find("\r\n\r\n") + 4);
    auto row = cli::harness_event_row(json, from_epoch_ms(0));
    ASSERT_TRUE(row) << row.error().message;
    EXPECT_EQ(row->task_id, "T9");
    EXPECT_EQ(row->user, "tester");
    ASSERT_TRUE(ledger::insert_events(*ledger, {*row}));
    ASSERT_TRUE(ledger::insert_events(*ledger, {*cli::harness_event_row(json, from_epoch_ms(0))}));
    EXPECT_EQ(events("harness").size(), 1u);
    auto invalid = cli::harness_event_row(R"({"event":"end","success":"no"})", from_epoch_ms(0));
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error().code, Errc::kInvalidInput);
    EXPECT_NE(invalid.error().message.find("\"success\" must be true or false"),
              std::string::npos);
  }
  {
    // An older daemon without the route: the event goes to the ledger instead.
    StubDaemon daemon(404);
    RunResult r = ccgauge({"emit", "start", "--task", "T10"}, {{"CCGAUGE_URL", daemon.url()}});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(daemon.request().find("\"task_id\":\"T10\""), std::string::npos);
  }
  auto rows = events("harness");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].task_id, "T10");
  EXPECT_TRUE(rows[1].key.starts_with("harness|"));
  EXPECT_NE(log().find("answered 404"), std::string::npos) << log();
}

TEST_F(HooksCliTest, EmitNeverFailsTheLoopButRefusesBadArguments) {
  // No daemon, ledger locked: spooled, exit 0.
  auto holder = ledger::Database::open(ledger_path(), ledger::Database::Mode::kReadWrite);
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->exec("BEGIN EXCLUSIVE"));
  RunResult spooled = ccgauge({"emit", "start", "--task", "T1"});
  EXPECT_EQ(spooled.exit_code, 0) << spooled.err;
  ASSERT_TRUE(holder->exec("ROLLBACK"));
  EXPECT_TRUE(events("harness").empty());
  EXPECT_TRUE(std::filesystem::exists(ledger::spool_file_for(spool_dir(), ledger_path())));
  // No daemon, ledger free: written at once.
  EXPECT_EQ(ccgauge({"emit", "end", "--task=T1", "--success=true"}).exit_code, 0);
  EXPECT_EQ(events("harness").size(), 2u);  // the direct write took the small spool along

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"emit"},
        {"emit", "end", "--success", "maybe"},
        {"emit", "end", "--duration-ms", "-3"},
        {"emit", "end", "--bogus", "x"},
        {"emit", "end", "--task"},
        {"emit", "end", "extra"}}) {
    RunResult r = ccgauge(bad);
    EXPECT_EQ(r.exit_code, 2) << bad.size();
    EXPECT_NE(r.err.find("usage: ccgauge emit <event>"), std::string::npos) << r.err;
  }
  RunResult help = ccgauge({"emit", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--duration-ms"), std::string::npos);
}

TEST_F(HooksCliTest, AHarnessLoopsRunsAreJoinedWithTheirSessionsCost) {
  // A loop as a user writes it: one `claude -p` per task (faked: it writes the transcript
  // Claude Code would, at the time it runs), reported with ccgauge emit. T2 does not know its
  // session id: it is found by project and time.
  std::string script = dir_ / "loop.sh";
  testing::write_file(script, R"(#!/bin/sh
set -e
fake_claude() {  # session, input tokens, output tokens
  dir="$CLAUDE_CONFIG_DIR/projects/-work-app"
  mkdir -p "$dir"
  ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  printf '{"type":"assistant","sessionId":"%s","cwd":"%s","timestamp":"%s","requestId":"req_%s","message":{"id":"msg_%s","model":"claude-sonnet-4-5","usage":{"input_tokens":%s,"output_tokens":%s}}}\n' \
    "$1" "$PWD" "$ts" "$1" "$1" "$2" "$3" >> "$dir/$1.jsonl"
  echo "$1"
}
for task in T1 T2 T3; do
  "$CCGAUGE" emit start --task "$task" --label nightly --source loop.sh
  case $task in
    T1) session=$(fake_claude s-T1 100000 0); result=true ;;
    T2) fake_claude s-T2 200000 0 > /dev/null; session=""; result=true ;;
    T3) session=$(fake_claude s-T3 0 10000); result=false ;;
  esac
  if [ "$result" = true ]; then
    "$CCGAUGE" emit end --task "$task" --label nightly ${session:+--session "$session"} --success true
  else
    "$CCGAUGE" emit end --task "$task" --label nightly --session "$session" --success false --error "tests failed"
  fi
done
)");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  RunResult loop = run_program("/bin/sh", {script});
  ASSERT_EQ(loop.exit_code, 0) << loop.err;

  RunResult r = ccgauge({"harness", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonValue report = json_of(r.out);
  const auto& runs = at(report, "runs").items();
  ASSERT_EQ(runs.size(), 3u) << r.out;
  EXPECT_EQ(text_at(runs[0], "taskId"), "T1");
  EXPECT_EQ(text_at(runs[0], "sessionId"), "s-T1");
  EXPECT_EQ(at(runs[0], "sessionInferred"), JsonValue(false));
  EXPECT_DOUBLE_EQ(number_at(runs[0], "costUSD"), 0.3);  // 100k input tokens at $3/M
  EXPECT_EQ(int_at(runs[0], "requests"), 1);
  EXPECT_EQ(at(runs[0], "success"), JsonValue(true));
  EXPECT_EQ(text_at(runs[0], "source"), "loop.sh");
  EXPECT_GE(int_at(runs[0], "durationMs"), 0);
  EXPECT_EQ(text_at(runs[1], "sessionId"), "s-T2");
  EXPECT_EQ(at(runs[1], "sessionInferred"), JsonValue(true));
  EXPECT_DOUBLE_EQ(number_at(runs[1], "costUSD"), 0.6);
  EXPECT_DOUBLE_EQ(number_at(runs[2], "costUSD"), 0.15);  // 10k output tokens at $15/M
  EXPECT_EQ(at(runs[2], "success"), JsonValue(false));
  EXPECT_EQ(text_at(runs[2], "error"), "tests failed");
  EXPECT_EQ(text_at(runs[2], "project"), dir_ / "app");

  const auto& labels = at(report, "labels").items();
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(text_at(labels[0], "label"), "nightly");
  EXPECT_EQ(int_at(labels[0], "runs"), 3);
  EXPECT_EQ(int_at(labels[0], "succeeded"), 2);
  EXPECT_EQ(int_at(labels[0], "failed"), 1);
  EXPECT_NEAR(number_at(labels[0], "successRate"), 2.0 / 3, 1e-12);
  const auto& tasks = at(report, "tasks").items();
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(text_at(tasks[0], "taskId"), "T2");  // cost per task, dearest first
  EXPECT_EQ(text_at(tasks[1], "taskId"), "T1");
  EXPECT_EQ(text_at(tasks[2], "taskId"), "T3");
  EXPECT_NEAR(number_at(at(report, "totals"), "costUSD"), 1.05, 1e-12);

  RunResult table = ccgauge({"harness"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("3 run(s), 2 ok, 1 failed (67% success)"), std::string::npos)
      << table.out;
  JsonValue only = json_of(ccgauge({"harness", "--json", "--label", "other"}).out);
  EXPECT_TRUE(at(only, "runs").items().empty());
}

TEST_F(HooksCliTest, TheApiWrapperExampleReportsItsRuns) {
  if (::access("/usr/bin/python3", X_OK) != 0) {
    GTEST_SKIP() << "no python3";
  }
  // No daemon answers: the middleware falls back to `ccgauge emit`, found on PATH.
  std::string bin_dir = std::filesystem::path(CCG_BINARY).parent_path().string();
  RunResult r = run_program("/usr/bin/python3",
                            {std::string(CCG_SOURCE_DIR) + "/examples/harness_middleware.py"},
                            "/dev/null", {{"PATH", bin_dir + ":/usr/bin:/bin"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonValue report = json_of(ccgauge({"harness", "--json", "--label", "example"}).out);
  const auto& runs = at(report, "runs").items();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(text_at(runs[0], "source"), "api-wrapper");
  EXPECT_GE(int_at(runs[0], "durationMs"), 50);
  EXPECT_EQ(at(runs[2], "success"), JsonValue(false));
  EXPECT_EQ(text_at(runs[2], "error"), "RuntimeError: upstream returned 529 overloaded");
  const JsonValue& label = at(report, "labels").items().at(0);
  EXPECT_EQ(int_at(label, "succeeded"), 3);
  EXPECT_EQ(int_at(label, "failed"), 1);
}

}  // namespace
}  // namespace ccgauge

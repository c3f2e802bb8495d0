// `ccgauge live` driven as a user drives it: the real binary in a detached tmux session (keys
// sent with send-keys, the screen read with capture-pane), and `--once` run directly. Each test
// has its own HOME, Claude config dir, ledger and tmux server; "now" is pinned.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using std::chrono::milliseconds;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr const char* kNow = "2026-03-02T12:00:00Z";

// One transcript line: an assistant response with usage.
std::string line(const std::string& session, const std::string& cwd, const std::string& ts,
                 const std::string& id, const std::string& model, std::int64_t input,
                 std::int64_t output) {
  return fmt::format(
      R"({{"sessionId":"{}","cwd":"{}","timestamp":"{}","requestId":"req-{}","type":"assistant",)"
      R"("message":{{"model":"{}","id":"msg-{}","usage":{{"input_tokens":{},"output_tokens":{}}}}}}})"
      "\n",
      session, cwd, ts, id, model, id, input, output);
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int closed_port() {
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

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// Runs a shell command and returns its stdout.
std::string capture_command(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    out.append(buffer, n);
  }
  ::pclose(pipe);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

// Columns of a UTF-8 line (every character here is one column wide).
int columns(const std::string& s) {
  int n = 0;
  for (unsigned char c : s) {
    n += (c & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

// "Today       $0.36 · ..." -> "0.36".
std::string today_cost(const std::string& screen) {
  std::smatch m;
  static const std::regex kToday(R"((?:Today|today) +\$([0-9]+\.[0-9]+))");
  return std::regex_search(screen, m, kToday) ? m[1].str() : std::string();
}

class LiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_ / fmt::format("tmux-{}.sock", ++counter_);
    testing::write_file(alpha_, line("s1", "/w/alpha", "2026-03-02T11:30:00.000Z", "a1",
                                     "claude-sonnet-4-5", 100'000, 1000) +
                                    line("s1", "/w/alpha", "2026-03-02T11:45:00.000Z", "a2",
                                         "claude-sonnet-4-5", 50'000, 500));
    testing::write_file(beta_, line("s2", "/w/beta", "2026-03-01T10:00:00.000Z", "b1",
                                    "claude-haiku-4-5", 10'000, 100) +
                                   line("s2", "/w/beta", "2026-03-02T11:55:00.000Z", "b2",
                                        "claude-opus-4-6", 20'000, 2000));
    url_ = fmt::format("127.0.0.1:{}", closed_port());
  }

  void TearDown() override { tmux("kill-server"); }

  // Ends the tmux server and uses a new one from now on (a server that exits as its last
  // session ends must not race the next start).
  void new_tmux_server() {
    tmux("kill-server");
    socket_ = dir_ / fmt::format("tmux-{}.sock", ++counter_);
  }

  // The environment every run gets.
  std::vector<std::pair<std::string, std::string>> env(const std::string& lang = "C.UTF-8") const {
    return {{"HOME", dir_.path()},
            {"CLAUDE_CONFIG_DIR", dir_ / "claude"},
            {"CCGAUGE_CONFIG_DIR", dir_ / "cfg"},
            {"XDG_STATE_HOME", dir_ / "state"},
            {"CCGAUGE_NOW", kNow},
            {"CCGAUGE_URL", url_},
            {"CCGAUGE_TOKEN", ""},
            {"LANG", lang},
            {"LC_ALL", lang},
            {"TZ", ""},
            {"NO_COLOR", ""},
            {"FORCE_COLOR", ""}};
  }

  std::string tmux(const std::string& args) const {
    return capture_command(fmt::format("tmux -S {} -f /dev/null {} 2>&1", socket_, args));
  }

  // Starts `ccgauge live <args>` in a detached tmux session of the given size. When it exits,
  // the pane shows "LIVE-EXITED:<code>".
  void start(const std::string& args, int width = 120, int height = 40,
             std::vector<std::pair<std::string, std::string>> extra = {},
             const std::string& lang = "C.UTF-8") {
    std::string command = "env";
    auto all = env(lang);
    all.insert(all.end(), extra.begin(), extra.end());
    for (const auto& [name, value] : all) {  // env wants its -u options first
      command += value.empty() ? " -u " + name : "";
    }
    for (const auto& [name, value] : all) {
      command += value.empty() ? "" : " " + name + "=" + shell_quote(value);
    }
    command += fmt::format(" {} live --ledger {} -z UTC {}; echo LIVE-EXITED:$?; sleep 600",
                           CCG_BINARY, shell_quote(ledger_), args);
    tmux(fmt::format("new-session -d -s live -x {} -y {} {}", width, height, shell_quote(command)));
  }

  std::string screen(bool escapes = false) const {
    return tmux(escapes ? "capture-pane -e -p -t live" : "capture-pane -p -t live");
  }

  void keys(const std::string& k) const { tmux("send-keys -t live " + k); }

  // Polls the screen every 20 ms until `ok` holds or `timeout` passes; returns the last screen.
  std::string wait_for(const std::function<bool(const std::string&)>& ok,
                       milliseconds timeout = milliseconds(10'000), bool escapes = false) const {
    auto until = Clock::now() + timeout;
    std::string s = screen(escapes);
    while (!ok(s) && Clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(20));
      s = screen(escapes);
    }
    return s;
  }

  std::string wait_for_text(const std::string& text,
                            milliseconds timeout = milliseconds(10'000)) const {
    return wait_for([&](const std::string& s) { return s.find(text) != std::string::npos; },
                    timeout);
  }

  testing::RunResult once(std::vector<std::string> args, const std::string& lang = "C.UTF-8") {
    std::vector<std::string> all = {"live", "--once", "--ledger", ledger_, "-z", "UTC"};
    all.insert(all.end(), args.begin(), args.end());
    return testing::run_binary(all, env(lang), dir_.path());
  }

  static inline int counter_ = 0;
  TempDir dir_;
  std::string socket_;  // the test's own tmux server, inside dir_
  std::string url_;
  std::string ledger_ = dir_ / "ledger.db";
  std::string alpha_ = dir_ / "claude/projects/-w-alpha/s1.jsonl";
  std::string beta_ = dir_ / "claude/projects/-w-beta/s2.jsonl";
};

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST_F(LiveTest, EveryViewRendersAndKeysSwitchThem) {
  start("");
  std::string s = wait_for_text("Active sessions 2");
  ASSERT_TRUE(has(s, "5-hour")) << s;
  EXPECT_TRUE(has(s, "7-day")) << s;
  EXPECT_TRUE(has(s, "Burn rate")) << s;
  EXPECT_TRUE(has(s, "Last hour")) << s;
  EXPECT_TRUE(has(s, "Model mix   sonnet-4-5")) << s;
  // The footer shows the keys, and where data comes from (no daemon answers on url_).
  EXPECT_TRUE(has(s, "1-5 view  Tab next  ↑↓ scroll  q quit")) << s;
  EXPECT_TRUE(has(s, "watching transcripts")) << s;

  keys("2");
  s = wait_for_text("Daily · last 30 days");
  EXPECT_TRUE(has(s, "2026-03-02")) << s;
  EXPECT_TRUE(has(s, "2026-03-01")) << s;
  keys("3");
  s = wait_for_text("Sessions · last 7 days");
  EXPECT_TRUE(has(s, "alpha")) << s;
  EXPECT_TRUE(has(s, "beta")) << s;
  keys("4");
  s = wait_for_text("5-hour blocks");
  EXPECT_TRUE(has(s, "Active block")) << s;
  keys("5");
  s = wait_for_text("Tools · last 7 days");
  EXPECT_TRUE(has(s, "No hook data yet")) << s;
  keys("Tab");
  s = wait_for_text("Burn rate");
  EXPECT_TRUE(has(s, "5-hour")) << s;
  keys("Tab");
  s = wait_for_text("Daily · last 30 days");
  keys("BTab");
  s = wait_for_text("Burn rate");
  keys("1");
  s = wait_for_text("Burn rate");
  EXPECT_TRUE(has(s, "q quit")) << s;
}

TEST_F(LiveTest, QuitsOnQ) {
  start("");
  wait_for_text("q quit");
  keys("q");
  std::string s = wait_for_text("LIVE-EXITED:0", milliseconds(5000));
  EXPECT_TRUE(has(s, "LIVE-EXITED:0")) << s;
  EXPECT_FALSE(has(s, "Burn rate")) << "the screen was not given back\n" << s;
}

TEST_F(LiveTest, AnAppendedTranscriptLineShowsWithinASecond) {
  start("");
  std::string s = wait_for_text("Active sessions 2");
  std::string before = today_cost(s);
  ASSERT_FALSE(before.empty()) << s;
  // 100k sonnet-4-5 input tokens: $0.30 more today.
  testing::append_file(alpha_, line("s1", "/w/alpha", "2026-03-02T11:59:00.000Z", "a3",
                                    "claude-sonnet-4-5", 100'000, 0));
  auto appended = Clock::now();
  s = wait_for([&](const std::string& screen) { return today_cost(screen) != before; },
               milliseconds(5000));
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - appended);
  std::string after = today_cost(s);
  ASSERT_NE(after, before) << s;
  EXPECT_NEAR(std::stod(after) - std::stod(before), 0.30, 0.005) << s;
  EXPECT_LT(took.count(), 1000) << "the new request took " << took.count() << " ms to show";
  // The new request is also in the last hour's sparkline and the session's row.
  EXPECT_TRUE(has(s, "Active sessions 2")) << s;
}

TEST_F(LiveTest, ResizingRelaysOutAndNarrowTerminalsGetTheCompactLayout) {
  start("");
  std::string s = wait_for_text("Active sessions 2");
  ASSERT_TRUE(has(s, " 2 Daily ")) << s;
  tmux("resize-window -t live -x 70 -y 30");
  s = wait_for([](const std::string& screen) {
    for (const std::string& l : lines_of(screen)) {
      if (has(l, "q quit") && columns(l) <= 70 && has(l, "watching")) {
        return true;
      }
    }
    return false;
  });
  for (const std::string& l : lines_of(s)) {
    EXPECT_LE(columns(l), 70) << s;
  }
  EXPECT_TRUE(has(s, "5-hour")) << s;
  EXPECT_TRUE(has(s, "Burn rate")) << s;

  tmux("resize-window -t live -x 50 -y 24");
  s = wait_for_text(" 5h ");
  EXPECT_TRUE(has(s, " 7d ")) << s;
  EXPECT_TRUE(has(s, "burn ")) << s;
  EXPECT_TRUE(has(s, " 1 Current  2  3  4  5 ")) << s;
  EXPECT_TRUE(has(s, "q quit")) << s;
  EXPECT_FALSE(has(s, "5-hour")) << s;
  for (const std::string& l : lines_of(s)) {
    EXPECT_LE(columns(l), 50) << s;
  }
  // A list view at the compact size, then back to wide.
  keys("3");
  s = wait_for_text("Sessions");
  EXPECT_TRUE(has(s, "alpha")) << s;
  tmux("resize-window -t live -x 120 -y 40");
  s = wait_for_text(" 2 Daily  3 Sessions ");
  EXPECT_TRUE(has(s, "Project")) << s;
}

TEST_F(LiveTest, ColoursFollowThresholdsAndNoColorTurnsThemOff) {
  // max5: 173.5k input+output tokens of an 88k budget -> over 100 %, red.
  start("--plan max5");
  std::string s = wait_for([](const std::string& screen) { return has(screen, "plan (max5)"); },
                           milliseconds(10'000), true);
  ASSERT_TRUE(has(s, "plan (max5)")) << s;
  EXPECT_TRUE(has(s, "\033[31m") || has(s, ";31m")) << s;  // red
  new_tmux_server();

  start("--plan max5", 120, 40, {{"NO_COLOR", "1"}});
  s = wait_for([](const std::string& screen) { return has(screen, "plan (max5)"); },
               milliseconds(10'000), true);
  ASSERT_TRUE(has(s, "plan (max5)")) << s;
  EXPECT_FALSE(std::regex_search(s, std::regex("\033\\[[0-9;]*3[1-6]m"))) << s;
  EXPECT_TRUE(has(s, "\033[7m") || has(s, ";7m")) << "the active view is still shown\n" << s;
}

TEST_F(LiveTest, AsciiDrawingWhenTheLocaleIsNotUtf8) {
  start("", 100, 30, {}, "C");
  std::string s = wait_for_text("Active sessions 2");
  ASSERT_TRUE(has(s, "5-hour")) << s;
  EXPECT_TRUE(has(s, "up/down scroll")) << s;
  EXPECT_TRUE(std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  })) << s;
}

TEST_F(LiveTest, OncePrintsEachViewAsPlainText) {
  struct Case {
    const char* view;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {"current",
       {"5-hour", "7-day", "Burn rate", "Today       $0.62 · 173.5k tokens · 3 requests",
        "Model mix   sonnet-4-5", "Active sessions 2", "q quit"}},
      {"daily", {"Daily · last 30 days", "2026-03-02", "2026-03-01", "Total"}},
      {"sessions", {"Sessions · last 7 days · 2 sessions", "alpha", "beta", "opus-4-6"}},
      {"blocks", {"5-hour blocks", "Active block 11:00-16:00", "active", "gap", "haiku-4-5"}},
      {"tools", {"Tools · last 7 days", "No hook data yet (ccgauge hooks install)."}},
  };
  for (const Case& c : cases) {
    testing::RunResult r = once({"--view", c.view, "--width", "100"});
    ASSERT_EQ(r.exit_code, 0) << c.view << ": " << r.err;
    EXPECT_FALSE(has(r.out, "\033")) << c.view << "\n" << r.out;
    for (const std::string& e : c.expected) {
      EXPECT_TRUE(has(r.out, e)) << c.view << ": no '" << e << "' in\n" << r.out;
    }
    for (const std::string& l : lines_of(r.out)) {
      EXPECT_LE(columns(l), 100) << r.out;
    }
    EXPECT_TRUE(has(lines_of(r.out).front(), fmt::format(" {} ", c.view[0] == 'c'   ? "1 Current"
                                                                 : c.view[0] == 'd' ? "2 Daily"
                                                                 : c.view[0] == 's' ? "3 Sessions"
                                                                 : c.view[0] == 'b' ? "4 Blocks"
                                                                                    : "5 Tools")))
        << r.out;
  }
}

TEST_F(LiveTest, OnceColourWidthAsciiAndErrors) {
  testing::RunResult r = once({"--color", "--plan", "max5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\033[")) << r.out;

  r = once({"--width", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, " 5h ")) << r.out;
  for (const std::string& l : lines_of(r.out)) {
    EXPECT_LE(columns(l), 50) << r.out;
  }

  r = once({}, "C");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "5-hour")) << r.out;
  EXPECT_TRUE(std::all_of(r.out.begin(), r.out.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  })) << r.out;

  r = once({"--view", "weekly"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "--view")) << r.err;
  r = testing::run_binary({"live", "--once", "--ledger", ledger_, "-z", "Mars/Olympus"}, env(),
                          dir_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err, "Mars/Olympus")) << r.err;
}

TEST_F(LiveTest, ProvenanceLabelsFollowTheSources) {
  testing::RunResult r = once({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "estimate")) << r.out;
  r = once({"--plan", "max5"});
  EXPECT_TRUE(has(r.out, "plan (max5)")) << r.out;
  // An official reading, recorded by the status line as Claude Code would send it.
  testing::write_file(dir_ / "stdin.json",
                      R"({"rate_limits":{"five_hour":{"used_percentage":42,"resets_at":)" +
                          std::to_string(1772452800 + 7800) + "}}}");
  std::string cmd = fmt::format(
      "cd {0} && env HOME={0} CCGAUGE_NOW={1} {2} statusline --ledger {3} < {0}/stdin.json "
      "> /dev/null 2>&1",
      dir_.path(), kNow, CCG_BINARY, ledger_);
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  r = once({"--plan", "max5"});
  EXPECT_TRUE(has(r.out, "42.0%  official (statusline")) << r.out;
  EXPECT_TRUE(has(r.out, "resets 14:10 (in 2h 10m)")) << r.out;
}

TEST_F(LiveTest, TheToolsViewShowsWhatTheHooksRecorded) {
  // A Bash call that took 1.5 s and an Edit that failed, as Claude Code's hooks report them.
  auto hook = [&](const std::string& json, const std::string& now) {
    testing::write_file(dir_ / "hook.json", json);
    std::string cmd = fmt::format(
        "cd {0} && env HOME={0} XDG_STATE_HOME={0}/state CCGAUGE_NOW={1} {2} hook --ledger {3} "
        "< {0}/hook.json > /dev/null 2>&1",
        dir_.path(), now, CCG_BINARY, ledger_);
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  };
  const std::string common =
      R"("session_id":"s1","cwd":"/w/alpha","transcript_path":")" + alpha_ + R"(",)";
  hook(
      "{" + common +
          R"("hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t1","tool_input":{}})",
      "2026-03-02T11:50:00Z");
  hook(
      "{" + common +
          R"("hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t1","tool_input":{},"tool_response":{}})",
      "2026-03-02T11:50:01.500Z");
  hook(
      "{" + common +
          R"("hook_event_name":"PreToolUse","tool_name":"Edit","tool_use_id":"t2","tool_input":{}})",
      "2026-03-02T11:51:00Z");
  hook(
      "{" + common +
          R"("hook_event_name":"PostToolUseFailure","tool_name":"Edit","tool_use_id":"t2","tool_input":{},"error":"old_string not found"})",
      "2026-03-02T11:51:00.200Z");
  testing::RunResult r = once({"--view", "tools", "--width", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "Tools · last 7 days · 2 calls · 1 failed (50.0%)")) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(Bash +1 +0 .*1\.5s)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(Edit +1 +1 +100\.0%)"))) << r.out;
  EXPECT_FALSE(has(r.out, "No hook data yet")) << r.out;
}

// With a daemon running, live follows its WebSocket; when the daemon goes, it watches the
// transcripts itself.
TEST_F(LiveTest, FollowsARunningDaemonAndTakesOverWhenItStops) {
  std::string out = dir_ / "serve.out";
  auto serve_env = env();
  // Killed on every way out of the test (a failed ASSERT included), never left running.
  struct Daemon {
    pid_t pid = -1;
    ~Daemon() {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        testing::wait_exit_code(pid);
      }
    }
  } daemon;
  daemon.pid = testing::spawn_binary({"serve", "--listen", "127.0.0.1:0", "--ledger", ledger_},
                                     serve_env, out, dir_ / "serve.err");
  std::smatch m;
  std::string text;
  static const std::regex kListening(R"(listening on http://127\.0\.0\.1:([0-9]+))");
  for (auto until = Clock::now() + milliseconds(20'000); Clock::now() < until;) {
    text = testing::slurp(out);
    if (std::regex_search(text, m, kListening)) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  if (m.empty()) {
    GTEST_SKIP() << "ccgauge serve did not start: " << testing::slurp(dir_ / "serve.err");
  }
  std::string port = m[1].str();
  url_ = "127.0.0.1:" + port;
  start("");
  std::string s = wait_for_text("daemon 127.0.0.1:" + port);
  ASSERT_TRUE(has(s, "daemon 127.0.0.1:" + port)) << s;
  s = wait_for_text("Active sessions 2");
  std::string before = today_cost(s);
  ASSERT_FALSE(before.empty()) << s;

  testing::append_file(beta_, line("s2", "/w/beta", "2026-03-02T11:59:00.000Z", "b3",
                                   "claude-sonnet-4-5", 100'000, 0));
  auto appended = Clock::now();
  s = wait_for([&](const std::string& screen) { return today_cost(screen) != before; },
               milliseconds(5000));
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - appended);
  ASSERT_NE(today_cost(s), before) << s;
  ASSERT_FALSE(today_cost(s).empty()) << s;
  EXPECT_NEAR(std::stod(today_cost(s)) - std::stod(before), 0.30, 0.005) << s;
  EXPECT_LT(took.count(), 1000) << "through the daemon the new request took " << took.count()
                                << " ms to show";

  ::kill(daemon.pid, SIGTERM);
  EXPECT_EQ(testing::wait_exit_code(daemon.pid), 0);
  daemon.pid = -1;
  s = wait_for([](const std::string& screen) {
    return has(screen, "daemon gone") && !today_cost(screen).empty();
  });
  ASSERT_TRUE(has(s, "watching transcripts (daemon gone")) << s;
  before = today_cost(s);
  ASSERT_FALSE(before.empty()) << s;
  testing::append_file(beta_, line("s2", "/w/beta", "2026-03-02T11:59:30.000Z", "b4",
                                   "claude-sonnet-4-5", 100'000, 0));
  s = wait_for([&](const std::string& screen) { return today_cost(screen) != before; },
               milliseconds(5000));
  ASSERT_FALSE(today_cost(s).empty()) << s;
  EXPECT_NEAR(std::stod(today_cost(s)) - std::stod(before), 0.30, 0.005) << s;
}

}  // namespace
}  // namespace ccgauge

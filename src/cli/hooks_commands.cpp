// Hooks and harness runs: `ccgauge hook` (the command Claude Code's hooks run), `ccgauge hooks
// install|uninstall|status`, `ccgauge tools`, `ccgauge emit` and `ccgauge harness`, and the
// recording function the daemon's POST /api/v1/harness uses.
//
// `hook` and `emit` are on a latency budget (they run per tool call and per task): they are
// reached without CLI11 (app.cpp), never load the price table, and write their one row through
// ledger::write_event_direct, which prepares nothing else.

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "cli/statusline.h"
#include "cli/environment.h"
#include "cli/render_util.h"
#include "cli/settings_file.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "ingest/hooks/harness_event.h"
#include "ingest/hooks/hook_event.h"
#include "ingest/transcripts/catch_up.h"
#include "ingest/transcripts/discovery.h"
#include "ledger/events.h"
#include "ledger/harness_reader.h"
#include "ledger/ledger.h"
#include "ledger/tools_reader.h"
#include "pricing/price_table.h"

namespace ccgauge::cli {
namespace {

using detail::thousands;

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxHookInputBytes = 64 << 20;
constexpr std::int64_t kMaxLogBytes = 1 << 20;
// How long `emit` gives the daemon: to accept the connection, then to answer.
constexpr auto kDaemonConnectTimeout = std::chrono::milliseconds(50);
constexpr auto kDaemonReplyTimeout = std::chrono::milliseconds(100);

// --- Small helpers ------------------------------------------------------------------------------

// $XDG_STATE_HOME/ccgauge/<name> (default ~/.local/state/ccgauge/).
std::string state_file(std::string_view name) {
  std::string state = env_or("XDG_STATE_HOME", env_or("HOME", ".") + "/.local/state");
  return fmt::format("{}/ccgauge/{}", state, name);
}

// Appends a line to $XDG_STATE_HOME/ccgauge/hook.log (`hook` and `emit` share it), starting it
// afresh past kMaxLogBytes.
void log_reason(std::string_view reason) {
  std::string path = state_file("hook.log");
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > static_cast<std::uintmax_t>(kMaxLogBytes) && !ec) {
    std::filesystem::remove(path, ec);
  }
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    f = std::fopen(path.c_str(), "a");
  }
  if (f != nullptr) {
    fmt::print(f, "{} {}\n", format_iso_ms(now_instant()), reason);
    std::fclose(f);
  }
}

void print_error(std::string_view message) { fmt::print(stderr, "ccgauge: error: {}\n", message); }

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) {
    return {};
  }
  return name;
}

std::string user_name() { return env_or("USER", env_or("LOGNAME", "")); }

std::string current_dir() {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return ec ? std::string() : cwd.string();
}

std::string ledger_path_or_default(const std::string& path) {
  return path.empty() ? ledger::Ledger::default_path() : path;
}

// Reads stdin to its end (Claude Code closes it after the JSON); keeps at most
// kMaxHookInputBytes.
Result<std::string> read_stdin_all() {
  StdinBytes in = read_stdin_bounded(kMaxHookInputBytes);
  if (!in.whole) {
    return fail(Errc::kInvalidInput, "hook input larger than 64 MiB");
  }
  return std::move(in.bytes);
}

// Writes the row into the spool when a daemon drains it (ledger::SpoolClaim: it records the row
// within milliseconds), else straight into the ledger, else into the spool for the next command;
// false when nothing worked (the reason is logged).
bool deliver_locally(const std::string& ledger_path, const ledger::EventRow& row,
                     std::string_view who) {
  ledger::DirectWriteOptions options;
  options.spool_dir = ledger::default_spool_dir();
  if (ledger::spool_is_claimed(options.spool_dir, ledger_path)) {
    auto spooled = ledger::spool_event(options.spool_dir, ledger_path, row);
    if (spooled) {
      return true;
    }
    log_reason(fmt::format("{}: cannot spool {} for the daemon: {}; writing the ledger", who,
                           row.name, spooled.error().message));
  }
  auto written = ledger::write_event_direct(ledger_path, row, options);
  if (written) {
    return true;
  }
  auto spooled = ledger::spool_event(options.spool_dir, ledger_path, row);
  if (spooled) {
    if (written.error().code != Errc::kUnavailable) {
      log_reason(fmt::format("{}: spooled {}: {}", who, row.name, written.error().message));
    }
    return true;
  }
  log_reason(fmt::format("{}: {} lost: ledger: {}; spool: {}", who, row.name,
                         written.error().message, spooled.error().message));
  return false;
}

// --- ccgauge hook -------------------------------------------------------------------------------

// The hook event as an events row. Attributes keep what the columns do not: the agent, the
// permission mode, the prompt id, the event's small facts.
ledger::EventRow hook_row(const ingest::HookEvent& h, Instant now) {
  ledger::EventRow row;
  // A tool event's key is its own identity, so the same call recorded twice (the hook installed
  // in two settings files under two spellings) is kept once.
  row.key = h.tool_use_id.empty()
                ? ledger::new_event_key()
                : fmt::format("hook|{}|{}|{}", h.session_id, h.name, h.tool_use_id);
  row.instant = now;
  row.source = "hook";
  row.name = h.name;
  row.session = h.session_id;
  std::string project_dir = env_or("CLAUDE_PROJECT_DIR", "");
  row.project = !project_dir.empty() ? project_dir : h.cwd;
  row.host = host_name();
  row.user = user_name();
  row.tool = h.tool_name;
  row.tool_use_id = h.tool_use_id;
  row.task_id = h.task_id;
  row.success = h.success;
  row.duration_ms = h.duration_ms;
  row.error = h.error;

  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  auto text = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) {
      w.key(key).value(value);
    }
  };
  text("agent_id", h.agent_id);
  text("agent_type", h.agent_type);
  text("permission_mode", h.permission_mode);
  text("prompt_id", h.prompt_id);
  text("notification_type", h.notification_type);
  text("reason", h.reason);
  text("source", h.source);
  text("trigger", h.trigger);
  text("model", h.model);
  text("input", h.tool_input_summary);
  if (h.interrupted) {
    w.key("interrupted").value(true);
  }
  if (h.name == "SessionStart" || h.name == "SessionEnd") {
    text("transcript_path", h.transcript_path);
  }
  if (h.cwd != row.project) {
    text("cwd", h.cwd);
  }
  if (!h.known) {
    w.key("unknown_event").value(true);
  }
  for (const auto& [key, value] : h.facts) {
    w.key(key).raw(value);
  }
  w.end_object();
  row.attributes = w.take();
  return row;
}

// --- ccgauge emit -------------------------------------------------------------------------------

constexpr const char* kEmitUsage = R"(usage: ccgauge emit <event> [options]

Reports one event of a harness run (a script or program that drives Claude Code). `start` and
`end` events with the same --task pair up into a run; `ccgauge harness` lists the runs with the
tokens and cost of the Claude Code sessions they started.

options:
  --task ID            the task this run works on
  --label L            a label to group runs by (a suite, a prompt version, ...)
  --project P          the project (default: $CLAUDE_PROJECT_DIR, else the current directory)
  --session S          the Claude Code session the run started, when known
  --success true|false the result (on an end event)
  --error TEXT         what went wrong
  --duration-ms N      how long the run took (default for an end event: since its start)
  --source S           the harness's name (default: emit)
  --timestamp T        when it happened (ISO 8601; default: now)
  --event-id ID        an idempotency key: the same event sent twice is kept once
  --ledger FILE        the ledger to write when the daemon does not answer

The event goes to the daemon at $CCGAUGE_URL (default http://127.0.0.1:8321, bearer token
$CCGAUGE_TOKEN) when it answers within 50 ms, else straight into the ledger, else into a spool
that the next ccgauge command or the daemon moves into the ledger. Delivery problems never
change the exit status (0); bad arguments exit with 2.
)";

struct EmitArgs {
  ingest::HarnessEvent event;
  std::string ledger_path;
  bool help = false;
};

Result<bool> parse_bool_arg(std::string_view text) {
  if (text == "true" || text == "1" || text == "yes") {
    return true;
  }
  if (text == "false" || text == "0" || text == "no") {
    return false;
  }
  return fail(Errc::kInvalidInput, fmt::format("--success '{}': use true or false", text));
}

Status apply_emit_option(EmitArgs& a, std::string_view name, const std::string& value) {
  ingest::HarnessEvent& e = a.event;
  if (name == "--task") {
    e.task_id = value;
  } else if (name == "--label") {
    e.label = value;
  } else if (name == "--project") {
    e.project = value;
  } else if (name == "--session") {
    e.session_id = value;
  } else if (name == "--error") {
    e.error = std::string(ingest::cut_utf8(value, ingest::kMaxHarnessErrorBytes));
  } else if (name == "--source") {
    e.source = value;
  } else if (name == "--ledger") {
    a.ledger_path = value;
  } else if (name == "--event-id") {
    e.event_id = value;
  } else if (name == "--success") {
    auto b = parse_bool_arg(value);
    if (!b) {
      return tl::unexpected(b.error());
    }
    e.success = *b;
  } else if (name == "--duration-ms") {
    char* end = nullptr;
    long long n = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || n < 0) {
      return fail(Errc::kInvalidInput,
                  fmt::format("--duration-ms '{}': use a whole number of milliseconds", value));
    }
    e.duration_ms = n;
  } else if (name == "--timestamp") {
    auto t = parse_timestamp(value);
    if (!t) {
      return fail(Errc::kInvalidInput, fmt::format("--timestamp '{}': use ISO 8601", value));
    }
    e.timestamp = *t;
  } else {
    return fail(Errc::kInvalidInput, fmt::format("unknown option {}", name));
  }
  return {};
}

Result<EmitArgs> parse_emit_args(const std::vector<std::string>& args) {
  EmitArgs a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      a.help = true;
      return a;
    }
    if (!arg.starts_with("--")) {
      if (!a.event.event.empty()) {
        return fail(Errc::kInvalidInput,
                    fmt::format("one event name only ('{}' and '{}')", a.event.event, arg));
      }
      a.event.event = std::string(arg);
      continue;
    }
    std::string_view name = arg;
    std::string value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail(Errc::kInvalidInput, fmt::format("{} needs a value", arg));
    }
    if (auto s = apply_emit_option(a, name, value); !s) {
      return tl::unexpected(s.error());
    }
  }
  if (a.event.event.empty()) {
    return fail(Errc::kInvalidInput, "the event name is missing (e.g. `ccgauge emit start`)");
  }
  if (a.event.event.size() > ingest::kMaxHarnessIdBytes) {
    return fail(Errc::kInvalidInput, "the event name is too long");
  }
  return a;
}

struct DaemonUrl {
  std::string host;
  std::string port;
  std::string prefix;  // a path the daemon is mounted under, without the trailing slash
};

// http://HOST[:PORT][/PREFIX]; IPv6 hosts in brackets. https is not spoken here.
std::optional<DaemonUrl> parse_daemon_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  DaemonUrl out;
  out.prefix = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
  while (!out.prefix.empty() && out.prefix.back() == '/') {
    out.prefix.pop_back();
  }
  std::size_t colon = authority.rfind(':');
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    out.host = std::string(authority.substr(1, close - 1));
    colon = authority.find(':', close);
  } else {
    out.host = std::string(authority.substr(0, colon));
  }
  out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (out.host.empty() || out.port.empty()) {
    return std::nullopt;
  }
  return out;
}

// Waits for `events` on fd until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

// A connected non-blocking socket to the daemon, or -1 when none accepted in time.
int connect_daemon(const DaemonUrl& url, SteadyClock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found) != 0) {
    return -1;
  }
  int connected = -1;
  for (addrinfo* ai = found; ai != nullptr && connected < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    int error = 0;
    socklen_t length = sizeof(error);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline) &&
         ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0)) {
      connected = fd;
    } else {
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  return connected;
}

// POSTs `body` to the daemon's /api/v1/harness; the HTTP status, or 0 when no daemon answered
// in time.
int post_to_daemon(const DaemonUrl& url, const std::string& token, const std::string& body) {
  int fd = connect_daemon(url, SteadyClock::now() + kDaemonConnectTimeout);
  if (fd < 0) {
    return 0;
  }
  std::string request = fmt::format(
      "POST {}/api/v1/harness HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\nConnection: close\r\n{}\r\n{}",
      url.prefix, url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host,
      url.port, body.size(),
      token.empty() ? std::string() : fmt::format("Authorization: Bearer {}\r\n", token), body);
  auto deadline = SteadyClock::now() + kDaemonReplyTimeout;
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(fd, POLLOUT, deadline)) {
      continue;
    } else {
      ::close(fd);
      return 0;
    }
  }
  std::string reply;
  char buf[1024];
  while (reply.find("\r\n") == std::string::npos && wait_for(fd, POLLIN, deadline)) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 201 Created"
  if (reply.size() < 12 || !reply.starts_with("HTTP/1.")) {
    return 0;
  }
  return std::atoi(reply.c_str() + 9);
}

// The harness event as an events row.
ledger::EventRow harness_row(const ingest::HarnessEvent& e, Instant received) {
  ledger::EventRow row;
  row.key = e.event_id.empty() ? ledger::new_event_key() : "harness|" + e.event_id;
  row.instant = e.timestamp.value_or(received);
  row.source = "harness";
  row.name = e.event;
  row.session = e.session_id;
  row.project = e.project;
  row.task_id = e.task_id;
  row.label = e.label;
  row.success = e.success;
  row.duration_ms = e.duration_ms;
  row.error = e.error;
  row.host = e.host;
  row.user = e.user;
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  if (!e.source.empty()) {
    w.key("source").value(e.source);
  }
  for (const auto& [key, value] : e.extra) {
    w.key(key).raw(value);
  }
  w.end_object();
  row.attributes = w.take();
  return row;
}

// --- Text tables ------------------------------------------------------------------------------

enum class Align { kLeft, kRight };

// A plain aligned table: a header row, a rule, the rows. Cells are sanitized (control
// characters become '?') and measured in code points.
class TextTable {
 public:
  TextTable(std::vector<std::string> headers, std::vector<Align> aligns)
      : headers_(std::move(headers)), aligns_(std::move(aligns)) {}

  void add(std::vector<std::string> cells) {
    for (std::string& cell : cells) {
      cell = sanitize(cell);
    }
    rows_.push_back(std::move(cells));
  }
  void rule() { rows_.emplace_back(); }

  std::string render() const {
    std::vector<std::size_t> widths(headers_.size(), 0);
    for (std::size_t col = 0; col < headers_.size(); ++col) {
      widths[col] = width(headers_[col]);
      for (const auto& row : rows_) {
        if (col < row.size()) {
          widths[col] = std::max(widths[col], width(row[col]));
        }
      }
    }
    std::string out;
    line(out, headers_, widths);
    std::size_t total = 0;
    for (std::size_t w : widths) {
      total += w + 2;
    }
    std::string dashes;
    for (std::size_t i = 0; i + 2 < total; ++i) {
      dashes += "─";
    }
    out += dashes + "\n";
    for (const auto& row : rows_) {
      if (row.empty()) {
        out += dashes + "\n";
      } else {
        line(out, row, widths);
      }
    }
    return out;
  }

 private:
  static std::size_t width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
  }
  static std::string sanitize(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
        c = '?';
      }
    }
    return out;
  }
  void line(std::string& out, const std::vector<std::string>& cells,
            const std::vector<std::size_t>& widths) const {
    std::string text;
    for (std::size_t col = 0; col < widths.size(); ++col) {
      std::string cell = col < cells.size() ? cells[col] : std::string();
      std::string pad(widths[col] - std::min(widths[col], width(cell)), ' ');
      text += aligns_[col] == Align::kRight ? pad + cell : cell + pad;
      if (col + 1 < widths.size()) {
        text += "  ";
      }
    }
    while (!text.empty() && text.back() == ' ') {
      text.pop_back();
    }
    out += text + "\n";
  }

  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// 850 -> "850ms", 12345 -> "12.3s", 754000 -> "12m 34s", 7380000 -> "2h 3m".
std::string duration_text(std::int64_t ms) {
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  if (ms < 60'000) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000);
  }
  std::int64_t s = ms / 1000;
  if (s < 3600) {
    return fmt::format("{}m {}s", s / 60, s % 60);
  }
  return fmt::format("{}h {}m", s / 3600, s % 3600 / 60);
}

std::string usd_text(Nanodollars cost) {
  return fmt::format("${:.2f}", static_cast<double>(cost) / 1e9);
}

double usd(Nanodollars cost) { return static_cast<double>(cost) / 1e9; }

// "2026-03-02 14:05:09" in `zone`.
std::string local_time(Instant t, const TimeZone& zone) {
  std::string iso = format_iso_ms(zone.to_local(t));
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string short_id(const std::string& id) { return id.size() > 8 ? id.substr(0, 8) : id; }

// --- ccgauge tools ------------------------------------------------------------------------------

std::string tools_table(const analytics::ToolsReport& report, analytics::ToolGrouping by,
                        const TimeZone& zone) {
  std::vector<std::string> headers;
  std::vector<Align> aligns;
  switch (by) {
    case analytics::ToolGrouping::kTool:
      headers = {"Tool"};
      aligns = {Align::kLeft};
      break;
    case analytics::ToolGrouping::kSession:
      headers = {"Session", "Project"};
      aligns = {Align::kLeft, Align::kLeft};
      break;
    case analytics::ToolGrouping::kProject:
      headers = {"Project"};
      aligns = {Align::kLeft};
      break;
  }
  for (const char* h : {"Calls", "Failed", "Denied", "Interrupted", "Prompts", "Avg", "Max"}) {
    headers.push_back(h);
    aligns.push_back(Align::kRight);
  }
  headers.push_back("Last used");
  aligns.push_back(Align::kLeft);
  TextTable table(headers, aligns);
  auto numbers = [&](std::vector<std::string> cells, const analytics::ToolStat& s) {
    cells.push_back(thousands(s.calls));
    cells.push_back(thousands(s.failures));
    cells.push_back(thousands(s.denied));
    cells.push_back(thousands(s.interrupts));
    cells.push_back(thousands(s.permission_prompts));
    cells.push_back(s.timed_calls > 0 ? duration_text(s.total_duration_ms / s.timed_calls) : "");
    cells.push_back(s.timed_calls > 0 ? duration_text(s.max_duration_ms) : "");
    cells.push_back(s.last_used ? local_time(*s.last_used, zone) : "");
    return cells;
  };
  for (const analytics::ToolStat& s : report.rows) {
    std::vector<std::string> key;
    switch (by) {
      case analytics::ToolGrouping::kTool:
        key = {s.tool};
        break;
      case analytics::ToolGrouping::kSession:
        key = {s.session, s.project};
        break;
      case analytics::ToolGrouping::kProject:
        key = {s.project};
        break;
    }
    table.add(numbers(key, s));
  }
  table.rule();
  std::vector<std::string> total = {"Total"};
  if (by == analytics::ToolGrouping::kSession) {
    total.emplace_back();
  }
  table.add(numbers(total, report.totals));
  return table.render();
}

void tool_stat_json(JsonWriter& w, const analytics::ToolStat& s, analytics::ToolGrouping by,
                    bool totals) {
  w.begin_object();
  if (!totals) {
    switch (by) {
      case analytics::ToolGrouping::kTool:
        w.key("tool").value(s.tool);
        break;
      case analytics::ToolGrouping::kSession:
        w.key("session").value(s.session);
        w.key("project").value(s.project);
        break;
      case analytics::ToolGrouping::kProject:
        w.key("project").value(s.project);
        break;
    }
  }
  w.key("calls").value(s.calls);
  w.key("failures").value(s.failures);
  w.key("denied").value(s.denied);
  w.key("interrupts").value(s.interrupts);
  w.key("permissionPrompts").value(s.permission_prompts);
  w.key("timedCalls").value(s.timed_calls);
  w.key("totalDurationMs").value(s.total_duration_ms);
  w.key("avgDurationMs");
  s.timed_calls > 0 ? w.value(s.total_duration_ms / s.timed_calls) : w.null();
  w.key("maxDurationMs");
  s.timed_calls > 0 ? w.value(s.max_duration_ms) : w.null();
  w.key("lastUsed");
  s.last_used ? w.value(format_iso_ms(*s.last_used)) : w.null();
  w.end_object();
}

const char* grouping_name(analytics::ToolGrouping by) {
  switch (by) {
    case analytics::ToolGrouping::kTool:
      return "tool";
    case analytics::ToolGrouping::kSession:
      return "session";
    case analytics::ToolGrouping::kProject:
      return "project";
  }
  return "tool";
}

// Moves spooled events in; problems are warnings (a bad line never stops a report).
void drain_with_warnings(ledger::Ledger& ledger) {
  auto drained = ledger::drain_spool(ledger);
  if (!drained) {
    fmt::print(stderr, "ccgauge: warning: spooled events not moved in yet: {}\n",
               drained.error().message);
    return;
  }
  for (const std::string& problem : drained->problems) {
    fmt::print(stderr, "ccgauge: warning: spool: {}\n", problem);
  }
}

// The instant that starts the local date after `date`.
Instant start_of_next_day(const TimeZone& zone, DateKey date) {
  std::chrono::sys_days next = std::chrono::sys_days(ymd_of(date)) + std::chrono::days(1);
  return zone.start_of_day(date_key(std::chrono::year_month_day(next)));
}

// --- ccgauge harness ----------------------------------------------------------------------------

std::string result_text(const analytics::HarnessRun& run) {
  if (run.state == analytics::RunState::kRunning) {
    return "running";
  }
  if (run.success) {
    return *run.success ? "ok" : "failed";
  }
  return run.state == analytics::RunState::kUnfinished ? "unfinished" : "?";
}

std::string rate_text(const analytics::RunGroupStat& s) {
  return s.success_rate ? fmt::format("{:.0f}%", *s.success_rate * 100) : "";
}

std::string harness_tables(const analytics::HarnessReport& report, const TimeZone& zone) {
  std::string out = "Harness runs\n";
  TextTable runs({"Start", "Task", "Label", "Result", "Duration", "Session", "Requests", "Tokens",
                  "Cost", "Error"},
                 {Align::kLeft, Align::kLeft, Align::kLeft, Align::kLeft, Align::kRight,
                  Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kLeft});
  for (const analytics::HarnessRun& run : report.runs) {
    runs.add({local_time(run.start, zone), run.task_id, run.label, result_text(run),
              run.duration_ms ? duration_text(*run.duration_ms) : "",
              short_id(run.session_id) + (run.session_inferred ? "~" : ""),
              thousands(run.requests), thousands(run.tokens.total()), usd_text(run.cost),
              std::string(ingest::cut_utf8(run.error, 40))});
  }
  out += runs.render();
  auto group_table = [&](const std::vector<analytics::RunGroupStat>& groups, const char* title,
                         const char* key_header) {
    TextTable table({key_header, "Runs", "OK", "Failed", "Success", "Avg duration", "Tokens",
                     "Cost", "Cost/run"},
                    {Align::kLeft, Align::kRight, Align::kRight, Align::kRight, Align::kRight,
                     Align::kRight, Align::kRight, Align::kRight, Align::kRight});
    for (const analytics::RunGroupStat& g : groups) {
      table.add({g.key.empty() ? "(none)" : g.key, thousands(g.runs), thousands(g.succeeded),
                 thousands(g.failed), rate_text(g),
                 g.timed_runs > 0 ? duration_text(g.total_duration_ms / g.timed_runs) : "",
                 thousands(g.tokens.total()), usd_text(g.cost),
                 g.runs > 0 ? usd_text(g.cost / g.runs) : ""});
    }
    return fmt::format("\n{}\n{}", title, table.render());
  };
  out += group_table(report.labels, "Per label", "Label");
  out += group_table(report.tasks, "Cost per task", "Task");
  out += fmt::format("\n{} run(s), {} ok, {} failed{}, {} tokens, {}\n", report.totals.runs,
                     report.totals.succeeded, report.totals.failed,
                     report.totals.success_rate
                         ? fmt::format(" ({:.0f}% success)", *report.totals.success_rate * 100)
                         : "",
                     thousands(report.totals.tokens.total()), usd_text(report.totals.cost));
  return out;
}

void tokens_json(JsonWriter& w, const TokenCounts& t, Nanodollars cost) {
  w.key("inputTokens").value(t.input);
  w.key("outputTokens").value(t.output);
  w.key("cacheCreationTokens").value(t.cache_creation());
  w.key("cacheReadTokens").value(t.cache_read);
  w.key("totalTokens").value(t.total());
  w.key("costUSD").value(usd(cost));
}

void group_json(JsonWriter& w, const analytics::RunGroupStat& g, std::string_view key_name) {
  w.begin_object();
  if (!key_name.empty()) {
    w.key(key_name).value(g.key);
    if (key_name == "taskId") {
      w.key("label").value(g.label);
    }
  }
  w.key("runs").value(g.runs);
  w.key("succeeded").value(g.succeeded);
  w.key("failed").value(g.failed);
  w.key("unknown").value(g.unknown);
  w.key("successRate");
  g.success_rate ? w.value(*g.success_rate) : w.null();
  w.key("totalDurationMs").value(g.total_duration_ms);
  w.key("avgDurationMs");
  g.timed_runs > 0 ? w.value(g.total_duration_ms / g.timed_runs) : w.null();
  w.key("requests").value(g.requests);
  tokens_json(w, g.tokens, g.cost);
  w.key("avgCostUSD");
  g.runs > 0 ? w.value(usd(g.cost / g.runs)) : w.null();
  w.key("lastRun");
  g.last_run ? w.value(format_iso_ms(*g.last_run)) : w.null();
  w.end_object();
}

void run_json(JsonWriter& w, const analytics::HarnessRun& run) {
  auto optional_text = [&](std::string_view key, const std::string& value) {
    w.key(key);
    value.empty() ? w.null() : w.value(value);
  };
  w.begin_object();
  optional_text("taskId", run.task_id);
  optional_text("label", run.label);
  optional_text("project", run.project);
  optional_text("source", run.source);
  optional_text("sessionId", run.session_id);
  w.key("sessionInferred").value(run.session_inferred);
  w.key("start").value(format_iso_ms(run.start));
  w.key("end");
  run.end ? w.value(format_iso_ms(*run.end)) : w.null();
  w.key("durationMs");
  run.duration_ms ? w.value(*run.duration_ms) : w.null();
  w.key("state").value(analytics::run_state_name(run.state));
  w.key("success");
  run.success ? w.value(*run.success) : w.null();
  optional_text("error", run.error);
  w.key("requests").value(run.requests);
  tokens_json(w, run.tokens, run.cost);
  w.key("models").begin_array();
  for (const std::string& m : run.models) {
    w.value(m);
  }
  w.end_array();
  w.end_object();
}

// Opens the ledger and catches up the transcripts, as the reports do, so the runs' sessions
// are in it.
Result<ledger::Ledger> open_caught_up(const std::string& ledger_path,
                                      const pricing::PriceTable& prices, int threads) {
  auto ledger = ledger::Ledger::open(ledger_path, prices);
  if (!ledger) {
    return tl::unexpected(ledger.error());
  }
  // Runs are listed without Claude Code data too (an API wrapper's runs have no transcripts);
  // they just join no requests.
  auto dirs = ingest::find_config_dirs(ingest::Environment::from_process());
  if (!dirs) {
    fmt::print(stderr, "ccgauge: warning: {}\n", dirs.error().message);
  } else if (!dirs->empty()) {
    ingest::CatchUpOptions options;
    options.config_dirs = std::move(*dirs);
    options.threads = threads;
    auto stats = ingest::catch_up(*ledger, options);
    if (!stats) {
      return tl::unexpected(stats.error());
    }
    for (const auto& problem : stats->problems) {
      fmt::print(stderr, "ccgauge: warning: cannot read {}: {}\n", problem.path, problem.reason);
    }
  }
  return ledger;
}

// --- ccgauge hooks install|uninstall|status -----------------------------------------------------

// ccgauge's hook command: mentions "ccgauge" and runs its `hook` subcommand.
bool is_ccgauge_hook_command(std::string_view command) {
  if (command.find("ccgauge") == std::string_view::npos) {
    return false;
  }
  std::size_t at = command.find(" hook");
  while (at != std::string_view::npos) {
    std::size_t after = at + 5;
    if (after == command.size() || command[after] == ' ') {
      return true;
    }
    at = command.find(" hook", after);
  }
  return false;
}

// Events Claude Code tears down with in `-p` mode, where unfinished async hooks are killed
// (telemetry.md 3.5): these run synchronously (ccgauge hook takes milliseconds).
bool runs_at_teardown(std::string_view event) {
  return event == "Stop" || event == "StopFailure" || event == "SessionEnd";
}

std::string shell_quoted(const std::string& word) {
  if (word.find_first_of(" '\"\\$`!*?[]{}()<>|&;#~") == std::string::npos && !word.empty()) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

Result<std::vector<std::string>> events_to_install(const std::string& list) {
  if (list.empty()) {
    return recommended_hook_events();
  }
  if (list == "all") {
    return known_hook_events();
  }
  std::vector<std::string> events;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) {
      if (std::find(known_hook_events().begin(), known_hook_events().end(), name) ==
          known_hook_events().end()) {
        return fail(Errc::kInvalidInput,
                    fmt::format("--events: {} is not a Claude Code hook event", name));
      }
      events.push_back(std::move(name));
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  if (events.empty()) {
    return fail(Errc::kInvalidInput, "--events names no event");
  }
  return events;
}

int print_hooks_status(const std::string& path) {
  auto status = hooks_status(path, is_ccgauge_hook_command, recommended_hook_events());
  if (!status) {
    print_error(status.error().message);
    return 1;
  }
  int installed = 0;
  TextTable table({"Event", "ccgauge", "Other handlers"},
                  {Align::kLeft, Align::kLeft, Align::kRight});
  for (const HookEventStatus& s : *status) {
    installed += s.installed ? 1 : 0;
    table.add({s.event, s.installed ? "installed" : "-", std::to_string(s.other_handlers)});
  }
  fmt::print("{}\n{}", path, table.render());
  fmt::print("ccgauge hooks on {} of {} recommended event(s)\n", installed,
             recommended_hook_events().size());
  return 0;
}

}  // namespace

// --- Public commands ----------------------------------------------------------------------------

const std::vector<std::string>& recommended_hook_events() {
  static const std::vector<std::string> events = {
      "SessionStart",       "SessionEnd",        "UserPromptSubmit", "Stop",
      "StopFailure",        "PreToolUse",        "PostToolUse",      "PostToolUseFailure",
      "PermissionRequest",  "PermissionDenied",  "Notification",     "PreCompact",
      "PostCompact",        "SubagentStart",     "SubagentStop"};
  return events;
}

int run_hook(const HookCommandOptions& options) {
  auto input = read_stdin_all();
  if (!input) {
    log_reason("hook: " + input.error().message);
    return 0;
  }
  // The `ccgauge` launcher offered the input to a running daemon already (launcher_main.cpp).
  record_hook(ledger_path_or_default(options.ledger_path), hook_job(options, std::move(*input)));
  return 0;
}

void record_hook(const std::string& ledger_path, const HookJob& job) {
  ingest::HookParseOptions parse_options;
  parse_options.tool_input_summary = job.tool_input;
  auto event = ingest::parse_hook_event(job.input, parse_options);
  if (!event) {
    std::string_view head = ingest::cut_utf8(job.input, 80);
    log_reason(fmt::format("hook: {} (input began: {:?})", event.error().message, head));
    return;
  }
  deliver_locally(ledger_path, hook_row(*event, job.now), "hook");
}

int run_emit(const std::vector<std::string>& args) {
  auto parsed = parse_emit_args(args);
  if (!parsed) {
    fmt::print(stderr, "ccgauge emit: {}\n\n{}", parsed.error().message, kEmitUsage);
    return 2;
  }
  if (parsed->help) {
    fmt::print("{}", kEmitUsage);
    return 0;
  }
  ingest::HarnessEvent& e = parsed->event;
  if (e.project.empty()) {
    e.project = env_or("CLAUDE_PROJECT_DIR", current_dir());
  }
  if (e.source.empty()) {
    e.source = "emit";
  }
  if (!e.timestamp) {
    e.timestamp = now_instant();
  }
  if (e.event_id.empty()) {
    e.event_id = ledger::new_event_key();
  }
  e.host = host_name();
  e.user = user_name();
  std::string url = env_or("CCGAUGE_URL", "http://127.0.0.1:8321");
  if (auto daemon = parse_daemon_url(url)) {
    int status = post_to_daemon(*daemon, env_or("CCGAUGE_TOKEN", ""), ingest::harness_event_json(e));
    if (status >= 200 && status < 300) {
      return 0;
    }
    if (status != 0) {
      log_reason(fmt::format("emit: the daemon at {} answered {}; writing the event locally",
                             url, status));
    }
  } else {
    log_reason(fmt::format("emit: CCGAUGE_URL {} is not http://HOST:PORT; writing locally", url));
  }
  // The same event_id: if the daemon did record it after all, the ledger keeps one.
  if (!deliver_locally(ledger_path_or_default(parsed->ledger_path), harness_row(e, *e.timestamp),
                       "emit")) {
    fmt::print(stderr, "ccgauge emit: the event could not be recorded (see {})\n",
               state_file("hook.log"));
  }
  return 0;
}

int run_hooks_settings(const HooksSettingsOptions& o) {
  std::string path = !o.settings_path.empty() ? o.settings_path
                     : !o.project_dir.empty()
                         ? (std::filesystem::path(o.project_dir) / ".claude/settings.json").string()
                         : claude_settings_path();
  if (o.action == HooksAction::kStatus) {
    return print_hooks_status(path);
  }
  if (o.action == HooksAction::kUninstall) {
    auto change = uninstall_hooks(path, is_ccgauge_hook_command);
    if (!change) {
      print_error(change.error().message);
      return 1;
    }
    fmt::print("{}\n", change->message);
    return 0;
  }
  auto events = events_to_install(o.events);
  if (!events) {
    print_error(events.error().message);
    return 2;
  }
  std::string command = shell_quoted(self_executable()) + " hook";
  if (o.tool_input) {
    command += " --tool-input";
  }
  // Two groups: background hooks, and the teardown events that must finish (see above).
  std::vector<std::string> background;
  std::vector<std::string> foreground;
  for (const std::string& event : *events) {
    (runs_at_teardown(event) ? foreground : background).push_back(event);
  }
  bool changed = false;
  for (auto* group : {&background, &foreground}) {
    if (group->empty()) {
      continue;
    }
    HookOptions options;
    options.timeout_s = 5;
    options.async = group == &background;
    auto change = install_hooks(path, command, *group, options);
    if (!change) {
      print_error(change.error().message);
      return 1;
    }
    if (change->changed) {
      changed = true;
      fmt::print("{}\n", change->message);
    }
  }
  if (!changed) {
    fmt::print("ccgauge's hooks are already installed in {}\n", path);
  }
  // Create (or upgrade) the ledger now, so the first hooks write to it instead of the spool.
  if (auto prices = load_price_table()) {
    (void)ledger::Ledger::open_reader(ledger::Ledger::default_path(), *prices);
  }
  return 0;
}

std::string render_tools_json(const analytics::ToolsReport& report, analytics::ToolGrouping by) {
  JsonWriter w;
  w.begin_object();
  w.key("groupBy").value(grouping_name(by));
  w.key("tools").begin_array();
  for (const analytics::ToolStat& s : report.rows) {
    tool_stat_json(w, s, by, false);
  }
  w.end_array();
  w.key("totals");
  tool_stat_json(w, report.totals, by, true);
  w.end_object();
  return w.take();
}

int run_tools(const ToolsCommandOptions& o) {
  auto by = parse_tool_grouping(o.by);
  if (!by) {
    print_error("--by " + by.error().message);
    return 2;
  }
  auto zone = TimeZone::locate(o.timezone);
  if (!zone) {
    print_error(zone.error().message);
    return 1;
  }
  ToolsSelection selection;
  selection.by = *by;
  selection.zone = *zone;
  selection.project = o.project;
  selection.session = o.session;
  for (auto [text, date] : {std::pair{&o.since, &selection.since}, std::pair{&o.until, &selection.until}}) {
    if (*text) {
      auto parsed = parse_date_arg(**text);
      if (!parsed) {
        print_error(parsed.error().message);
        return 1;
      }
      *date = *parsed;
    }
  }
  auto prices = load_price_table();
  if (!prices) {
    print_error(prices.error().message);
    return 1;
  }
  auto ledger = ledger::Ledger::open_reader(ledger_path_or_default(o.ledger_path), *prices);
  if (!ledger) {
    print_error(ledger.error().message);
    return 1;
  }
  drain_with_warnings(*ledger);
  auto report = build_tools_report(*ledger, selection);
  if (!report) {
    print_error(report.error().message);
    return 1;
  }
  if (o.json) {
    write_stdout(render_tools_json(*report, *by));
    return 0;
  }
  if (report->rows.empty()) {
    fmt::print(stderr,
               "No tool activity recorded{}. Claude Code reports it through hooks: run "
               "`ccgauge hooks install`.\n",
               (o.since || o.until || o.project || o.session) ? " for that selection" : "");
    return 0;
  }
  write_stdout(tools_table(*report, *by, *zone));
  return 0;
}

std::string render_harness_json(const analytics::HarnessReport& report) {
  JsonWriter w;
  w.begin_object();
  w.key("runs").begin_array();
  for (const analytics::HarnessRun& run : report.runs) {
    run_json(w, run);
  }
  w.end_array();
  w.key("labels").begin_array();
  for (const analytics::RunGroupStat& g : report.labels) {
    group_json(w, g, "label");
  }
  w.end_array();
  w.key("tasks").begin_array();
  for (const analytics::RunGroupStat& g : report.tasks) {
    group_json(w, g, "taskId");
  }
  w.end_array();
  w.key("totals");
  group_json(w, report.totals, "");
  w.end_object();
  return w.take();
}

int run_harness(const HarnessCommandOptions& o) {
  auto prices = load_price_table();
  if (!prices) {
    print_error(prices.error().message);
    return 1;
  }
  auto zone = TimeZone::locate("");
  if (!zone) {
    print_error(zone.error().message);
    return 1;
  }
  auto ledger = open_caught_up(ledger_path_or_default(o.ledger_path), *prices, o.threads);
  if (!ledger) {
    print_error(ledger.error().message);
    return 1;
  }
  drain_with_warnings(*ledger);
  analytics::HarnessOptions options;
  options.now = now_instant();
  options.label = o.label;
  options.mode = o.mode == "calculate" ? analytics::CostMode::kCalculate
                 : o.mode == "display" ? analytics::CostMode::kDisplay
                                       : analytics::CostMode::kAuto;
  auto report = ledger::read_harness(*ledger, options);
  if (!report) {
    print_error(report.error().message);
    return 1;
  }
  if (o.json) {
    write_stdout(render_harness_json(*report));
    return 0;
  }
  if (report->runs.empty()) {
    fmt::print(stderr, "No harness runs recorded{}. Report them with `ccgauge emit start|end "
                       "--task ID` (see `ccgauge emit --help`).\n",
               o.label ? " with that label" : "");
    return 0;
  }
  write_stdout(harness_tables(*report, *zone));
  return 0;
}

Result<analytics::ToolGrouping> parse_tool_grouping(std::string_view name) {
  if (name == "tool") {
    return analytics::ToolGrouping::kTool;
  }
  if (name == "session") {
    return analytics::ToolGrouping::kSession;
  }
  if (name == "project") {
    return analytics::ToolGrouping::kProject;
  }
  return fail(Errc::kInvalidInput, fmt::format("'{}': use tool, session or project", name));
}

Result<analytics::ToolsReport> build_tools_report(const ledger::Ledger& ledger,
                                                  const ToolsSelection& selection) {
  analytics::ToolsQuery query;
  query.grouping = selection.by;
  query.project = selection.project;
  query.session = selection.session;
  if (selection.since) {
    query.from = selection.zone.start_of_day(*selection.since);
  }
  if (selection.until) {
    query.to = start_of_next_day(selection.zone, *selection.until);
  }
  return ledger::read_tools(ledger, query);
}

Result<ledger::EventRow> harness_event_row(std::string_view json_text, Instant now) {
  auto event = ingest::parse_harness_event(json_text);
  if (!event) {
    return tl::unexpected(event.error());
  }
  return harness_row(*event, now);
}

}  // namespace ccgauge::cli

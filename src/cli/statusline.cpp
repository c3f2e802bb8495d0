// `ccgauge statusline`: Claude Code's status line command. Reads the status JSON on stdin,
// records the official rate-limit figures in the ledger, catches up the session's own
// transcript, and prints one line. It never breaks Claude Code's screen: on any error it prints
// a short fallback line, exits 0, and writes the reason to a log file.

#include "cli/statusline.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "analytics/blocks.h"
#include "cli/commands.h"
#include "cli/environment.h"
#include "cli/render.h"
#include "cli/settings_file.h"
#include "core/json_value.h"
#include "core/time.h"
#include "ingest/hooks/statusline_input.h"
#include "ingest/transcripts/catch_up.h"
#include "ledger/events.h"
#include "ledger/ledger.h"
#include "ledger/limits_reader.h"
#include "pricing/price_table.h"

namespace ccgauge::cli {
namespace {

constexpr std::size_t kMaxInputBytes = 1 << 20;
constexpr std::int64_t kMaxLogBytes = 1 << 20;
// A status line that leaves the WAL this large hands a checkpoint to a background process: every
// call that opens the ledger alone reads the whole WAL to rebuild its index.
constexpr int kCheckpointPages = 128;

// $XDG_STATE_HOME/ccgauge/statusline.log (default ~/.local/state/ccgauge/).
std::string log_path() {
  std::string state = env_or("XDG_STATE_HOME", env_or("HOME", ".") + "/.local/state");
  return state + "/ccgauge/statusline.log";
}

// Appends a line to the log, starting it afresh when it has grown past kMaxLogBytes.
void log_reason(std::string_view reason) {
  std::string path = log_path();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (std::filesystem::file_size(path, ec) > static_cast<std::uintmax_t>(kMaxLogBytes) && !ec) {
    std::filesystem::remove(path, ec);
  }
  if (std::FILE* f = std::fopen(path.c_str(), "a")) {
    auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    fmt::print(f, "{} {}\n", format_iso_ms(now), reason);
    std::fclose(f);
  }
}

Result<std::string> read_stdin() {
  StdinBytes in = read_stdin_bounded(kMaxInputBytes);
  if (!in.whole) {
    return fail(Errc::kInvalidInput, "status line input larger than 1 MiB");
  }
  return std::move(in.bytes);
}

std::string money(Nanodollars nd) { return fmt::format("${:.2f}", static_cast<double>(nd) / 1e9); }

std::string money(double usd) { return fmt::format("${:.2f}", usd < 0.005 ? 0.0 : usd); }

// Green under 50 %, yellow under 80 %, red from there.
std::string colour_percent(double pct, bool colour) {
  std::string text = fmt::format("{:.0f}%", pct);
  if (!colour) {
    return text;
  }
  const char* code = pct >= 80 ? "31" : pct >= 50 ? "33" : "32";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

// Records what Claude Code reported, when it differs from what the ledger has: the official
// windows (one row per change, not per refresh) and the session's cost and context.
Status record_input(ledger::Ledger& ledger, const ingest::StatusLineInput& in, Instant now) {
  ledger::IngestBatch batch;
  auto add = [&](const std::optional<ingest::RateWindow>& w, const char* name) {
    if (!w || (!w->used_percent && !w->resets_at_epoch_s)) {
      return;
    }
    // A sample stamped after now (a transcript from a clock ahead of this one) would
    // otherwise make every call record the same reading again.
    auto latest = ledger.latest_limit_sample(name, now);
    if (latest && *latest && (*latest)->source == "statusline" &&
        (*latest)->used_percent == w->used_percent &&
        (*latest)->resets_at_epoch_s == w->resets_at_epoch_s) {
      return;
    }
    batch.limit_samples.push_back(
        {now, "statusline", name, w->used_percent, w->resets_at_epoch_s, in.session_id});
  };
  add(in.five_hour, "five_hour");
  add(in.seven_day, "seven_day");
  if (!in.session_id.empty()) {
    ledger::SessionStatus st{in.session_id,
                             now,
                             in.cwd,
                             in.model_id,
                             in.session_cost_usd,
                             in.context_tokens,
                             in.context_window_size,
                             in.context_used_percent};
    auto stored = ledger.session_status(in.session_id);
    bool same = stored && *stored && (*stored)->cost_usd == st.cost_usd &&
                (*stored)->context_tokens == st.context_tokens &&
                (*stored)->context_percent == st.context_percent && (*stored)->model == st.model;
    if (!same) {
      batch.session_status.push_back(std::move(st));
    }
  }
  return ledger.commit(batch);
}

// Catches up this session's transcript. Catch-ups run one at a time: a call that finds one
// running waits for it (it may be reading this very transcript), then catches up what is left,
// so it never shows numbers older than the transcript it was handed, and fifty windows at once
// never run fifty catch-ups at once. After kLockWait it answers from the ledger as it is.
void catch_up_session(ledger::Ledger& ledger, const std::string& transcript) {
  const std::string& ledger_path = ledger.path();
  constexpr auto kLockWait = std::chrono::milliseconds(1500);
  if (transcript.empty()) {
    return;
  }
  int fd = ::open((ledger_path + ".catchup.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + kLockWait;
  bool locked = false;
  while (!(locked = ::flock(fd, LOCK_EX | LOCK_NB) == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!locked) {
    log_reason("another catch-up ran longer than 1.5 s; answered from the ledger as it was");
  } else {
    ingest::CatchUpOptions options;
    options.only_session_file = transcript;
    options.threads = 1;
    if (auto stats = ingest::catch_up(ledger, options); !stats) {
      log_reason("catch-up failed: " + stats.error().message);
    }
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
}

struct Figures {
  Nanodollars today = 0;
  analytics::LimitsReport limits;
};

Result<Figures> compute(const ledger::Ledger& ledger, const TimeZone& zone,
                        const analytics::PlanLimits& plan, Instant now) {
  Figures f;
  DateKey today = zone.local_date(now);
  Instant day_start = zone.start_of_day(today);
  Instant day_end = zone.start_of_day(
      date_key(std::chrono::sys_days(ymd_of(today)) + std::chrono::days(1)));
  // The rows a daily report would place on today's date (by their first request).
  auto totals = ledger.rollup_totals(day_start, day_end, analytics::CostMode::kAuto);
  if (!totals) {
    return tl::unexpected(totals.error());
  }
  f.today = totals->computed_cost;
  ledger::LimitsQuery lq;
  lq.now = now;
  lq.plan = plan;
  auto limits = ledger::read_limits(ledger, lq);
  if (!limits) {
    return tl::unexpected(limits.error());
  }
  f.limits = std::move(*limits);
  return f;
}

// Every named field a --format template may use, as text (colour codes included when on).
struct Fields {
  std::string model, session_cost, today_cost, five, five_reset, five_provenance, seven,
      seven_reset, seven_provenance, burn, context, project, exhaust;
};

// The window's use: official percent; a plan or estimate percent only while a window is open
// (no usage in five hours means the next request opens one); and the window's cost when the
// estimate has no past blocks to compare with.
std::string window_percent(const analytics::WindowState& w, bool colour) {
  if (w.used_provenance != analytics::Provenance::kOfficial && !w.start) {
    return "";
  }
  if (w.used_provenance == analytics::Provenance::kEstimate && w.source == "default") {
    return money(w.cost);
  }
  if (!w.used_percent) {
    return "";
  }
  return colour_percent(*w.used_percent, colour);
}

Fields fields_of(const ingest::StatusLineInput& in, const Figures& f, Instant now, bool colour) {
  Fields x;
  x.model = !in.model_display_name.empty() ? in.model_display_name : in.model_id;
  x.session_cost = in.session_cost_usd ? money(*in.session_cost_usd) : "";
  x.today_cost = money(f.today);
  const analytics::WindowState& five = f.limits.five_hour;
  const analytics::WindowState& seven = f.limits.seven_day;
  x.five = window_percent(five, colour);
  x.five_reset = five.resets_at ? format_duration_until(*five.resets_at, now) : "";
  x.five_provenance = std::string(analytics::provenance_name(five.used_provenance));
  x.seven = window_percent(seven, colour);
  x.seven_reset = seven.resets_at ? format_duration_until(*seven.resets_at, now) : "";
  x.seven_provenance = std::string(analytics::provenance_name(seven.used_provenance));
  double burn = five.recent_rate.cost_per_hour_usd > 0 ? five.recent_rate.cost_per_hour_usd
                                                       : five.window_rate.cost_per_hour_usd;
  x.burn = burn >= 0.005 ? money(burn) + "/h" : "";
  std::optional<double> context = in.context_used_percent;
  if (!context && in.context_tokens && in.context_window_size && *in.context_window_size > 0) {
    context = 100.0 * static_cast<double>(*in.context_tokens) /
              static_cast<double>(*in.context_window_size);
  }
  x.context = context ? colour_percent(*context, colour) : "";
  x.project = std::filesystem::path(in.cwd).filename().string();
  if (five.exhausted_at && *five.exhausted_at > now) {
    x.exhaust = "out in " + format_duration_until(*five.exhausted_at, now);
  }
  return x;
}

std::string render_line(const Fields& x, const Figures& f) {
  std::vector<std::string> parts;
  if (!x.model.empty()) {
    parts.push_back(x.model);
  }
  if (!x.session_cost.empty()) {
    parts.push_back(x.session_cost + " session");
  }
  parts.push_back(x.today_cost + " today");
  // Official figures plainly; plan and estimate figures marked with "~".
  auto window = [&](const char* name, const analytics::WindowState& w, const std::string& pct,
                    const std::string& reset) {
    if (pct.empty()) {
      return;
    }
    std::string text = fmt::format(
        "{}{} {}", name, w.used_provenance == analytics::Provenance::kOfficial ? "" : "~", pct);
    if (!reset.empty()) {
      text += " ↻" + reset;
    }
    parts.push_back(std::move(text));
  };
  window("5h", f.limits.five_hour, x.five, x.five_reset);
  window("7d", f.limits.seven_day, x.seven, "");
  if (!x.burn.empty()) {
    parts.push_back(x.burn);
  }
  if (!x.exhaust.empty()) {
    parts.push_back(x.exhaust);
  }
  if (!x.context.empty()) {
    parts.push_back("ctx " + x.context);
  }
  std::string line;
  for (const auto& p : parts) {
    line += line.empty() ? p : " │ " + p;
  }
  return line;
}

// Fills a --format template: {name} becomes the field; {{ and }} are literal braces; an unknown
// name stays as written (and is logged), so a typo shows on screen instead of vanishing.
std::string render_template(std::string_view tmpl, const Fields& x) {
  const std::pair<std::string_view, const std::string*> names[] = {
      {"model", &x.model},           {"session_cost", &x.session_cost},
      {"today_cost", &x.today_cost}, {"5h", &x.five},
      {"5h_reset", &x.five_reset},   {"5h_provenance", &x.five_provenance},
      {"7d", &x.seven},              {"7d_reset", &x.seven_reset},
      {"7d_provenance", &x.seven_provenance},
      {"burn", &x.burn},             {"ctx", &x.context},
      {"project", &x.project},       {"exhaust", &x.exhaust}};
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    std::size_t close = c == '{' ? tmpl.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += c;
      continue;
    }
    std::string_view name = tmpl.substr(i + 1, close - i - 1);
    const std::string* value = nullptr;
    for (const auto& [n, v] : names) {
      if (n == name) {
        value = v;
      }
    }
    if (value == nullptr) {
      log_reason(fmt::format("--format: unknown field {{{}}}", name));
      out.append(tmpl.substr(i, close - i + 1));
    } else {
      out += *value;
    }
    i = close;
  }
  return out;
}

// What is shown when nothing better can be: never empty, never an error.
std::string fallback_line(const ingest::StatusLineInput* in) {
  std::string line = "ccgauge";
  if (in != nullptr) {
    std::string model = !in->model_display_name.empty() ? in->model_display_name : in->model_id;
    if (!model.empty()) {
      line = model;
    }
    if (in->session_cost_usd) {
      line += " │ " + money(*in->session_cost_usd) + " session";
    }
  }
  return line + " │ usage unavailable";
}

}  // namespace

Result<std::variant<StatusLineJob, HookJob>> decode_job(std::string_view bytes) {
  std::size_t newline = bytes.find('\n');
  if (newline == std::string_view::npos) {
    return fail(Errc::kInvalidInput, "daemon job: no settings line");
  }
  auto settings = JsonValue::parse(bytes.substr(0, newline));
  if (!settings || !settings->is_object()) {
    return fail(Errc::kInvalidInput, "daemon job: the settings line is not a JSON object");
  }
  auto member = [&](const JsonValue& object, std::string_view key, JsonValue::Type type)
      -> const JsonValue* {
    const JsonValue* v = object.find(key);
    return v != nullptr && v->type() == type ? v : nullptr;
  };
  const JsonValue* kind = member(*settings, "kind", JsonValue::Type::kString);
  const JsonValue* now = member(*settings, "now", JsonValue::Type::kNumber);
  auto mistyped = fail(Errc::kInvalidInput, "daemon job: a setting is missing or mistyped");
  if (!kind || !now || !now->to_int64()) {
    return mistyped;
  }
  std::string input(bytes.substr(newline + 1));
  if (kind->as_string() == "hook") {
    const JsonValue* tool_input = member(*settings, "tool_input", JsonValue::Type::kBool);
    if (!tool_input) {
      return mistyped;
    }
    return HookJob{from_epoch_ms(*now->to_int64()), tool_input->as_bool(), std::move(input)};
  }
  const JsonValue* zone = member(*settings, "timezone", JsonValue::Type::kString);
  const JsonValue* colour = member(*settings, "colour", JsonValue::Type::kBool);
  const JsonValue* format = member(*settings, "format", JsonValue::Type::kString);
  const JsonValue* plan = member(*settings, "plan", JsonValue::Type::kObject);
  const JsonValue* file = plan ? member(*plan, "file", JsonValue::Type::kString) : nullptr;
  if (kind->as_string() != "statusline" || !zone || !colour || !format || !file) {
    return mistyped;
  }
  StatusLineJob job;
  job.now = from_epoch_ms(*now->to_int64());
  job.timezone = zone->as_string();
  job.colour = colour->as_bool();
  job.format = format->as_string();
  if (const JsonValue* name = member(*plan, "name", JsonValue::Type::kString)) {
    job.plan.plan = name->as_string();
  }
  auto number = [&](std::string_view key) -> const JsonValue* {
    return member(*plan, key, JsonValue::Type::kNumber);
  };
  if (const JsonValue* v = number("tokens_5h")) job.plan.tokens_5h = v->to_int64();
  if (const JsonValue* v = number("cost_5h")) job.plan.cost_5h = v->to_double();
  if (const JsonValue* v = number("tokens_7d")) job.plan.tokens_7d = v->to_int64();
  if (const JsonValue* v = number("cost_7d")) job.plan.cost_7d = v->to_double();
  job.plan_file = file->as_string();
  job.input = std::move(input);
  return job;
}

namespace {

// answer_statusline once the input is parsed (the command parsed it already, for its fallback).
Result<std::string> answer_parsed(ledger::Ledger& ledger, const StatusLineJob& job,
                                  const ingest::StatusLineInput& in,
                                  const std::function<void(const std::string&)>& catch_up) {
  auto zone = TimeZone::locate(job.timezone);
  if (!zone) {
    return tl::unexpected(zone.error());
  }
  if (auto s = record_input(ledger, in, job.now); !s) {
    log_reason("recording the status line input failed: " + s.error().message);
  }
  if (!in.transcript_path.empty()) {
    catch_up(in.transcript_path);
  }
  analytics::PlanLimits plan;
  if (auto p = load_plan_from(job.plan, job.plan_file); p) {
    plan = std::move(*p);
  } else {
    log_reason(p.error().message);
  }
  auto figures = compute(ledger, *zone, plan, job.now);
  if (!figures) {
    return tl::unexpected(figures.error());
  }
  Fields fields = fields_of(in, *figures, job.now, job.colour);
  return job.format.empty() ? render_line(fields, *figures) : render_template(job.format, fields);
}

}  // namespace

Result<std::string> answer_statusline(
    ledger::Ledger& ledger, const StatusLineJob& job,
    const std::function<void(const std::string& transcript)>& catch_up) {
  auto in = ingest::parse_statusline_input(job.input);
  if (!in) {
    return tl::unexpected(in.error());
  }
  return answer_parsed(ledger, job, *in, catch_up);
}

int run_statusline(const StatusLineOptions& o) {
  auto input = read_stdin();
  if (!input) {
    log_reason(input.error().message);
    fmt::print("{}\n", fallback_line(nullptr));
    return 0;
  }
  auto in = ingest::parse_statusline_input(*input);
  if (!in) {
    log_reason(in.error().message);
    fmt::print("{}\n", fallback_line(nullptr));
    return 0;
  }
  auto fail_soft = [&](std::string_view why) {
    log_reason(why);
    fmt::print("{}\n", fallback_line(&*in));
    return 0;
  };
  // The `ccgauge` launcher asked a running daemon already (launcher_main.cpp): this process
  // does the work itself.
  StatusLineJob job = statusline_job(o, std::move(*input));
  std::string ledger_path = o.ledger_path.empty() ? ledger::Ledger::default_path() : o.ledger_path;

  auto prices = load_price_table();
  if (!prices) {
    return fail_soft(prices.error().message);
  }
  auto ledger = ledger::Ledger::open(ledger_path, *prices);
  if (!ledger) {
    return fail_soft(ledger.error().message);
  }
  ledger->defer_checkpoints();
  auto line = answer_parsed(*ledger, job, *in, [&](const std::string& transcript) {
    catch_up_session(*ledger, transcript);
  });
  if (!line) {
    return fail_soft(line.error().message);
  }
  fmt::print("{}\n", *line);
  std::fflush(stdout);
  // The line is out; a checkpoint now would still delay the exit Claude Code waits for. The
  // connection is closed first (see ledger::checkpoint_in_background).
  bool checkpoint = ledger->wal_pages() >= kCheckpointPages ||
                    ledger->wal_file_bytes() >= kCheckpointPages * 4096;
  { ledger::Ledger closing = std::move(*ledger); }
  if (checkpoint) {
    ledger::checkpoint_in_background(ledger_path);
  }
  return 0;
}

int run_statusline_settings(bool install, const std::string& settings_path,
                            const std::string& project_dir) {
  std::string path = !settings_path.empty() ? settings_path
                     : !project_dir.empty()
                         ? (std::filesystem::path(project_dir) / ".claude/settings.json").string()
                         : claude_settings_path();
  // Quoted when the path needs it: Claude Code runs the command through a shell.
  std::string exe = self_executable();
  if (exe.find_first_of(" '\"\\$`") != std::string::npos) {
    std::string quoted = "'";
    for (char c : exe) {
      quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    exe = quoted + "'";
  }
  auto change = install ? install_status_line(path, exe + " statusline")
                        : uninstall_status_line(path);
  if (!change) {
    fmt::print(stderr, "ccgauge: error: {}\n", change.error().message);
    return 1;
  }
  fmt::print("{}\n", change->message);
  return 0;
}

}  // namespace ccgauge::cli

// `ccgauge statusline`: Claude Code's status line command. Reads the status JSON on stdin,
// records the official rate-limit figures in the ledger, catches up the session's own
// transcript, and prints one line. It never breaks Claude Code's screen: on any error it prints
// a short fallback line, exits 0, and writes the reason to a log file.

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
#include "core/time.h"
#include "ingest/hooks/statusline_input.h"
#include "ingest/transcripts/catch_up.h"
#include "ledger/ledger.h"
#include "pricing/price_table.h"

namespace ccgauge::cli {
namespace {

constexpr std::size_t kMaxInputBytes = 1 << 20;
constexpr std::int64_t kMaxLogBytes = 1 << 20;

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
  std::string input;
  char buf[65536];
  for (;;) {
    std::size_t n = std::fread(buf, 1, sizeof(buf), stdin);
    input.append(buf, n);
    if (input.size() > kMaxInputBytes) {
      return fail(Errc::kInvalidInput, "status line input larger than 1 MiB");
    }
    if (n < sizeof(buf)) {
      return input;
    }
  }
}

std::string money(Nanodollars nd) { return fmt::format("${:.2f}", static_cast<double>(nd) / 1e9); }

std::string money(double usd) { return fmt::format("${:.2f}", usd < 0.005 ? 0.0 : usd); }

std::string duration_until(std::int64_t epoch_s, Instant now) {
  std::int64_t left =
      epoch_s - std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  if (left <= 0) {
    return "now";
  }
  std::int64_t hours = left / 3600;
  std::int64_t minutes = (left % 3600) / 60;
  if (hours >= 24) {
    return fmt::format("{}d {}h", hours / 24, hours % 24);
  }
  return hours > 0 ? fmt::format("{}h {}m", hours, minutes) : fmt::format("{}m", minutes);
}

// Green under 50 %, yellow under 80 %, red from there.
std::string colour_percent(double pct, bool colour) {
  std::string text = fmt::format("{:.0f}%", pct);
  if (!colour) {
    return text;
  }
  const char* code = pct >= 80 ? "31" : pct >= 50 ? "33" : "32";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

// The official window when it is still current: the status line's own figure, else the newest
// one the ledger holds from any session.
std::optional<ingest::RateWindow> official_window(const std::optional<ingest::RateWindow>& given,
                                                  const ledger::Ledger& ledger,
                                                  std::string_view window, Instant now) {
  auto now_s = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  auto current = [&](const std::optional<std::int64_t>& resets) {
    return !resets || *resets > now_s;
  };
  if (given && given->used_percent && current(given->resets_at_epoch_s)) {
    return given;
  }
  auto latest = ledger.latest_limit_sample(window);
  if (latest && *latest && (*latest)->used_percent && (*latest)->resets_at_epoch_s &&
      current((*latest)->resets_at_epoch_s)) {
    return ingest::RateWindow{(*latest)->used_percent, (*latest)->resets_at_epoch_s};
  }
  return std::nullopt;
}

// Records the status line's official figures, when they differ from what the ledger has.
Status record_samples(ledger::Ledger& ledger, const ingest::StatusLineInput& in, Instant now) {
  ledger::IngestBatch batch;
  auto add = [&](const std::optional<ingest::RateWindow>& w, const char* name) {
    if (!w || !w->used_percent) {
      return;
    }
    auto latest = ledger.latest_limit_sample(name);
    if (latest && *latest && (*latest)->source == "statusline" &&
        (*latest)->used_percent == w->used_percent &&
        (*latest)->resets_at_epoch_s == w->resets_at_epoch_s) {
      return;  // Unchanged: one row per change, not per refresh.
    }
    batch.limit_samples.push_back(
        {now, "statusline", name, w->used_percent, w->resets_at_epoch_s, in.session_id});
  };
  add(in.five_hour, "five_hour");
  add(in.seven_day, "seven_day");
  return ledger.commit(batch);
}

// Catches up this session's transcript. Catch-ups run one at a time: a call that finds one
// running waits for it (it may be reading this very transcript), then catches up what is left,
// so it never shows numbers older than the transcript it was handed, and fifty windows at once
// never run fifty catch-ups at once. After kLockWait it answers from the ledger as it is.
void catch_up_session(ledger::Ledger& ledger, const std::string& ledger_path,
                      const std::string& transcript) {
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
  std::optional<analytics::Block> active_block;
};

Result<Figures> compute(const ledger::Ledger& ledger, const TimeZone& zone, Instant now) {
  Figures f;
  DateKey today = zone.local_date(now);
  analytics::ReportOptions ro;
  ro.mode = analytics::CostMode::kCalculate;
  ro.zone = zone;
  ro.since = today;
  ro.until = today;
  analytics::ReportBuilder daily(ro);
  ledger::RequestQuery q;
  q.from = zone.start_of_day(today) - std::chrono::hours(24);
  q.to = now + std::chrono::hours(48);
  if (auto s = ledger.for_each_rollup(q, analytics::CostMode::kAuto,
                                      [&](const analytics::RequestRow& row) { daily.add(row); });
      !s) {
    return tl::unexpected(s.error());
  }
  f.today = daily.finish().totals.cost;

  analytics::BlocksOptions bo;
  bo.now = now;
  bo.zone = zone;
  bo.active_only = true;
  analytics::BlocksBuilder blocks(bo);
  ledger::RequestQuery recent;
  recent.from = now - std::chrono::hours(24);
  if (auto s = ledger.for_each_request(recent,
                                       [&](const analytics::RequestRow& row) { blocks.add(row); });
      !s) {
    return tl::unexpected(s.error());
  }
  auto report = blocks.finish();
  if (!report.blocks.empty()) {
    f.active_block = report.blocks.front();
  }
  return f;
}

std::string render_line(const ingest::StatusLineInput& in, const Figures& f,
                        const std::optional<ingest::RateWindow>& five,
                        const std::optional<ingest::RateWindow>& seven, Instant now, bool colour) {
  std::vector<std::string> parts;
  std::string model = !in.model_display_name.empty() ? in.model_display_name : in.model_id;
  if (!model.empty()) {
    parts.push_back(model);
  }
  if (in.session_cost_usd) {
    parts.push_back(money(*in.session_cost_usd) + " session");
  }
  parts.push_back(money(f.today) + " today");
  if (five) {
    std::string text = "5h " + colour_percent(*five->used_percent, colour);
    if (five->resets_at_epoch_s) {
      text += " ↻" + duration_until(*five->resets_at_epoch_s, now);
    }
    parts.push_back(text);
  } else if (f.active_block) {
    // No official figure: the block as ccusage computes it, marked as an estimate.
    auto left =
        std::chrono::floor<std::chrono::seconds>(f.active_block->end).time_since_epoch().count();
    parts.push_back(
        fmt::format("5h~ {} ↻{}", money(f.active_block->cost), duration_until(left, now)));
  }
  if (seven) {
    parts.push_back("7d " + colour_percent(*seven->used_percent, colour));
  }
  if (f.active_block && f.active_block->burn_rate) {
    parts.push_back(money(f.active_block->burn_rate->cost_per_hour_usd) + "/h");
  }
  std::optional<double> context = in.context_used_percent;
  if (!context && in.context_tokens && in.context_window_size && *in.context_window_size > 0) {
    context = 100.0 * static_cast<double>(*in.context_tokens) /
              static_cast<double>(*in.context_window_size);
  }
  if (context) {
    parts.push_back("ctx " + colour_percent(*context, colour));
  }
  std::string line;
  for (const auto& p : parts) {
    line += line.empty() ? p : " │ " + p;
  }
  return line;
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
  auto zone = TimeZone::locate(o.timezone);
  if (!zone) {
    return fail_soft(zone.error().message);
  }
  auto prices = load_price_table();
  if (!prices) {
    return fail_soft(prices.error().message);
  }
  std::string ledger_path = o.ledger_path.empty() ? ledger::Ledger::default_path() : o.ledger_path;
  auto ledger = ledger::Ledger::open(ledger_path, *prices);
  if (!ledger) {
    return fail_soft(ledger.error().message);
  }
  Instant now = now_instant();
  if (auto s = record_samples(*ledger, *in, now); !s) {
    log_reason("recording limits failed: " + s.error().message);
  }
  catch_up_session(*ledger, ledger_path, in->transcript_path);
  auto figures = compute(*ledger, *zone, now);
  if (!figures) {
    return fail_soft(figures.error().message);
  }
  bool colour = o.color.value_or(env_or("NO_COLOR", "").empty());
  auto five = official_window(in->five_hour, *ledger, "five_hour", now);
  auto seven = official_window(in->seven_day, *ledger, "seven_day", now);
  fmt::print("{}\n", render_line(*in, *figures, five, seven, now, colour));
  return 0;
}

}  // namespace ccgauge::cli

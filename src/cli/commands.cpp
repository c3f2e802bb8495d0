#include "cli/commands.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <unordered_map>

#include "analytics/blocks.h"
#include "cli/environment.h"
#include "cli/render.h"
#include "core/time.h"
#include "ingest/oauth/usage_client.h"
#include "ingest/transcripts/catch_up.h"
#include "ledger/ledger.h"
#include "ledger/limits_reader.h"
#include "pricing/price_table.h"

namespace ccgauge::cli {
namespace {

using Clock = std::chrono::steady_clock;

void print_error(std::string_view message) { fmt::print(stderr, "ccgauge: error: {}\n", message); }

// Everything a report needs, caught up. Not movable: the ledger points at `prices`.
struct Context {
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  // A first catch-up's bulk load ends after the report is out: the ledger is closed, and a
  // child process builds its indexes and checkpoints (a fifth of a cold run's time).
  ~Context() {
    if (ledger && ledger->in_bulk_load()) {
      std::string path = ledger->path();
      ledger.reset();
      ledger::checkpoint_in_background(path);
    }
  }

  TimeZone zone = TimeZone::utc();
  pricing::PriceTable prices;
  std::optional<ledger::Ledger> ledger;
  std::vector<std::string> config_dirs;
  ingest::CatchUpStats stats;
};

class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()) {}
  ~ProgressLine() {
    if (shown_) {
      fmt::print(stderr, "\r\033[K");
    }
  }
  void update(const ingest::CatchUpProgress& p) {
    if (!enabled_ || Clock::now() - start_ < std::chrono::milliseconds(500)) {
      return;
    }
    shown_ = true;
    fmt::print(stderr, "\r\033[Kccgauge: reading transcripts {}/{} files, {}/{} MB", p.files_done,
               p.files_total, p.bytes_done >> 20, p.bytes_total >> 20);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  Clock::time_point start_;
};

void report_catch_up(const Context& ctx, bool verbose) {
  for (const auto& problem : ctx.stats.problems) {
    fmt::print(stderr, "ccgauge: warning: cannot read {}: {}\n", problem.path, problem.reason);
  }
  if (ctx.stats.malformed_lines == 0) {
    return;
  }
  if (verbose) {
    for (const auto& m : ctx.stats.malformed) {
      fmt::print(stderr, "ccgauge: malformed line {}:{}: {}\n", m.path, m.line, m.reason);
    }
  }
  fmt::print(stderr, "ccgauge: skipped {} malformed line(s) in the new transcript data{}\n",
             ctx.stats.malformed_lines,
             verbose ? "" : " (run with --verbose, or `ccgauge doctor`, to see where)");
}

Result<std::unique_ptr<Context>> prepare(const CommonOptions& o) {
  auto ctx = std::make_unique<Context>();
  auto zone = TimeZone::locate(o.timezone);
  if (!zone) {
    return tl::unexpected(zone.error());
  }
  ctx->zone = *zone;
  auto prices = load_price_table();
  if (!prices) {
    return tl::unexpected(prices.error());
  }
  ctx->prices = std::move(*prices);
  auto dirs = ingest::find_config_dirs(ingest::Environment::from_process());
  if (!dirs) {
    return tl::unexpected(dirs.error());
  }
  ctx->config_dirs = std::move(*dirs);
  std::string ledger_path = o.ledger_path.empty() ? ledger::Ledger::default_path() : o.ledger_path;
  auto ledger = ledger::Ledger::open(ledger_path, ctx->prices);
  if (!ledger) {
    return tl::unexpected(ledger.error());
  }
  ctx->ledger.emplace(std::move(*ledger));
  if (ctx->config_dirs.empty()) {
    fmt::print(stderr,
               "ccgauge: no Claude Code data found (looked in $XDG_CONFIG_HOME/claude and "
               "~/.claude; set CLAUDE_CONFIG_DIR to point elsewhere, or try `ccgauge demo`)\n");
    return ctx;
  }
  ProgressLine progress;
  ingest::CatchUpOptions options;
  options.config_dirs = ctx->config_dirs;
  options.threads = o.threads;
  options.on_progress = [&progress](const ingest::CatchUpProgress& p) { progress.update(p); };
  options.end_bulk_load = false;  // ~Context
  auto stats = ingest::catch_up(*ctx->ledger, options);
  if (!stats) {
    return tl::unexpected(stats.error());
  }
  ctx->stats = std::move(*stats);
  return ctx;
}

bool use_color(const CommonOptions& o) {
  if (o.color) {
    return *o.color;
  }
  if (!env_or("NO_COLOR", "").empty()) {
    return false;
  }
  std::string force = env_or("FORCE_COLOR", "");
  if (!force.empty()) {
    return force != "0" && force != "false";
  }
  return ::isatty(STDOUT_FILENO) == 1;
}

int terminal_width() {
  struct winsize ws {};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
      ws.ws_col > 0) {
    return ws.ws_col;
  }
  std::string columns = env_or("COLUMNS", "");
  int width = std::atoi(columns.c_str());
  return width > 0 ? width : 120;
}

RenderOptions render_options(const CommonOptions& o, const Context& ctx, int compact_below) {
  RenderOptions r;
  r.color = use_color(o);
  r.terminal_width = terminal_width();
  r.compact = o.compact || (::isatty(STDOUT_FILENO) == 1 && r.terminal_width < compact_below);
  r.breakdown = o.breakdown;
  r.no_cost = o.no_cost;
  r.zone = ctx.zone;
  r.order = o.order == "desc" ? analytics::Order::kDesc : analytics::Order::kAsc;
  return r;
}

analytics::CostMode cost_mode(const std::string& mode) {
  return parse_cost_mode(mode).value_or(analytics::CostMode::kAuto);
}

analytics::Order order_of(const std::string& order) {
  return parse_order(order).value_or(analytics::Order::kAsc);
}

// `--project P` matches the project's path, its last component, or Claude's encoded directory
// name for it (every character that is not a letter or digit becomes '-').
class ProjectFilter {
 public:
  explicit ProjectFilter(std::optional<std::string> wanted) : wanted_(std::move(wanted)) {}
  bool keeps(const std::string& project) {
    if (!wanted_) {
      return true;
    }
    auto it = cache_.find(project);
    if (it != cache_.end()) {
      return it->second;
    }
    bool match =
        project == *wanted_ || basename(project) == *wanted_ || encode(project) == *wanted_;
    cache_.emplace(project, match);
    return match;
  }

 private:
  static std::string basename(const std::string& path) {
    auto slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }
  static std::string encode(const std::string& path) {
    std::string out = path;
    for (char& c : out) {
      if (!std::isalnum(static_cast<unsigned char>(c))) {
        c = '-';
      }
    }
    return out;
  }
  std::optional<std::string> wanted_;
  std::unordered_map<std::string, bool> cache_;
};

// The instants that bound the local dates [since, until], widened by a day on each side so a
// zone change never cuts a day short; the report filters exact local dates itself.
ledger::RequestQuery query_for(const TimeZone& zone, std::optional<DateKey> since,
                               std::optional<DateKey> until) {
  ledger::RequestQuery q;
  if (since) {
    q.from = zone.start_of_day(*since) - std::chrono::hours(24);
  }
  if (until) {
    q.to = zone.start_of_day(*until) + std::chrono::hours(48);
  }
  return q;
}

void warn_missing_pricing(const std::vector<std::string>& models) {
  if (models.empty()) {
    return;
  }
  std::string list;
  for (const auto& m : models) {
    list += list.empty() ? m : ", " + m;
  }
  fmt::print(stderr,
             "ccgauge: warning: no price for model(s) {}; their cost counts as $0 (add them to "
             "{}/pricing.json)\n",
             list, ccgauge_config_dir());
}

int run_session_detail(Context& ctx, const CommonOptions& o, const std::string& id) {
  auto detail = build_session_detail(*ctx.ledger, id, cost_mode(o.mode));
  if (!detail) {
    print_error(detail.error().message);
    return 1;
  }
  std::vector<std::string> unpriced;
  if (*detail) {
    for (const auto& row : (*detail)->entries) {
      if (!row.priced &&
          std::find(unpriced.begin(), unpriced.end(), row.model) == unpriced.end()) {
        unpriced.push_back(row.model);
      }
    }
  }
  warn_missing_pricing(unpriced);
  RenderOptions r = render_options(o, ctx, 100);
  const analytics::SessionDetail* found = *detail ? &**detail : nullptr;
  switch (o.format) {
    case OutputFormat::kJson:
      write_stdout(render_session_detail_json(found, r));
      break;
    case OutputFormat::kCsv:
    case OutputFormat::kTable:
      if (found == nullptr) {
        fmt::print(stderr, "ccgauge: no session with id {}\n", id);
        return 0;
      }
      write_stdout(render_session_detail_table(*found, r));
      break;
  }
  return 0;
}

}  // namespace

int run_period_report(analytics::PeriodKind kind, const CommonOptions& o,
                      const std::string& start_of_week,
                      const std::optional<std::string>& session_id) {
  auto since = date_option(o.since);
  auto until = date_option(o.until);
  if (!since || !until) {
    print_error((!since ? since.error() : until.error()).message);
    return 1;
  }
  auto ctx = prepare(o);
  if (!ctx) {
    print_error(ctx.error().message);
    return 1;
  }
  report_catch_up(**ctx, o.verbose);
  Context& c = **ctx;
  if (session_id) {
    return run_session_detail(c, o, *session_id);
  }
  PeriodQuery query;
  query.kind = kind;
  query.since = *since;
  query.until = *until;
  query.mode = cost_mode(o.mode);
  query.order = order_of(o.order);
  query.zone = c.zone;
  query.instances = o.instances;
  query.project = o.project;
  query.host = o.host;
  query.user = o.user;
  query.start_of_week = parse_weekday(start_of_week).value_or(std::chrono::Sunday);
  auto built = build_period_report(*c.ledger, query);
  if (!built) {
    print_error(built.error().message);
    return 1;
  }
  analytics::PeriodReport report = std::move(*built);
  warn_missing_pricing(report.missing_pricing);
  RenderOptions r = render_options(o, c, 100);
  switch (o.format) {
    case OutputFormat::kJson:
      write_stdout(render_period_json(report, r));
      break;
    case OutputFormat::kCsv:
      write_stdout(render_period_csv(report, r));
      break;
    case OutputFormat::kTable:
      if (report.rows.empty()) {
        fmt::print(stderr, "No Claude Code usage found{}.\n",
                   (o.since || o.until) ? " in that date range" : "");
        return 0;
      }
      write_stdout(render_period_table(report, r));
      break;
  }
  return 0;
}

int run_blocks_report(const CommonOptions& o, const BlocksCommandOptions& b) {
  auto since = date_option(o.since);
  auto until = date_option(o.until);
  if (!since || !until) {
    print_error((!since ? since.error() : until.error()).message);
    return 1;
  }
  analytics::BlocksOptions bo;
  if (b.token_limit) {
    auto limit = parse_token_limit(*b.token_limit);
    if (!limit) {
      print_error("--token-limit " + limit.error().message);
      return 1;
    }
    bo.token_limit = limit->tokens;
    bo.token_limit_max = limit->max;
  }
  if (b.session_length_hours <= 0) {
    print_error("--session-length must be positive");
    return 1;
  }
  auto ctx = prepare(o);
  if (!ctx) {
    print_error(ctx.error().message);
    return 1;
  }
  report_catch_up(**ctx, o.verbose);
  Context& c = **ctx;
  bo.mode = cost_mode(o.mode);
  bo.order = order_of(o.order);
  bo.zone = c.zone;
  bo.since = *since;
  bo.until = *until;
  bo.active_only = b.active;
  bo.recent_only = b.recent;
  bo.session_length_hours = b.session_length_hours;
  bo.now = now_instant();
  auto built = build_blocks_report(*c.ledger, bo, o.project);
  if (!built) {
    print_error(built.error().message);
    return 1;
  }
  analytics::BlocksReport report = std::move(*built);
  warn_missing_pricing(report.missing_pricing);
  RenderOptions r = render_options(o, c, 120);
  switch (o.format) {
    case OutputFormat::kJson:
      write_stdout(render_blocks_json(report, r));
      break;
    case OutputFormat::kCsv:
      write_stdout(render_blocks_csv(report, r));
      break;
    case OutputFormat::kTable:
      if (report.blocks.empty()) {
        fmt::print(stderr, "{}\n", b.active ? "No active block." : "No Claude Code usage found.");
        return 0;
      }
      write_stdout(render_blocks_table(report, r));
      break;
  }
  return 0;
}

int run_doctor(const CommonOptions& o) {
  auto ctx = prepare(o);
  if (!ctx) {
    print_error(ctx.error().message);
    return 1;
  }
  Context& c = **ctx;
  std::string out;
  out += fmt::format("time zone        {}\n", c.zone.name());
  out += fmt::format("ledger           {}\n", c.ledger->path());
  if (c.config_dirs.empty()) {
    out +=
        "claude data      none found ($XDG_CONFIG_HOME/claude, ~/.claude; set CLAUDE_CONFIG_DIR)\n";
  }
  for (const auto& dir : c.config_dirs) {
    out += fmt::format("claude data      {}/projects\n", dir);
  }
  out += fmt::format("transcripts      {} files; this run read {} new bytes from {} files\n",
                     c.stats.files_seen, c.stats.bytes_read, c.stats.files_read);
  auto stats = c.ledger->stats();
  if (stats) {
    out += fmt::format("requests         {} deduped requests in the ledger", stats->requests);
    if (stats->first) {
      out += fmt::format(" ({} .. {})", format_iso_ms(*stats->first), format_iso_ms(*stats->last));
    }
    out += "\n";
    out += fmt::format("malformed lines  {}\n", stats->malformed_lines);
  }
  auto malformed = c.ledger->malformed_lines(200);
  if (malformed) {
    for (const auto& m : *malformed) {
      out += fmt::format("  {}:{}: {}\n", m.path, m.line, m.reason);
    }
  }
  for (const auto& problem : c.stats.problems) {
    out += fmt::format("unreadable       {}: {}\n", problem.path, problem.reason);
  }
  // Models without a price, over the whole ledger.
  std::vector<std::string> unpriced;
  (void)c.ledger->for_each_request({}, [&](const analytics::RequestRow& row) {
    if (!row.priced && std::find(unpriced.begin(), unpriced.end(), row.model) == unpriced.end()) {
      unpriced.push_back(row.model);
    }
  });
  out += fmt::format("unpriced models  {}\n",
                     unpriced.empty() ? "none" : fmt::format("{}", fmt::join(unpriced, ", ")));
  write_stdout(out);
  return 0;
}

namespace {

volatile std::sig_atomic_t g_stop_watch = 0;

// --oauth-usage: asks Anthropic's usage endpoint (at most once a minute, with back-off, shared
// by every process through a cache) and records the readings. Failures are reported on stderr
// and leave the other sources to answer.
void poll_oauth_usage(ledger::Ledger& ledger) {
  ingest::oauth::UsageOptions options;
  options.url = env_or("CCGAUGE_OAUTH_USAGE_URL", std::string(ingest::oauth::kDefaultUsageUrl));
  options.credentials_file =
      std::filesystem::path(claude_settings_path()).parent_path() / ".credentials.json";
  options.cache_file = std::filesystem::path(env_or(
                           "XDG_STATE_HOME", env_or("HOME", ".") + "/.local/state")) /
                       "ccgauge/oauth-usage.json";
  options.user_agent = "ccgauge/" CCG_VERSION;
  options.now = now_instant();
  auto result = ingest::oauth::poll_usage(options);
  if (!result) {
    fmt::print(stderr, "ccgauge: warning: OAuth usage: {}\n", result.error().message);
    return;
  }
  if (!result->note.empty()) {
    fmt::print(stderr, "ccgauge: OAuth usage: {}\n", result->note);
  }
  ledger::IngestBatch batch;
  for (LimitSample& sample : result->samples) {
    batch.limit_samples.push_back(std::move(sample));
  }
  if (auto s = ledger.commit(batch); !s) {
    fmt::print(stderr, "ccgauge: warning: recording OAuth usage: {}\n", s.error().message);
  }
}

void on_watch_signal(int) { g_stop_watch = 1; }

}  // namespace

int run_limits(const CommonOptions& o, const LimitsCommandOptions& l) {
  auto plan = load_plan(l.plan);
  if (!plan) {
    print_error(plan.error().message);
    return 1;
  }
  if (l.watch && !(l.interval_seconds >= 0.2)) {
    print_error("--interval must be at least 0.2 seconds");
    return 1;
  }
  auto ctx = prepare(o);
  if (!ctx) {
    print_error(ctx.error().message);
    return 1;
  }
  report_catch_up(**ctx, o.verbose);
  Context& c = **ctx;
  RenderOptions r = render_options(o, c, 0);
  auto compute = [&]() -> Result<std::string> {
    if (l.oauth_usage) {
      poll_oauth_usage(*c.ledger);
    }
    ledger::LimitsQuery q;
    q.now = now_instant();
    q.plan = *plan;
    auto report = ledger::read_limits(*c.ledger, q);
    if (!report) {
      return tl::unexpected(report.error());
    }
    return o.format == OutputFormat::kJson ? render_limits_json(*report)
                                           : render_limits_text(*report, r);
  };
  if (!l.watch) {
    auto text = compute();
    if (!text) {
      print_error(text.error().message);
      return 1;
    }
    write_stdout(*text);
    return 0;
  }
  // --watch: redraw in place (cursor home, each line cleared as it is rewritten, the rest of the
  // screen cleared after), catching up the transcripts before each frame. Ctrl-C ends it.
  std::signal(SIGINT, on_watch_signal);
  std::signal(SIGTERM, on_watch_signal);
  bool tty = ::isatty(STDOUT_FILENO) == 1;
  auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(l.interval_seconds * 1000));
  while (g_stop_watch == 0) {
    ingest::CatchUpOptions options;
    options.config_dirs = c.config_dirs;
    options.threads = o.threads;
    if (!c.config_dirs.empty()) {
      if (auto stats = ingest::catch_up(*c.ledger, options); !stats) {
        print_error(stats.error().message);
        return 1;
      }
    }
    auto text = compute();
    if (!text) {
      print_error(text.error().message);
      return 1;
    }
    if (tty) {
      std::string frame = "\033[H";
      std::size_t start = 0;
      while (start < text->size()) {
        std::size_t end = text->find('\n', start);
        if (end == std::string::npos) {
          end = text->size();
        }
        frame.append(*text, start, end - start);
        frame += "\033[K\n";
        start = end + 1;
      }
      frame += "\033[J";
      std::fwrite(frame.data(), 1, frame.size(), stdout);
      std::fflush(stdout);
    } else {
      write_stdout(*text);
      write_stdout("\n");
    }
    auto until = Clock::now() + interval;
    while (g_stop_watch == 0 && Clock::now() < until) {
      ::usleep(50'000);
    }
  }
  return 0;
}

// ---- Reports as values (commands.h) ----

Result<analytics::CostMode> parse_cost_mode(std::string_view text) {
  if (text == "auto") {
    return analytics::CostMode::kAuto;
  }
  if (text == "calculate") {
    return analytics::CostMode::kCalculate;
  }
  if (text == "display") {
    return analytics::CostMode::kDisplay;
  }
  return fail(Errc::kInvalidInput,
              fmt::format("'{}' is not a cost mode (auto, calculate or display)", text));
}

Result<analytics::Order> parse_order(std::string_view text) {
  if (text == "asc") {
    return analytics::Order::kAsc;
  }
  if (text == "desc") {
    return analytics::Order::kDesc;
  }
  return fail(Errc::kInvalidInput, fmt::format("'{}' is not an order (asc or desc)", text));
}

Result<std::chrono::weekday> parse_weekday(std::string_view text) {
  static const char* const kNames[] = {"sunday",   "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday"};
  for (unsigned day_idx = 0; day_idx < 7; ++day_idx) {
    if (text == kNames[day_idx]) {
      return std::chrono::weekday(day_idx);
    }
  }
  return fail(Errc::kInvalidInput,
              fmt::format("'{}' is not a day of the week (sunday, monday, ... saturday)", text));
}

Result<TokenLimit> parse_token_limit(std::string_view text) {
  TokenLimit limit;
  if (text == "max") {
    limit.max = true;
    return limit;
  }
  std::string copy(text);
  char* end = nullptr;
  long long n = std::strtoll(copy.c_str(), &end, 10);
  if (end == copy.c_str() || *end != '\0' || n <= 0) {
    return fail(Errc::kInvalidInput, fmt::format("'{}' must be a positive number or max", text));
  }
  limit.tokens = n;
  return limit;
}

Result<analytics::PeriodReport> build_period_report(const ledger::Ledger& ledger,
                                                    const PeriodQuery& query) {
  analytics::ReportOptions ro;
  ro.kind = query.kind;
  ro.mode = query.mode;
  ro.order = query.order;
  ro.zone = query.zone;
  ro.since = query.since;
  ro.until = query.until;
  ro.by_project = query.instances && query.kind != analytics::PeriodKind::kSession;
  ro.start_of_week = query.start_of_week;
  // Sessions, and reports for one host or user, need every request; the other periods read the
  // ledger's quarter-hour sums, which carry the cost under the chosen mode already.
  bool per_request = query.kind == analytics::PeriodKind::kSession || query.host || query.user;
  if (!per_request) {
    ro.mode = analytics::CostMode::kCalculate;
  }
  analytics::ReportBuilder builder(ro);
  ProjectFilter filter(query.project);
  auto add = [&](const analytics::RequestRow& row) {
    if (filter.keeps(row.project)) {
      builder.add(row);
    }
  };
  ledger::RequestQuery range = query_for(query.zone, query.since, query.until);
  range.host = query.host;
  range.user = query.user;
  auto status = per_request ? ledger.for_each_request(range, add)
                            : ledger.for_each_rollup(range, query.mode, add);
  if (!status) {
    return tl::unexpected(status.error());
  }
  return builder.finish();
}

Result<analytics::BlocksReport> build_blocks_report(const ledger::Ledger& ledger,
                                                    const analytics::BlocksOptions& options,
                                                    const std::optional<std::string>& project) {
  analytics::BlocksBuilder builder(options);
  ProjectFilter filter(project);
  auto status = ledger.for_each_request({}, [&](const analytics::RequestRow& row) {
    if (filter.keeps(row.project)) {
      builder.add(row);
    }
  });
  if (!status) {
    return tl::unexpected(status.error());
  }
  return builder.finish();
}

Result<std::optional<analytics::SessionDetail>> build_session_detail(const ledger::Ledger& ledger,
                                                                     const std::string& session_id,
                                                                     analytics::CostMode mode) {
  analytics::SessionDetail detail;
  detail.session_id = session_id;
  ledger::RequestQuery q;
  q.session_id = session_id;
  auto status = ledger.for_each_request(
      q, [&](const analytics::RequestRow& row) { detail.entries.push_back(row); });
  if (!status) {
    return tl::unexpected(status.error());
  }
  if (detail.entries.empty()) {
    return std::optional<analytics::SessionDetail>();
  }
  std::sort(detail.entries.begin(), detail.entries.end(),
            [](const auto& a, const auto& b) { return a.instant < b.instant; });
  for (const auto& row : detail.entries) {
    Nanodollars cost = analytics::cost_under(row, mode);
    detail.entry_costs.push_back(cost);
    detail.totals.tokens += row.tokens;
    detail.totals.cost += cost;
    ++detail.totals.requests;
    if (detail.project.empty()) {
      detail.project = row.project;
    }
  }
  return std::optional<analytics::SessionDetail>(std::move(detail));
}

}  // namespace ccgauge::cli

// The daemon's machine-facing routes: `/usage` (the contract with the needle-gauge cluster,
// research gauge.md 5), `/metrics` (Prometheus text format) and `/healthz`.

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>

#include "cli/daemon.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "ledger/activity_reader.h"
#include "server/http_server.h"

namespace ccgauge::cli {
namespace {

// The tachometer's red zone (input + output tokens per minute), as the dial is printed.
constexpr double kRedlineTpm = 8000;
// The state is recomputed at least every 15 s; older than this, the daemon calls itself stale.
constexpr auto kStaleAfter = std::chrono::seconds(60);
// A model lamp stays lit this long after the last request.
constexpr auto kModelLampWindow = std::chrono::minutes(5);

std::string iso_seconds(Instant t) {
  std::string iso = format_iso_ms(t);  // 2026-03-02T12:00:00.000Z
  return iso.substr(0, 19) + "Z";
}

std::int64_t seconds_between(Instant from, Instant to) {
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

std::string_view pct_source(const analytics::WindowState& w) {
  if (!w.used_percent) {
    return "unknown";
  }
  return w.used_provenance == analytics::Provenance::kOfficial ? "official" : "local_estimate";
}

// opus, sonnet, haiku or other.
std::string_view model_family(std::string_view model) {
  for (std::string_view family : {"opus", "sonnet", "haiku"}) {
    if (model.find(family) != std::string_view::npos) {
      return family;
    }
  }
  return "other";
}

// Input + output tokens per minute that would just use the rest of the 5-hour window by its
// reset; none without a budget or a reset.
std::optional<double> sustainable_tpm(const analytics::WindowState& w, Instant now) {
  if (!w.resets_at || *w.resets_at <= now || !w.used_percent) {
    return std::nullopt;
  }
  double minutes_left = static_cast<double>((*w.resets_at - now).count()) / 60'000.0;
  std::int64_t io = w.tokens.input + w.tokens.output;
  double remaining_tokens = 0;
  if (w.token_limit && w.used_provenance != analytics::Provenance::kOfficial) {
    remaining_tokens = static_cast<double>(std::max<std::int64_t>(0, *w.token_limit - io));
  } else if (*w.used_percent > 0 && io > 0) {
    // Tokens per percent, as this machine's usage moved the official figure.
    remaining_tokens =
        std::max(0.0, 100.0 - *w.used_percent) * static_cast<double>(io) / *w.used_percent;
  } else {
    return std::nullopt;
  }
  return remaining_tokens / minutes_left;
}

std::string usage_json(const LiveState& s, Instant now) {
  const analytics::WindowState& five = s.limits.five_hour;
  const analytics::WindowState& seven = s.limits.seven_day;
  std::optional<double> sustainable = sustainable_tpm(five, now);
  bool stale = now - s.computed_at > kStaleAfter;
  bool recent_model = s.last_request && now - *s.last_request <= kModelLampWindow;

  std::vector<std::string_view> flags;
  bool approaching = five.used_percent && (*five.used_percent >= 80 ||
                                           (five.exhausted_at && five.resets_at &&
                                            *five.exhausted_at < *five.resets_at));
  bool reached = five.limit_hit || (five.used_percent && *five.used_percent >= 100);
  bool burn_high = s.tpm_io_1m > kRedlineTpm || (sustainable && s.tpm_io_1m > *sustainable);
  if (approaching) {
    flags.push_back("approaching_limit");
  }
  if (reached) {
    flags.push_back("limit_reached");
  }
  if (seven.used_percent && *seven.used_percent >= 80) {
    flags.push_back("weekly_approaching");
  }
  if (burn_high) {
    flags.push_back("burn_rate_high");
  }
  if (stale) {
    flags.push_back("daemon_stale");
  }

  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("schema").value(1);
  w.key("seq").value(static_cast<std::int64_t>(s.seq));
  w.key("generated_at").value(iso_seconds(now));
  w.key("poll_hint_ms").value(1000);
  auto window = [&](const analytics::WindowState& win, bool tokens) {
    w.begin_object();
    w.key("used_pct");
    win.used_percent ? w.value(std::round(*win.used_percent * 10) / 10) : w.null();
    w.key("pct_source").value(pct_source(win));
    if (tokens) {
      w.key("used_tokens").value(win.tokens.input + win.tokens.output);
      w.key("limit_tokens");
      win.token_limit && win.used_provenance != analytics::Provenance::kOfficial
          ? w.value(*win.token_limit)
          : w.null();
    }
    w.key("resets_at");
    win.resets_at ? w.value(iso_seconds(*win.resets_at)) : w.null();
    w.key("resets_in_s");
    win.resets_at ? w.value(seconds_between(now, *win.resets_at)) : w.null();
    w.end_object();
  };
  w.key("five_hour");
  window(five, true);
  w.key("seven_day");
  window(seven, false);
  w.key("tpm").begin_object();
  w.key("value").value(static_cast<std::int64_t>(std::llround(s.tpm_io_1m)));
  w.key("basis").value("io");
  w.key("window_s").value(60);
  w.key("redline").value(static_cast<std::int64_t>(kRedlineTpm));
  w.key("sustainable");
  sustainable ? w.value(static_cast<std::int64_t>(std::llround(*sustainable))) : w.null();
  w.end_object();
  w.key("model");
  recent_model ? w.value(model_family(s.last_model)) : w.null();
  w.key("model_id");
  s.last_model.empty() ? w.null() : w.value(s.last_model);
  w.key("flags").begin_array();
  for (std::string_view f : flags) {
    w.value(f);
  }
  w.end_array();
  w.key("source_age_s").value(s.last_request ? seconds_between(*s.last_request, now)
                                             : seconds_between(s.computed_at, now));
  // claude-gauge's flat keys (research peers.md 2.5): fractions 0..1, booleans.
  w.key("rate_1m").value(static_cast<std::int64_t>(std::llround(s.tpm_io_1m)));
  w.key("window_5h_pct");
  five.used_percent ? w.value(std::round(*five.used_percent * 10) / 1000) : w.null();
  w.key("last_model");
  s.last_model.empty() ? w.null() : w.value(model_family(s.last_model));
  w.key("hot").value(s.tpm_io_1m > kRedlineTpm);
  w.key("warn").value(approaching || (seven.used_percent && *seven.used_percent >= 80));
  w.key("stall").value(stale);
  w.key("idle").value(!recent_model);
  w.key("updated_at").value(iso_seconds(s.computed_at));
  w.end_object();
  return w.take();
}

// Prometheus label value escaping: backslash, double quote and newline.
std::string label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  std::string s = fmt::format("{}", v);
  return s == "-0" ? "0" : s;
}

struct MetricsCache {
  std::mutex mutex;
  std::uint64_t seq = UINT64_MAX;
  std::string counters;  // the ledger-derived counters of that state
};

std::string counters_text(ledger::Ledger& reader) {
  struct Key {
    std::string project, model;
    bool operator<(const Key& o) const { return std::tie(project, model) < std::tie(o.project, o.model); }
  };
  std::map<Key, analytics::RequestRow> rows;
  // One row per (project, model) already; the map sorts them for a stable exposition.
  auto status = reader.for_each_total(
      [&](const analytics::RequestRow& row) { rows[Key{row.project, row.model}] = row; });
  if (!status) {
    return fmt::format("# ledger read failed: {}\n", status.error().message);
  }
  std::string out;
  out += "# HELP ccgauge_tokens_total Tokens of deduplicated Claude Code API requests.\n";
  out += "# TYPE ccgauge_tokens_total counter\n";
  for (const auto& [k, r] : rows) {
    const std::pair<const char*, std::int64_t> types[] = {
        {"input", r.tokens.input},
        {"output", r.tokens.output},
        {"cache_creation_5m", r.tokens.cache_write_5m},
        {"cache_creation_1h", r.tokens.cache_write_1h},
        {"cache_read", r.tokens.cache_read}};
    for (const auto& [type, n] : types) {
      out += fmt::format("ccgauge_tokens_total{{type=\"{}\",model=\"{}\",project=\"{}\"}} {}\n",
                         type, label(k.model), label(k.project), n);
    }
  }
  out += "# HELP ccgauge_cost_usd_total Cost in US dollars (reported cost when present, else "
         "computed at API prices).\n";
  out += "# TYPE ccgauge_cost_usd_total counter\n";
  for (const auto& [k, r] : rows) {
    out += fmt::format("ccgauge_cost_usd_total{{model=\"{}\",project=\"{}\"}} {}\n",
                       label(k.model), label(k.project),
                       number(static_cast<double>(r.computed_cost) / 1e9));
  }
  out += "# HELP ccgauge_requests_total Deduplicated Claude Code API requests.\n";
  out += "# TYPE ccgauge_requests_total counter\n";
  for (const auto& [k, r] : rows) {
    out += fmt::format("ccgauge_requests_total{{model=\"{}\",project=\"{}\"}} {}\n",
                       label(k.model), label(k.project), r.count);
  }
  out += "# HELP ccgauge_server_tool_requests_total Web search and web fetch requests.\n";
  out += "# TYPE ccgauge_server_tool_requests_total counter\n";
  for (const auto& [k, r] : rows) {
    out += fmt::format(
        "ccgauge_server_tool_requests_total{{tool=\"web_search\",model=\"{}\",project=\"{}\"}} "
        "{}\n",
        label(k.model), label(k.project), r.tokens.web_search_requests);
    out += fmt::format(
        "ccgauge_server_tool_requests_total{{tool=\"web_fetch\",model=\"{}\",project=\"{}\"}} "
        "{}\n",
        label(k.model), label(k.project), r.tokens.web_fetch_requests);
  }
  return out;
}

// Tool activity from the hooks, harness events, and Claude Code's OpenTelemetry activity
// (lines of code, commits, pull requests, active time, decisions, tool results, API errors,
// prompts), counted over the whole ledger.
std::string activity_text(const ledger::Ledger& reader) {
  auto counters = ledger::read_activity_counters(reader);
  if (!counters) {
    return fmt::format("# activity read failed: {}\n", counters.error().message);
  }
  // name -> label text -> value, so each family is printed once, in a stable order.
  std::map<std::string, std::map<std::string, double>> families;
  for (const ledger::ActivityCounter& c : counters->events) {
    if (c.key1 == "hook") {
      families["ccgauge_hook_events_total"][fmt::format("event=\"{}\"", label(c.key2))] +=
          c.value;
      if (c.key2 == "PreToolUse") {
        families["ccgauge_tool_calls_total"][fmt::format("tool=\"{}\"", label(c.key3))] +=
            c.value;
      } else if (c.key2 == "PostToolUseFailure") {
        families["ccgauge_tool_failures_total"][fmt::format("tool=\"{}\"", label(c.key3))] +=
            c.value;
      }
    } else {
      families["ccgauge_harness_events_total"][fmt::format("event=\"{}\"", label(c.key2))] +=
          c.value;
    }
  }
  for (const ledger::ActivityCounter& c : counters->points) {
    std::string_view name = c.key1;
    if (name == "claude_code.lines_of_code.count") {
      families["ccgauge_lines_of_code_total"][fmt::format("type=\"{}\"", label(c.key2))] +=
          c.value;
    } else if (name == "claude_code.active_time.total") {
      families["ccgauge_active_time_seconds_total"][fmt::format("type=\"{}\"", label(c.key2))] +=
          c.value;
    } else if (name == "claude_code.code_edit_tool.decision") {
      families["ccgauge_code_edit_decisions_total"]
              [fmt::format("decision=\"{}\"", label(c.key3))] += c.value;
    } else {
      const char* family = name == "claude_code.commit.count"         ? "ccgauge_commits_total"
                           : name == "claude_code.pull_request.count" ? "ccgauge_pull_requests_total"
                                                                      : "ccgauge_cli_sessions_total";
      families[family][""] += c.value;
    }
  }
  for (const ledger::ActivityCounter& c : counters->otel_events) {
    if (c.key1 == "tool_result") {
      families["ccgauge_otel_tool_results_total"]
              [fmt::format("tool=\"{}\",success=\"{}\"", label(c.key2), label(c.key3))] +=
          c.value;
    } else if (c.key1 == "tool_decision") {
      families["ccgauge_tool_decisions_total"]
              [fmt::format("tool=\"{}\",decision=\"{}\"", label(c.key2), label(c.key3))] +=
          c.value;
    } else {
      families[c.key1 == "api_error" ? "ccgauge_api_errors_total" : "ccgauge_prompts_total"][""] +=
          c.value;
    }
  }
  static const std::map<std::string_view, std::string_view> kHelp = {
      {"ccgauge_hook_events_total", "Claude Code hook events recorded, by event."},
      {"ccgauge_tool_calls_total", "Tool calls seen by the hooks (PreToolUse), by tool."},
      {"ccgauge_tool_failures_total", "Failed tool calls seen by the hooks, by tool."},
      {"ccgauge_harness_events_total", "Harness run events recorded, by event."},
      {"ccgauge_lines_of_code_total", "Lines of code added and removed (OpenTelemetry)."},
      {"ccgauge_active_time_seconds_total", "Active time, user and cli (OpenTelemetry)."},
      {"ccgauge_code_edit_decisions_total", "Edit permission decisions (OpenTelemetry)."},
      {"ccgauge_commits_total", "Git commits made by Claude Code (OpenTelemetry)."},
      {"ccgauge_pull_requests_total", "Pull requests made by Claude Code (OpenTelemetry)."},
      {"ccgauge_cli_sessions_total", "Claude Code sessions started (OpenTelemetry)."},
      {"ccgauge_otel_tool_results_total", "Tool results reported by OpenTelemetry, by tool."},
      {"ccgauge_tool_decisions_total", "Tool permission decisions (OpenTelemetry)."},
      {"ccgauge_api_errors_total", "API errors (OpenTelemetry)."},
      {"ccgauge_prompts_total", "User prompts (OpenTelemetry)."},
  };
  std::string out;
  for (const auto& [name, series] : families) {
    auto help = kHelp.find(name);
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name,
                       help != kHelp.end() ? help->second : "", name);
    for (const auto& [labels, value] : series) {
      out += labels.empty() ? fmt::format("{} {}\n", name, number(value))
                            : fmt::format("{}{{{}}} {}\n", name, labels, number(value));
    }
  }
  return out;
}

std::string gauges_text(const LiveState& s, const IngestHealth& h, const server::LiveHubStats& hub,
                        Instant now) {
  std::string out;
  auto gauge = [&](const char* name, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
  };
  const analytics::WindowState* windows[] = {&s.limits.five_hour, &s.limits.seven_day};
  gauge("ccgauge_limit_used_percent",
        "Use of the window, 0-100, with its provenance (official, plan, estimate).");
  for (const auto* w : windows) {
    if (w->used_percent) {
      out += fmt::format("ccgauge_limit_used_percent{{window=\"{}\",provenance=\"{}\"}} {}\n",
                         w->window, analytics::provenance_name(w->used_provenance),
                         number(*w->used_percent));
    }
  }
  gauge("ccgauge_limit_resets_at_seconds", "When the window resets, Unix seconds.");
  for (const auto* w : windows) {
    if (w->resets_at) {
      out += fmt::format("ccgauge_limit_resets_at_seconds{{window=\"{}\",provenance=\"{}\"}} {}\n",
                         w->window, analytics::provenance_name(w->reset_provenance),
                         std::chrono::floor<std::chrono::seconds>(*w->resets_at)
                             .time_since_epoch()
                             .count());
    }
  }
  gauge("ccgauge_limit_exhaustion_at_seconds",
        "When the window would be used up at the current burn rate (only when before its reset), "
        "Unix seconds.");
  for (const auto* w : windows) {
    if (w->exhausted_at) {
      out += fmt::format("ccgauge_limit_exhaustion_at_seconds{{window=\"{}\"}} {}\n", w->window,
                         std::chrono::floor<std::chrono::seconds>(*w->exhausted_at)
                             .time_since_epoch()
                             .count());
    }
  }
  gauge("ccgauge_limit_sustainable_percent_per_hour",
        "The burn rate that would just last until the window's reset, percent per hour.");
  for (const auto* w : windows) {
    if (w->sustainable_percent_per_hour) {
      out += fmt::format("ccgauge_limit_sustainable_percent_per_hour{{window=\"{}\"}} {}\n",
                         w->window, number(*w->sustainable_percent_per_hour));
    }
  }
  gauge("ccgauge_burn_rate_usd_per_hour",
        "Spend rate over the last 10 minutes (interval=recent) and over the 5-hour window.");
  out += fmt::format("ccgauge_burn_rate_usd_per_hour{{interval=\"recent\"}} {}\n",
                     number(s.limits.five_hour.recent_rate.cost_per_hour_usd));
  out += fmt::format("ccgauge_burn_rate_usd_per_hour{{interval=\"window\"}} {}\n",
                     number(s.limits.five_hour.window_rate.cost_per_hour_usd));
  gauge("ccgauge_burn_rate_tokens_per_minute",
        "Token rate (all buckets) over the last 10 minutes and over the 5-hour window.");
  out += fmt::format("ccgauge_burn_rate_tokens_per_minute{{interval=\"recent\"}} {}\n",
                     number(s.limits.five_hour.recent_rate.tokens_per_minute));
  out += fmt::format("ccgauge_burn_rate_tokens_per_minute{{interval=\"window\"}} {}\n",
                     number(s.limits.five_hour.window_rate.tokens_per_minute));
  gauge("ccgauge_tokens_per_minute_io", "Input + output tokens in the last 60 seconds.");
  out += fmt::format("ccgauge_tokens_per_minute_io {}\n", number(s.tpm_io_1m));
  gauge("ccgauge_active_sessions", "Sessions with a request in the last 30 minutes.");
  out += fmt::format("ccgauge_active_sessions {}\n", s.active_sessions.size());
  gauge("ccgauge_today_cost_usd", "Cost today, in the daemon's time zone.");
  out += fmt::format("ccgauge_today_cost_usd {}\n", number(static_cast<double>(s.today_cost) / 1e9));
  gauge("ccgauge_state_age_seconds", "Seconds since the live state was computed.");
  out += fmt::format("ccgauge_state_age_seconds {}\n",
                     number(static_cast<double>((now - s.computed_at).count()) / 1000.0));
  gauge("ccgauge_websocket_clients", "Connected WebSocket clients.");
  out += fmt::format("ccgauge_websocket_clients {}\n", hub.clients);
  gauge("ccgauge_ingest_degraded", "1 when some transcript directories are rescanned instead of watched.");
  out += fmt::format("ccgauge_ingest_degraded {}\n", h.degraded ? 1 : 0);
  out += "# HELP ccgauge_websocket_dropped_clients_total WebSocket clients closed for falling behind.\n"
         "# TYPE ccgauge_websocket_dropped_clients_total counter\n";
  out += fmt::format("ccgauge_websocket_dropped_clients_total {}\n", hub.dropped_clients);
  out += "# HELP ccgauge_malformed_lines_total Transcript lines that could not be read.\n"
         "# TYPE ccgauge_malformed_lines_total counter\n";
  out += fmt::format("ccgauge_malformed_lines_total {}\n", h.malformed_lines);
  gauge("ccgauge_build_info", "ccgauge's version.");
  out += fmt::format("ccgauge_build_info{{version=\"{}\"}} 1\n", CCG_VERSION);
  return out;
}

}  // namespace

void add_gauge_routes(server::Router& router, DaemonContext& ctx) {
  router.add("GET", "/usage", [&ctx](const server::Request&) {
    server::Response r;
    r.body = usage_json(*ctx.state(), now_instant());
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  });
  auto cache = std::make_shared<MetricsCache>();
  router.add("GET", "/metrics", [&ctx, cache](const server::Request&) {
    auto state = ctx.state();
    std::string counters;
    {
      std::lock_guard<std::mutex> lock(cache->mutex);
      if (cache->seq != state->seq) {
        auto reader = ctx.reader();
        cache->counters = reader ? counters_text(**reader) + activity_text(**reader)
                                 : "# ledger unavailable: " + reader.error().message + "\n";
        cache->seq = state->seq;
      }
      counters = cache->counters;
    }
    server::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = counters + gauges_text(*state, ctx.health(), ctx.hub().stats(), now_instant());
    return r;
  });
  router.add("GET", "/healthz", [&ctx](const server::Request&) {
    server::Response r;
    r.content_type = "text/plain; charset=utf-8";
    auto state = ctx.state();
    bool stale = now_instant() - state->computed_at > kStaleAfter;
    r.status = stale ? 503 : 200;
    r.body = stale ? "stale\n" : "ok\n";
    return r;
  });
}

}  // namespace ccgauge::cli

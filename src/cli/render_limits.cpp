// Renders the limits engine's report as JSON (for scripts and the daemon) and as text.

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "cli/render.h"
#include "cli/render_util.h"
#include "core/json_writer.h"
#include "core/time.h"

namespace ccgauge::cli {
namespace {

using analytics::Provenance;
using analytics::WindowState;

// Rounds to a multiple of `unit` (0.1, 0.01, ...); dividing by the integer scale gives the
// double nearest the decimal, so it prints short.
double round_to(double v, double unit) {
  double scale = std::round(1.0 / unit);
  double r = std::round(v * scale) / scale;
  return r == 0 ? 0.0 : r;  // never -0
}

void optional_instant(JsonWriter& w, std::string_view key, const std::optional<Instant>& t) {
  w.key(key);
  t ? w.value(format_iso_ms(*t)) : w.null();
}

void optional_double(JsonWriter& w, std::string_view key, const std::optional<double>& v,
                     double unit) {
  w.key(key);
  v ? w.value(round_to(*v, unit)) : w.null();
}

void rate_json(JsonWriter& w, const analytics::Rate& r) {
  w.begin_object();
  w.key("tokensPerMinute").value(round_to(r.tokens_per_minute, 0.01));
  w.key("costPerHour").value(round_to(r.cost_per_hour_usd, 0.0001));
  optional_double(w, "percentPerHour", r.percent_per_hour, 0.01);
  w.end_object();
}

void window_json(JsonWriter& w, const WindowState& s, Instant now) {
  w.begin_object();
  w.key("window").value(s.window);
  optional_double(w, "usedPercent", s.used_percent, 0.1);
  w.key("usedProvenance").value(analytics::provenance_name(s.used_provenance));
  w.key("source").value(s.source);
  optional_instant(w, "sampledAt", s.sampled_at);
  w.key("limitHit").value(s.limit_hit);
  optional_instant(w, "windowStart", s.start);
  optional_instant(w, "resetsAt", s.resets_at);
  w.key("resetProvenance").value(analytics::provenance_name(s.reset_provenance));
  w.key("resetsInSeconds");
  if (s.resets_at) {
    w.value(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::seconds>(*s.resets_at - now).count()));
  } else {
    w.null();
  }
  w.key("usage").begin_object();
  w.key("inputTokens").value(s.tokens.input);
  w.key("outputTokens").value(s.tokens.output);
  w.key("cacheCreationTokens").value(s.tokens.cache_creation());
  w.key("cacheReadTokens").value(s.tokens.cache_read);
  w.key("totalTokens").value(s.tokens.total());
  w.key("costUSD").value(detail::usd(s.cost));
  w.key("requests").value(s.requests);
  w.end_object();
  w.key("tokenLimit");
  s.token_limit ? w.value(*s.token_limit) : w.null();
  w.key("costLimitUSD");
  s.cost_limit ? w.value(detail::usd(*s.cost_limit)) : w.null();
  w.key("burnRate").begin_object();
  w.key("recent");
  rate_json(w, s.recent_rate);
  w.key("window");
  rate_json(w, s.window_rate);
  w.end_object();
  w.key("projection").begin_object();
  optional_instant(w, "exhaustedAt", s.exhausted_at);
  w.key("lastsUntilReset").value(!s.exhausted_at && s.used_percent.has_value());
  optional_double(w, "sustainablePercentPerHour", s.sustainable_percent_per_hour, 0.01);
  optional_double(w, "sustainableCostPerHour", s.sustainable_cost_per_hour_usd, 0.0001);
  w.end_object();
  w.end_object();
}

std::string paint(std::string_view text, const char* code, bool color) {
  return color ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
}

const char* percent_colour(double pct) { return pct >= 90 ? "31" : pct >= 70 ? "33" : "32"; }

std::string bar(double pct, int width) {
  int filled = static_cast<int>(std::lround(std::clamp(pct, 0.0, 100.0) / 100.0 * width));
  std::string out;
  for (int i = 0; i < width; ++i) {
    out += i < filled ? "█" : "░";
  }
  return out;
}

std::string local_clock(Instant t, Instant now, const TimeZone& zone) {
  auto local = zone.to_local(t);
  auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::hh_mm_ss<std::chrono::minutes> hms(
      std::chrono::floor<std::chrono::minutes>(local - day));
  std::string clock = fmt::format("{:02}:{:02}", hms.hours().count(), hms.minutes().count());
  if (zone.local_date(t) == zone.local_date(now)) {
    return clock;
  }
  std::chrono::year_month_day ymd{day};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{} {} {}", kMonths[static_cast<unsigned>(ymd.month()) - 1],
                     static_cast<unsigned>(ymd.day()), clock);
}

std::string money(double usd) { return fmt::format("${:.2f}", usd < 0.005 ? 0.0 : usd); }

std::string tokens_text(std::int64_t n) {
  if (n >= 1'000'000) {
    return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  }
  if (n >= 1'000) {
    return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  }
  return std::to_string(n);
}

void window_text(std::string& out, std::string_view title, const WindowState& s, Instant now,
                 const RenderOptions& o) {
  std::string provenance = s.used_provenance == Provenance::kNone
                               ? std::string("local use only")
                               : std::string(analytics::provenance_name(s.used_provenance));
  std::string origin = s.source.empty() ? "" : " · " + s.source;
  if (s.sampled_at) {
    origin += now - *s.sampled_at < std::chrono::minutes(1)
                  ? std::string(" just now")
                  : " " + format_duration_until(now, *s.sampled_at) + " ago";
  }
  out += fmt::format("{}  {}\n", paint(title, "1", o.color),
                     paint(provenance + origin, "2", o.color));
  if (s.used_percent) {
    double pct = *s.used_percent;
    out += fmt::format("  used          {:>5.1f}%  {}{}\n", pct,
                       paint(bar(pct, 24), percent_colour(pct), o.color),
                       s.limit_hit ? paint("  limit reached", "31", o.color) : "");
  } else {
    out += "  used          unknown (no official reading, plan or history to compare with)\n";
  }
  if (s.resets_at) {
    out += fmt::format("  resets        {} (in {})  {}\n", local_clock(*s.resets_at, now, o.zone),
                       format_duration_until(*s.resets_at, now),
                       paint(analytics::provenance_name(s.reset_provenance), "2", o.color));
  } else if (s.window == "five_hour") {
    out += "  resets        no window open: the next request starts one\n";
  } else {
    out += "  window        the last 7 days (reset time unknown)\n";
  }
  out += fmt::format("  this machine  {} · {} tokens · {} requests\n", money(detail::usd(s.cost)),
                     tokens_text(s.tokens.total()), s.requests);
  if (s.token_limit || s.cost_limit) {
    std::string budget;
    if (s.token_limit) {
      budget += tokens_text(*s.token_limit) + " tokens (input+output)";
    }
    if (s.cost_limit) {
      budget += (budget.empty() ? "" : " · ") + money(detail::usd(*s.cost_limit));
    }
    out += fmt::format("  budget        {}\n", budget);
  }
  auto pct_rate = [](const std::optional<double>& p) {
    return p ? fmt::format(" · {:.1f}%/h", *p) : std::string();
  };
  out += fmt::format("  burn rate     {}/h now{} · {}/h over the window{}\n",
                     money(s.recent_rate.cost_per_hour_usd), pct_rate(s.recent_rate.percent_per_hour),
                     money(s.window_rate.cost_per_hour_usd), pct_rate(s.window_rate.percent_per_hour));
  if (s.exhausted_at) {
    out += fmt::format("  projection    {}\n",
                       paint(*s.exhausted_at <= now
                                 ? std::string("used up")
                                 : fmt::format("runs out at {} (in {}), before the reset",
                                               local_clock(*s.exhausted_at, now, o.zone),
                                               format_duration_until(*s.exhausted_at, now)),
                             "31", o.color));
  } else if (s.used_percent && s.resets_at) {
    out += "  projection    lasts until the reset at this rate\n";
  }
  if (s.sustainable_percent_per_hour) {
    out += fmt::format("  sustainable   up to {:.1f}%/h{} until the reset\n",
                       *s.sustainable_percent_per_hour,
                       s.sustainable_cost_per_hour_usd
                           ? fmt::format(" ({}/h)", money(*s.sustainable_cost_per_hour_usd))
                           : "");
  }
}

}  // namespace

std::string format_duration_until(Instant at, Instant now) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(at - now).count();
  if (left <= 0) {
    return "now";
  }
  std::int64_t hours = left / 3600;
  std::int64_t minutes = (left % 3600) / 60;
  if (hours >= 24) {
    return fmt::format("{}d {}h", hours / 24, hours % 24);
  }
  if (hours > 0) {
    return fmt::format("{}h {}m", hours, minutes);
  }
  return minutes > 0 ? fmt::format("{}m", minutes) : fmt::format("{}s", left);
}

std::string render_limits_json(const analytics::LimitsReport& report, bool pretty) {
  JsonWriter w(pretty ? JsonWriter::Style::kPretty : JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("now").value(format_iso_ms(report.now));
  w.key("plan");
  report.plan.empty() ? w.null() : w.value(report.plan);
  w.key("fiveHour");
  window_json(w, report.five_hour, report.now);
  w.key("sevenDay");
  window_json(w, report.seven_day, report.now);
  w.key("notes").begin_array();
  for (const auto& n : report.notes) {
    w.value(n);
  }
  w.end_array();
  w.end_object();
  return w.take();
}

std::string render_limits_text(const analytics::LimitsReport& report, const RenderOptions& o) {
  std::string out;
  window_text(out, "5-hour window", report.five_hour, report.now, o);
  out += "\n";
  window_text(out, "7-day window", report.seven_day, report.now, o);
  for (const auto& n : report.notes) {
    out += fmt::format("\n{}", paint("note: " + n, "2", o.color));
  }
  if (!report.notes.empty()) {
    out += "\n";
  }
  return out;
}

}  // namespace ccgauge::cli

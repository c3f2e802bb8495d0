#include "cli/live/view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cli/render.h"
#include "cli/render_util.h"

namespace ccgauge::cli::live {
namespace {

using analytics::Provenance;
using analytics::WindowState;

// The characters a frame draws with, in a UTF-8 locale and in any other.
struct Glyphs {
  std::string_view full;      // a filled bar cell
  std::string_view empty;     // an empty bar cell
  std::string_view rule;      // horizontal rule
  std::string_view sep;       // between figures on one line
  std::string_view ellipsis;  // a cut text
  std::string_view active;    // an active session
  std::string_view scroll;    // the scroll keys
  std::string_view spark[8];  // sparkline levels, lowest first
};

constexpr Glyphs kUnicode{"█", "░", "─",  " · ",
                          "…", "●", "↑↓", {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}};
constexpr Glyphs kAscii{"#", ".", "-",       " | ",
                        "~", "*", "up/down", {"_", ".", "-", ":", "=", "+", "*", "#"}};

// ---- numbers and times ------------------------------------------------------------------------

std::string money(Nanodollars cost) {
  double usd = static_cast<double>(cost) / 1e9;
  return fmt::format("${:.2f}", usd < 0.005 ? 0.0 : usd);
}

std::string money_usd(double usd) { return fmt::format("${:.2f}", usd < 0.005 ? 0.0 : usd); }

std::string tokens_short(double n) {
  if (n >= 1e9) {
    return fmt::format("{:.2f}B", n / 1e9);
  }
  if (n >= 1e6) {
    return fmt::format("{:.1f}M", n / 1e6);
  }
  if (n >= 1e3) {
    return fmt::format("{:.1f}k", n / 1e3);
  }
  return fmt::format("{:.0f}", n);
}

std::string tokens_short(std::int64_t n) { return tokens_short(static_cast<double>(n)); }

// "1 request", "2 requests", "1,234 requests".
std::string count_of(std::int64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", detail::thousands(n), noun, n == 1 ? "" : "s");
}

std::string percent(double pct) { return fmt::format("{:.1f}%", pct); }

// Local "HH:MM" when `t` is on the same local day as `now`, else "Mon D HH:MM".
std::string clock(Instant t, Instant now, const TimeZone& zone) {
  auto local = zone.to_local(t);
  auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::hh_mm_ss<std::chrono::minutes> hms(
      std::chrono::floor<std::chrono::minutes>(local - day));
  std::string hhmm = fmt::format("{:02}:{:02}", hms.hours().count(), hms.minutes().count());
  if (zone.local_date(t) == zone.local_date(now)) {
    return hhmm;
  }
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::chrono::year_month_day ymd{day};
  return fmt::format("{} {} {}", kMonths[static_cast<unsigned>(ymd.month()) - 1],
                     static_cast<unsigned>(ymd.day()), hhmm);
}

// Local "MM-DD HH:MM".
std::string month_day_clock(Instant t, const TimeZone& zone) {
  auto local = zone.to_local(t);
  auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss<std::chrono::minutes> hms(
      std::chrono::floor<std::chrono::minutes>(local - day));
  return fmt::format("{:02}-{:02} {:02}:{:02}", static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count());
}

std::string duration_ms(std::int64_t ms) {
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  if (ms < 60'000) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  }
  return fmt::format("{}m {}s", ms / 60'000, (ms % 60'000) / 1000);
}

// The last component of a project path ("/home/u/app" -> "app").
std::string project_name(std::string_view project) {
  while (project.size() > 1 && (project.back() == '/' || project.back() == '\\')) {
    project.remove_suffix(1);
  }
  auto slash = project.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? project : project.substr(slash + 1));
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += out.empty() ? item : ", " + item;
  }
  return out;
}

Style threshold_style(double pct) {
  return pct >= 90 ? Style::kBad : pct >= 70 ? Style::kWarn : Style::kGood;
}

// ---- building blocks ----------------------------------------------------------------------

// A view's lines: a fixed part, a list that scrolls, and a fixed part after it (totals).
struct Body {
  std::vector<Line> top;
  std::vector<Line> rows;
  std::vector<Line> bottom;
};

Line text_line(std::string_view text, Style style = Style::kNormal) {
  Line line;
  line.add(text, style);
  return line;
}

// Appends `from`'s text and styles to `to`, from byte `skip` of `from` on.
void append(Line& to, const Line& from, std::size_t skip = 0) {
  std::string_view text(from.text);
  std::size_t at = skip;
  for (const Span& s : from.spans) {
    if (s.end <= at) {
      continue;
    }
    std::size_t begin = std::max<std::size_t>(s.begin, at);
    to.add(text.substr(at, begin - at));
    to.add(text.substr(begin, s.end - begin), s.style);
    at = s.end;
  }
  to.add(text.substr(std::min(at, text.size())));
}

void add_bar(Line& line, double pct, int width, const Glyphs& g) {
  int filled = static_cast<int>(std::lround(std::clamp(pct, 0.0, 100.0) / 100.0 * width));
  if (pct > 0 && filled == 0) {
    filled = 1;  // any use shows
  }
  std::string on;
  std::string off;
  for (int i = 0; i < width; ++i) {
    (i < filled ? on : off) += i < filled ? g.full : g.empty;
  }
  line.add(on, threshold_style(pct));
  line.add(off, Style::kDim);
}

// `values` summed into `columns` sparkline cells (oldest first), each cell one of 8 levels of the
// largest; an empty cell is a space.
void add_sparkline(Line& line, const std::array<std::int64_t, kSparkMinutes>& values, int columns,
                   const Glyphs& g) {
  columns = std::clamp(columns, 1, kSparkMinutes);
  std::vector<std::int64_t> cells(static_cast<std::size_t>(columns), 0);
  for (int i = 0; i < kSparkMinutes; ++i) {
    cells[static_cast<std::size_t>(i * columns / kSparkMinutes)] +=
        values[static_cast<std::size_t>(i)];
  }
  std::int64_t peak = *std::max_element(cells.begin(), cells.end());
  std::string text;
  for (std::int64_t v : cells) {
    if (v <= 0 || peak <= 0) {
      text += ' ';
      continue;
    }
    auto level =
        static_cast<int>(std::ceil(static_cast<double>(v) * 8.0 / static_cast<double>(peak)));
    text += g.spark[std::clamp(level, 1, 8) - 1];
  }
  line.add(text, Style::kAccent);
}

// ---- tables -------------------------------------------------------------------------------

enum class Align { kLeft, kRight };

struct Column {
  std::string title;
  Align align = Align::kLeft;
  // Narrow screens drop the columns of lowest priority first; 0 is never dropped.
  int priority = 0;
  // The one column that takes the width left over and cuts its text (at least kFlexMin).
  bool flex = false;
};

struct Cell {
  std::string text;
  Style style = Style::kNormal;
};

using Row = std::vector<Cell>;

constexpr int kFlexMin = 8;
constexpr int kGap = 2;

struct Table {
  std::vector<Column> columns;
  std::vector<Row> rows;
  std::vector<Row> totals;  // rows under a rule after the list
};

Line table_line(const Table& t, const std::vector<std::size_t>& shown,
                const std::vector<int>& widths, const Row& row, const Glyphs& g) {
  Line line;
  line.add(" ");
  for (std::size_t k = 0; k < shown.size(); ++k) {
    const Column& col = t.columns[shown[k]];
    const Cell& cell = row[shown[k]];
    std::string text = fit(cell.text, widths[k], g.ellipsis);
    int pad = widths[k] - display_width(text);
    if (col.align == Align::kRight) {
      line.add(std::string(static_cast<std::size_t>(pad), ' '));
    }
    line.add(text, cell.style);
    bool last = k + 1 == shown.size();
    if (!last) {
      line.add(std::string(static_cast<std::size_t>(col.align == Align::kLeft ? pad + kGap : kGap),
                           ' '));
    }
  }
  return line;
}

// The table's header and rule go to body.top, its rows to body.rows, its totals to body.bottom.
void render_table(const Table& t, int width, const Glyphs& g, Body& body) {
  std::size_t n = t.columns.size();
  std::vector<int> natural(n, 0);
  for (std::size_t c = 0; c < n; ++c) {
    natural[c] = display_width(t.columns[c].title);
    for (const auto* rows : {&t.rows, &t.totals}) {
      for (const Row& row : *rows) {
        natural[c] = std::max(natural[c], display_width(row[c].text));
      }
    }
  }
  auto need = [&](std::size_t c) {
    return t.columns[c].flex ? std::min(natural[c], kFlexMin) : natural[c];
  };
  std::vector<std::size_t> shown;
  for (std::size_t c = 0; c < n; ++c) {
    shown.push_back(c);
  }
  auto total_width = [&] {
    int sum = 1;
    for (std::size_t c : shown) {
      sum += need(c);
    }
    return sum + kGap * static_cast<int>(shown.empty() ? 0 : shown.size() - 1);
  };
  while (total_width() > width) {
    auto drop = std::min_element(shown.begin(), shown.end(), [&](std::size_t a, std::size_t b) {
      int pa = t.columns[a].priority == 0 ? 1 << 20 : t.columns[a].priority;
      int pb = t.columns[b].priority == 0 ? 1 << 20 : t.columns[b].priority;
      return pa != pb ? pa < pb : a > b;
    });
    if (drop == shown.end() || t.columns[*drop].priority == 0) {
      break;  // only essential columns left: the line is cut at the screen's edge
    }
    shown.erase(drop);
  }
  std::vector<int> widths;
  int spare = std::max(0, width - total_width());
  for (std::size_t c : shown) {
    int w = need(c);
    if (t.columns[c].flex) {
      w = std::min(natural[c], w + spare);
    }
    widths.push_back(w);
  }
  Row header;
  for (const Column& col : t.columns) {
    header.push_back(Cell{col.title, Style::kBold});
  }
  body.top.push_back(table_line(t, shown, widths, header, g));
  int used = 1;
  for (int w : widths) {
    used += w;
  }
  used += kGap * static_cast<int>(widths.empty() ? 0 : widths.size() - 1);
  std::string rule = " ";
  for (int i = 1; i < std::min(used, width); ++i) {
    rule += g.rule;
  }
  body.top.push_back(text_line(rule, Style::kDim));
  for (const Row& row : t.rows) {
    body.rows.push_back(table_line(t, shown, widths, row, g));
  }
  if (!t.totals.empty()) {
    body.bottom.push_back(text_line(rule, Style::kDim));
    for (const Row& row : t.totals) {
      body.bottom.push_back(table_line(t, shown, widths, row, g));
    }
  }
}

// ---- the Current view ---------------------------------------------------------------------

std::string provenance_text(const WindowState& w, Instant now) {
  if (w.used_provenance == Provenance::kNone) {
    return "no reading";
  }
  std::string text(analytics::provenance_name(w.used_provenance));
  if (!w.source.empty()) {
    text += " (" + w.source;
    if (w.sampled_at) {
      text += now - *w.sampled_at < std::chrono::minutes(1)
                  ? ", just now"
                  : ", " + format_duration_until(now, *w.sampled_at) + " ago";
    }
    text += ")";
  }
  return text;
}

// "resets 14:10 (in 2h 10m)" (", estimate" inside when the reset's provenance differs from the
// reading's); compact: "resets in 2h 10m".
void add_reset(Line& line, const WindowState& w, Instant now, const TimeZone& zone, bool compact) {
  if (!w.resets_at) {
    line.add(w.window == "five_hour" ? "no window open: the next request starts one"
                                     : "reset time unknown",
             Style::kDim);
    return;
  }
  std::string in = format_duration_until(*w.resets_at, now);
  if (compact) {
    line.add("resets in " + in);
    return;
  }
  std::string provenance;
  if (w.reset_provenance != w.used_provenance && w.reset_provenance != Provenance::kNone) {
    provenance = fmt::format(", {}", analytics::provenance_name(w.reset_provenance));
  }
  line.add(fmt::format("resets {} (in {}{})", clock(*w.resets_at, now, zone), in, provenance));
}

void add_projection(Line& line, const WindowState& w, Instant now, const TimeZone& zone,
                    bool compact, const Glyphs& g) {
  if (w.exhausted_at) {
    line.add(g.sep);
    if (*w.exhausted_at <= now) {
      line.add("used up", Style::kBad);
      return;
    }
    std::string in = format_duration_until(*w.exhausted_at, now);
    line.add(compact ? "runs out in " + in
                     : fmt::format("runs out {} (in {})", clock(*w.exhausted_at, now, zone), in),
             Style::kBad);
  } else if (w.used_percent && w.resets_at) {
    line.add(g.sep);
    line.add(compact ? "lasts" : "lasts until the reset", Style::kGood);
  }
}

void window_lines(Body& body, std::string_view label, const WindowState& w, Instant now,
                  const TimeZone& zone, int width, const Glyphs& g) {
  bool compact = width < kCompactBelow;
  int bar_width = compact ? std::clamp(width - 28, 5, 20) : std::clamp(width - 60, 10, 40);
  std::string indent(compact ? 4 : 10, ' ');
  Line first;
  first.add(" ").add(label, Style::kBold).pad_to(compact ? 4 : 10);
  if (w.used_percent) {
    add_bar(first, *w.used_percent, bar_width, g);
    first.add(fmt::format(" {:>6}", percent(*w.used_percent)), threshold_style(*w.used_percent));
  } else {
    std::string off;
    for (int i = 0; i < bar_width; ++i) {
      off += g.empty;
    }
    first.add(off, Style::kDim).add("     n/a", Style::kDim);
  }
  first.add("  ").add(compact ? std::string(analytics::provenance_name(w.used_provenance))
                              : provenance_text(w, now),
                      Style::kDim);
  if (w.limit_hit) {
    first.add("  limit reached", Style::kBad);
  }
  body.top.push_back(std::move(first));
  Line second;
  second.add(indent);
  add_reset(second, w, now, zone, compact);
  Line projection;
  add_projection(projection, w, now, zone, compact, g);
  if (second.width() + projection.width() <= width) {
    append(second, projection);
    body.top.push_back(std::move(second));
  } else {  // the projection on a line of its own
    body.top.push_back(std::move(second));
    Line third;
    third.add(indent);
    append(third, projection, g.sep.size());
    body.top.push_back(std::move(third));
  }
  if (!compact && w.requests > 0) {
    body.top.push_back(text_line(
        fmt::format("{}here: {}{}{} tokens{}{}", indent, money(w.cost), g.sep,
                    tokens_short(w.tokens.total()), g.sep, count_of(w.requests, "request")),
        Style::kDim));
  }
}

void burn_lines(Body& body, const CurrentData& c, int width, const Glyphs& g) {
  bool compact = width < kCompactBelow;
  const analytics::Rate& rate = c.limits.five_hour.recent_rate;
  Line burn;
  burn.add(compact ? " burn " : " Burn rate ", Style::kBold).pad_to(compact ? 0 : 13);
  burn.add(fmt::format("{} tok/min{}{}/h", tokens_short(rate.tokens_per_minute), g.sep,
                       money_usd(rate.cost_per_hour_usd)));
  if (rate.percent_per_hour && !compact) {
    burn.add(fmt::format("{}{:.1f}%/h of 5h", g.sep, *rate.percent_per_hour));
  }
  if (!compact && burn.width() + 15 <= width) {
    burn.add("  (last 10 min)", Style::kDim);
  }
  body.top.push_back(std::move(burn));

  std::int64_t peak = *std::max_element(c.tokens_per_minute.begin(), c.tokens_per_minute.end());
  Line spark;
  if (compact) {
    spark.add(" ");
    add_sparkline(spark, c.tokens_per_minute, std::min(kSparkMinutes, width - 2), g);
    body.top.push_back(std::move(spark));
    return;
  }
  int columns = std::min(kSparkMinutes, width - 13 - 18);
  spark.add(" Last hour", Style::kBold).pad_to(13);
  add_sparkline(spark, c.tokens_per_minute, columns, g);
  spark.add(peak > 0 ? fmt::format("  peak {}/min", tokens_short(peak)) : "  idle", Style::kDim);
  body.top.push_back(std::move(spark));
  Line axis;
  axis.pad_to(13)
      .add("-60m", Style::kDim)
      .pad_to(13 + std::max(columns - 3, 5))
      .add("now", Style::kDim);
  body.top.push_back(std::move(axis));
}

void today_lines(Body& body, const CurrentData& c, int width, const Glyphs& g) {
  bool compact = width < kCompactBelow;
  Line today;
  today.add(compact ? " today " : " Today", Style::kBold).pad_to(compact ? 0 : 13);
  today.add(money(c.today.cost), Style::kBold);
  today.add(fmt::format(
      "{}{} tokens{}{}", g.sep, tokens_short(c.today.tokens.total()), g.sep,
      compact ? detail::thousands(c.today.requests) + " req" : count_of(c.today.requests, "request")));
  std::string last_hour = fmt::format("{}last hour {}", g.sep, money(c.cost_last_hour));
  if (!compact && today.width() + display_width(last_hour) <= width) {
    today.add(last_hour, Style::kDim);
  }
  body.top.push_back(std::move(today));

  Line mix;
  mix.add(compact ? " mix " : " Model mix", Style::kBold).pad_to(compact ? 0 : 13);
  if (c.model_mix.empty()) {
    mix.add("no requests today", Style::kDim);
  }
  for (std::size_t i = 0; i < c.model_mix.size(); ++i) {
    const ModelShare& m = c.model_mix[i];
    std::string item = fmt::format(
        "{}{} {:.0f}%", i == 0 ? "" : (compact ? " " : std::string(g.sep)), m.model, m.share * 100);
    std::string more = fmt::format(" +{} more", c.model_mix.size() - i);
    bool last = i + 1 == c.model_mix.size();
    if (mix.width() + display_width(item) + (last ? 0 : display_width(more)) > width) {
      mix.add(more, Style::kDim);
      break;
    }
    mix.add(item, i == 0 ? Style::kBold : Style::kNormal);
  }
  body.top.push_back(std::move(mix));
}

void session_lines(Body& body, const CurrentData& c, Instant now, const TimeZone& zone, int width,
                   const Glyphs& g) {
  bool compact = width < kCompactBelow;
  body.top.push_back(Line{});
  Line title;
  title.add(compact ? " active sessions " : " Active sessions ", Style::kBold);
  title.add(c.active_sessions.empty() ? "none in the last 30 minutes"
                                      : std::to_string(c.active_sessions.size()),
            c.active_sessions.empty() ? Style::kDim : Style::kNormal);
  body.top.push_back(std::move(title));
  if (c.active_sessions.empty()) {
    return;
  }
  Table t;
  t.columns = {{"Project", Align::kLeft, 0, true}, {"Model", Align::kLeft, 2},
               {"Reqs", Align::kRight, 3},         {"Tokens", Align::kRight, 1},
               {"Cost", Align::kRight, 0},         {"Last", Align::kRight, 0},
               {"Session", Align::kLeft, 4}};
  for (const ActiveSession& s : c.active_sessions) {
    t.rows.push_back({{project_name(s.project)},
                      {s.model},
                      {detail::thousands(s.requests)},
                      {tokens_short(s.tokens)},
                      {money(s.cost)},
                      {clock(s.last, now, zone)},
                      {s.session_id.substr(0, 8), Style::kDim}});
  }
  render_table(t, width, g, body);
}

Body current_body(const LiveModel& m, int width, const Glyphs& g) {
  Body body;
  const CurrentData& c = *m.current;
  body.top.push_back(Line{});
  window_lines(body, width < kCompactBelow ? "5h" : "5-hour", c.limits.five_hour, m.now, m.zone,
               width, g);
  window_lines(body, width < kCompactBelow ? "7d" : "7-day", c.limits.seven_day, m.now, m.zone,
               width, g);
  if (width >= kCompactBelow) {
    for (const std::string& note : c.limits.notes) {
      body.top.push_back(text_line(fit(" note: " + note, width, g.ellipsis), Style::kDim));
    }
  }
  body.top.push_back(Line{});
  burn_lines(body, c, width, g);
  today_lines(body, c, width, g);
  session_lines(body, c, m.now, m.zone, width, g);
  return body;
}

// ---- the list views -----------------------------------------------------------------------

// " Title · rest", the rest cut with an ellipsis at the screen's edge.
Line summary_line(std::string_view title, std::string_view rest, int width, const Glyphs& g) {
  Line line;
  line.add(" ").add(title, Style::kBold);
  if (!rest.empty()) {
    line.add(g.sep);
    line.add(fit(rest, width - line.width(), g.ellipsis));
  }
  return line;
}

std::string cost_bar(Nanodollars cost, Nanodollars max, int width, const Glyphs& g) {
  if (max <= 0 || cost <= 0) {
    return {};
  }
  int n = std::max(1, static_cast<int>(std::lround(static_cast<double>(cost) * width /
                                                   static_cast<double>(max))));
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += g.full;
  }
  return out;
}

Body daily_body(const LiveModel& m, int width, const Glyphs& g) {
  Body body;
  const analytics::PeriodReport& r = *m.daily;
  body.top.push_back(summary_line(
      "Daily",
      width < kCompactBelow
          ? fmt::format("{} days{}{}{}{} req", m.daily_days, g.sep, money(r.totals.cost), g.sep,
                        detail::thousands(r.totals.requests))
          : fmt::format("last {} days{}{}{}{} tokens{}{}", m.daily_days, g.sep,
                        money(r.totals.cost), g.sep, tokens_short(r.totals.tokens.total()), g.sep,
                        count_of(r.totals.requests, "request")),
      width, g));
  body.top.push_back(Line{});
  if (r.rows.empty()) {
    body.top.push_back(
        text_line(fmt::format(" No usage in the last {} days.", m.daily_days), Style::kDim));
    return body;
  }
  Nanodollars max = 0;
  for (const auto& row : r.rows) {
    max = std::max(max, row.cost);
  }
  Table t;
  t.columns = {{"Date", Align::kLeft, 0},     {"Input", Align::kRight, 3},
               {"Output", Align::kRight, 4},  {"Cache W", Align::kRight, 2},
               {"Cache R", Align::kRight, 2}, {"Total", Align::kRight, 6},
               {"Reqs", Align::kRight, 3},    {"Cost", Align::kRight, 0},
               {"", Align::kLeft, 5},         {"Models", Align::kLeft, 1, true}};
  auto cells = [&](const std::string& key, const TokenCounts& tk, std::int64_t requests,
                   Nanodollars cost, std::string bar, const std::vector<std::string>& models) {
    return Row{{key},
               {tokens_short(tk.input)},
               {tokens_short(tk.output)},
               {tokens_short(tk.cache_creation())},
               {tokens_short(tk.cache_read)},
               {tokens_short(tk.total())},
               {detail::thousands(requests)},
               {money(cost), Style::kBold},
               {std::move(bar), Style::kAccent},
               {joined(models), Style::kDim}};
  };
  for (const auto& row : r.rows) {
    t.rows.push_back(cells(row.key, row.tokens, row.requests, row.cost,
                           cost_bar(row.cost, max, 12, g), row.models_used));
  }
  t.totals.push_back(cells("Total", r.totals.tokens, r.totals.requests, r.totals.cost, "", {}));
  render_table(t, width, g, body);
  return body;
}

Body sessions_body(const LiveModel& m, int width, const Glyphs& g) {
  Body body;
  const analytics::PeriodReport& r = *m.sessions;
  body.top.push_back(
      summary_line("Sessions",
                   fmt::format("last {} days{}{}{}{}", m.session_days, g.sep,
                               count_of(static_cast<std::int64_t>(r.rows.size()), "session"), g.sep,
                               money(r.totals.cost)),
                   width, g));
  body.top.push_back(Line{});
  if (r.rows.empty()) {
    body.top.push_back(
        text_line(fmt::format(" No sessions in the last {} days.", m.session_days), Style::kDim));
    return body;
  }
  Table t;
  t.columns = {{"", Align::kLeft, 0},        {"Last", Align::kLeft, 0},
               {"Session", Align::kLeft, 3}, {"Project", Align::kLeft, 0, true},
               {"Models", Align::kLeft, 1},  {"Reqs", Align::kRight, 4},
               {"Tokens", Align::kRight, 2}, {"Cost", Align::kRight, 0}};
  for (const auto& row : r.rows) {
    bool active = m.now - row.last_activity <= kActiveSessionWindow;
    t.rows.push_back({{active ? std::string(g.active) : " ", Style::kGood},
                      {month_day_clock(row.last_activity, m.zone)},
                      {row.key.substr(0, 8), Style::kDim},
                      {project_name(row.project)},
                      {joined(row.models_used), Style::kDim},
                      {detail::thousands(row.requests)},
                      {tokens_short(row.tokens.total())},
                      {money(row.cost), Style::kBold}});
  }
  render_table(t, width, g, body);
  return body;
}

void active_block_lines(Body& body, const analytics::Block& b, const LiveModel& m,
                        const Glyphs& g) {
  Line first;
  first.add(" Active block ", Style::kBold);
  first.add(fmt::format("{}-{}", clock(b.start, m.now, m.zone), clock(b.end, m.now, m.zone)));
  first.add(fmt::format("{}{} left{}{}{}{} tokens", g.sep, format_duration_until(b.end, m.now),
                        g.sep, money(b.cost), g.sep, tokens_short(b.tokens.total())));
  body.top.push_back(std::move(first));
  if (b.burn_rate) {
    Line burn;
    burn.add(" Burn rate    ", Style::kBold);
    burn.add(fmt::format("{} tok/min{}{}/h", tokens_short(b.burn_rate->tokens_per_minute), g.sep,
                         money_usd(b.burn_rate->cost_per_hour_usd)));
    if (b.projection) {
      burn.add(fmt::format("{}projected {}, {} tokens by {}", g.sep,
                           money_usd(b.projection->total_cost_usd),
                           tokens_short(b.projection->total_tokens), clock(b.end, m.now, m.zone)),
               Style::kDim);
    }
    body.top.push_back(std::move(burn));
  }
}

Body blocks_body(const LiveModel& m, int width, const Glyphs& g) {
  Body body;
  const analytics::BlocksReport& r = *m.blocks;
  body.top.push_back(summary_line("5-hour blocks", "last 3 days and the active one", width, g));
  body.top.push_back(Line{});
  if (r.blocks.empty()) {
    body.top.push_back(text_line(" No blocks in the last 3 days.", Style::kDim));
    return body;
  }
  for (const analytics::Block& b : r.blocks) {
    if (b.active) {
      active_block_lines(body, b, m, g);
      body.top.push_back(Line{});
    }
  }
  Table t;
  t.columns = {{"Start", Align::kLeft, 0},       {"End", Align::kLeft, 2},
               {"Status", Align::kLeft, 0},      {"Reqs", Align::kRight, 3},
               {"Tokens", Align::kRight, 1},     {"Cost", Align::kRight, 0},
               {"Models", Align::kLeft, 1, true}};
  for (const analytics::Block& b : r.blocks) {
    Instant end = b.gap ? b.end : b.actual_end.value_or(b.end);
    std::string status = b.active ? "active" : b.gap ? "gap" : "done";
    Style style = b.active ? Style::kGood : Style::kDim;
    if (b.gap) {
      t.rows.push_back({{month_day_clock(b.start, m.zone), Style::kDim},
                        {clock(end, b.start, m.zone), Style::kDim},
                        {status, style},
                        {""},
                        {""},
                        {""},
                        {format_duration_until(b.end, b.start) + " idle", Style::kDim}});
      continue;
    }
    t.rows.push_back({{month_day_clock(b.start, m.zone)},
                      {clock(end, b.start, m.zone)},
                      {status, style},
                      {detail::thousands(b.entries)},
                      {tokens_short(b.tokens.total())},
                      {money(b.cost), Style::kBold},
                      {joined(b.models), Style::kDim}});
  }
  render_table(t, width, g, body);
  return body;
}

Body tools_body(const LiveModel& m, int width, const Glyphs& g) {
  Body body;
  const ToolsData& d = *m.tools;
  if (!d.report || d.report->rows.empty()) {
    body.top.push_back(summary_line("Tools", fmt::format("last {} days", m.tool_days), width, g));
    body.top.push_back(Line{});
    body.top.push_back(text_line(
        " " + (d.note.empty() ? std::string("No tool calls recorded.") : d.note), Style::kDim));
    return body;
  }
  const analytics::ToolsReport& r = *d.report;
  auto fail_pct = [](const analytics::ToolStat& s) {
    return s.calls > 0 ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(s.failures) /
                                                    static_cast<double>(s.calls))
                       : std::string("-");
  };
  body.top.push_back(summary_line("Tools",
                                  fmt::format("last {} days{}{}{}{} failed ({})", m.tool_days,
                                              g.sep, count_of(r.totals.calls, "call"), g.sep,
                                              detail::thousands(r.totals.failures), fail_pct(r.totals)),
                                  width, g));
  body.top.push_back(Line{});
  Table t;
  t.columns = {
      {"Tool", Align::kLeft, 0, true}, {"Calls", Align::kRight, 0},   {"Failed", Align::kRight, 0},
      {"Fail%", Align::kRight, 3},     {"Prompts", Align::kRight, 2}, {"Denied", Align::kRight, 2},
      {"Avg", Align::kRight, 1},       {"Max", Align::kRight, 4},     {"Last", Align::kRight, 5}};
  auto cells = [&](const analytics::ToolStat& s) {
    return Row{{s.tool},
               {detail::thousands(s.calls), Style::kBold},
               {detail::thousands(s.failures), s.failures > 0 ? Style::kBad : Style::kNormal},
               {fail_pct(s)},
               {detail::thousands(s.permission_prompts)},
               {detail::thousands(s.denied)},
               {s.timed_calls > 0 ? duration_ms(s.total_duration_ms / s.timed_calls) : "-"},
               {s.timed_calls > 0 ? duration_ms(s.max_duration_ms) : "-"},
               {s.last_used ? clock(*s.last_used, m.now, m.zone) : "-", Style::kDim}};
  };
  for (const analytics::ToolStat& s : r.rows) {
    t.rows.push_back(cells(s));
  }
  analytics::ToolStat totals = r.totals;
  totals.tool = "Total";
  t.totals.push_back(cells(totals));
  render_table(t, width, g, body);
  return body;
}

Body view_body(const LiveModel& m, View view, int width, const Glyphs& g) {
  bool loaded = true;
  switch (view) {
    case View::kCurrent:
      loaded = m.current.has_value();
      break;
    case View::kDaily:
      loaded = m.daily.has_value();
      break;
    case View::kSessions:
      loaded = m.sessions.has_value();
      break;
    case View::kBlocks:
      loaded = m.blocks.has_value();
      break;
    case View::kTools:
      loaded = m.tools.has_value();
      break;
  }
  if (!m.error.empty() || !loaded) {
    Body body;
    body.top.push_back(Line{});
    body.top.push_back(m.error.empty() ? text_line(" Loading...", Style::kDim)
                                       : text_line(" Error: " + m.error, Style::kBad));
    return body;
  }
  switch (view) {
    case View::kCurrent:
      return current_body(m, width, g);
    case View::kDaily:
      return daily_body(m, width, g);
    case View::kSessions:
      return sessions_body(m, width, g);
    case View::kBlocks:
      return blocks_body(m, width, g);
    case View::kTools:
      return tools_body(m, width, g);
  }
  return {};
}

// ---- header and footer --------------------------------------------------------------------

// `left`, then `right` flush with the right edge when both fit; `left` alone otherwise.
Line left_right(Line left, const Line& right, int width) {
  int gap = width - left.width() - right.width();
  if (gap < 1) {
    return left;
  }
  left.add(std::string(static_cast<std::size_t>(gap), ' '));
  append(left, right);
  return left;
}

// " ccgauge live  1 Current  2 Daily ...", or with only the numbers of the other views.
Line tabs(View view, bool short_names) {
  Line left;
  left.add(short_names ? " ccgauge " : " ccgauge live ", Style::kBold);
  for (int i = 0; i < kViewCount; ++i) {
    auto v = static_cast<View>(i);
    if (v == view) {
      left.add(fmt::format(" {} {} ", i + 1, view_title(v)), Style::kTabActive);
    } else {
      left.add(
          short_names ? fmt::format(" {} ", i + 1) : fmt::format(" {} {} ", i + 1, view_title(v)),
          Style::kTab);
    }
  }
  return left;
}

Line header(const LiveModel& m, View view, int width) {
  bool compact = width < kCompactBelow;
  Line left = tabs(view, compact);
  if (left.width() + 7 > width) {  // the names and a clock do not fit
    left = tabs(view, true);
  }
  Line right;
  right.add(clock(m.now, m.now, m.zone));
  Line short_right = right;
  short_right.add(" ");
  if (!compact) {
    right.add(" " + m.zone.name(), Style::kDim);
  }
  right.add(" ");
  if (left.width() + right.width() + 1 > width) {
    return left_right(std::move(left), short_right, width);
  }
  return left_right(std::move(left), right, width);
}

Line footer(const LiveModel& m, int width, int first_row, int shown_rows, int total_rows,
            const Glyphs& g) {
  bool compact = width < kCompactBelow;
  Line left;
  if (compact) {
    left.add(" 1-5", Style::kBold).add(" Tab ", Style::kBold).add(g.scroll, Style::kBold);
    left.add(" q", Style::kBold).add(" quit");
  } else {
    left.add(" 1-5", Style::kBold).add(" view  ").add("Tab", Style::kBold).add(" next  ");
    left.add(g.scroll, Style::kBold).add(" scroll  ").add("q", Style::kBold).add(" quit");
  }
  Line right;
  if (total_rows > shown_rows) {
    right.add(fmt::format("{}-{}/{} ", first_row + 1, first_row + shown_rows, total_rows),
              Style::kBold);
  }
  if (!compact && !m.source.empty()) {
    right.add(m.source, Style::kDim);
    if (!m.plan.empty()) {
      right.add(g.sep).add("plan " + m.plan, Style::kDim);
    }
    right.add(" ");
  }
  return left_right(std::move(left), right, width);
}

}  // namespace

Frame render_frame(const LiveModel& model, View view, const Layout& layout) {
  const Glyphs& g = layout.unicode ? kUnicode : kAscii;
  int width = std::max(layout.width, 1);
  Frame frame;
  if (width < kMinWidth || (layout.height > 0 && layout.height < kMinHeight)) {
    frame.lines.push_back(
        clip(text_line(fit("terminal too small", width, "")), width, !layout.unicode));
    for (int i = 1; i < layout.height; ++i) {
      frame.lines.emplace_back();
    }
    return frame;
  }
  Body body = view_body(model, view, width, g);
  int total = static_cast<int>(body.rows.size());
  int first = 0;
  int shown = total;
  if (layout.height > 0) {
    int room = layout.height - 2;  // header and footer
    int fixed = static_cast<int>(body.top.size() + body.bottom.size());
    if (fixed > room) {
      body.bottom.clear();  // totals go before the view's own lines do
      fixed = static_cast<int>(body.top.size());
    }
    if (fixed > room) {
      body.top.resize(static_cast<std::size_t>(room));
      fixed = room;
    }
    shown = std::clamp(room - fixed, 0, total);
    frame.max_scroll = total - shown;
    first = std::clamp(layout.scroll, 0, frame.max_scroll);
  }
  frame.lines.push_back(header(model, view, width));
  for (Line& line : body.top) {
    frame.lines.push_back(std::move(line));
  }
  for (int i = first; i < first + shown; ++i) {
    frame.lines.push_back(std::move(body.rows[static_cast<std::size_t>(i)]));
  }
  for (Line& line : body.bottom) {
    frame.lines.push_back(std::move(line));
  }
  if (layout.height > 0) {
    frame.lines.resize(static_cast<std::size_t>(layout.height - 1));
  } else {
    frame.lines.emplace_back();
  }
  frame.lines.push_back(footer(model, width, first, shown, total, g));
  for (Line& line : frame.lines) {
    line = clip(line, width, !layout.unicode);
  }
  return frame;
}

}  // namespace ccgauge::cli::live

#include "ingest/transcripts/limit_message.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

namespace ccgauge::ingest {
namespace {

using namespace std::chrono;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != lower(prefix[i])) {
      return false;
    }
  }
  return true;
}

// Reads up to `max` digits at `pos`.
std::optional<int> read_number(std::string_view s, std::size_t& pos, std::size_t max) {
  std::size_t start = pos;
  int value = 0;
  while (pos < s.size() && is_digit(s[pos]) && pos - start < max) {
    value = value * 10 + (s[pos] - '0');
    ++pos;
  }
  return pos > start ? std::optional<int>(value) : std::nullopt;
}

void skip(std::string_view s, std::size_t& pos, std::string_view chars) {
  while (pos < s.size() && chars.find(s[pos]) != std::string_view::npos) {
    ++pos;
  }
}

// "Nov 24", "November 24": month 1..12 and day.
std::optional<std::pair<int, int>> read_month_day(std::string_view s, std::size_t& pos) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (!starts_with_nocase(s.substr(pos), kMonths[m])) {
      continue;
    }
    std::size_t p = pos + 3;
    while (p < s.size() && std::isalpha(static_cast<unsigned char>(s[p]))) {
      ++p;
    }
    skip(s, p, " .");
    auto day = read_number(s, p, 2);
    if (!day || *day < 1 || *day > 31) {
      return std::nullopt;
    }
    skip(s, p, ", ");
    if (starts_with_nocase(s.substr(p), "at ")) {
      p += 3;
    }
    pos = p;
    return std::pair<int, int>(static_cast<int>(m) + 1, *day);
  }
  return std::nullopt;
}

// "3pm", "3:30 pm", "15:00": minutes after local midnight.
std::optional<int> read_clock(std::string_view s, std::size_t& pos) {
  std::size_t p = pos;
  auto hour = read_number(s, p, 2);
  if (!hour) {
    return std::nullopt;
  }
  int minute = 0;
  if (p < s.size() && s[p] == ':') {
    ++p;
    auto m = read_number(s, p, 2);
    if (!m || *m > 59) {
      return std::nullopt;
    }
    minute = *m;
  }
  std::size_t q = p;
  skip(s, q, " ");
  bool pm = starts_with_nocase(s.substr(q), "pm");
  bool am = starts_with_nocase(s.substr(q), "am");
  if (am || pm) {
    if (*hour < 1 || *hour > 12) {
      return std::nullopt;
    }
    *hour = *hour % 12 + (pm ? 12 : 0);
    p = q + 2;
  } else if (*hour > 23 || (p < s.size() && s[p] != ' ' && s[p] != '(' && s[p] != '"' &&
                            s[p] != '\\' && s[p] != '.')) {
    return std::nullopt;
  }
  pos = p;
  return *hour * 60 + minute;
}

// The UTC instant of a local wall-clock time.
Instant from_local(sys_time<milliseconds> local, const TimeZone& zone) {
  Instant guess = local - zone.offset_at(local);
  return local - zone.offset_at(guess);
}

std::optional<std::int64_t> resolve_reset(std::string_view text, std::size_t pos, Instant at,
                                          const TimeZone& fallback) {
  skip(text, pos, " ");
  if (starts_with_nocase(text.substr(pos), "at ")) {
    pos += 3;
  }
  auto month_day = read_month_day(text, pos);
  auto minutes_of_day = read_clock(text, pos);
  if (!minutes_of_day) {
    return std::nullopt;
  }
  // "(Area/City)" names the zone the clock time is in.
  TimeZone zone = fallback;
  skip(text, pos, " ");
  if (pos < text.size() && text[pos] == '(') {
    std::size_t close = text.find(')', pos);
    if (close != std::string_view::npos && close - pos < 64) {
      if (auto z = TimeZone::locate(text.substr(pos + 1, close - pos - 1))) {
        zone = std::move(*z);
      }
    }
  }
  auto local_at = zone.to_local(at);
  auto local_day = floor<days>(local_at);
  auto clock = minutes(*minutes_of_day);
  if (month_day) {
    year_month_day today{local_day};
    for (int dy : {0, 1}) {
      year_month_day ymd{today.year() + years(dy), month(static_cast<unsigned>(month_day->first)),
                         day(static_cast<unsigned>(month_day->second))};
      if (!ymd.ok()) {
        continue;
      }
      Instant reset = from_local(sys_days(ymd) + clock, zone);
      if (reset > at - hours(24)) {
        return floor<seconds>(reset).time_since_epoch().count();
      }
    }
    return std::nullopt;
  }
  for (int d = 0; d <= 1; ++d) {
    Instant reset = from_local(local_day + days(d) + clock, zone);
    if (reset > at) {
      return floor<seconds>(reset).time_since_epoch().count();
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<LimitHit> parse_limit_message(std::string_view text, Instant at,
                                            const TimeZone& zone) {
  constexpr std::string_view kOld = "usage limit reached|";
  if (auto pos = text.find(kOld); pos != std::string_view::npos) {
    pos += kOld.size();
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (pos < text.size() && is_digit(text[pos]) && digits < 12) {
      value = value * 10 + (text[pos++] - '0');
      ++digits;
    }
    if (digits > 0 && value > 0) {
      return LimitHit{"five_hour", value};
    }
    return LimitHit{"five_hour", std::nullopt};
  }
  struct Marker {
    std::string_view text;
    std::string_view window;
  };
  static constexpr Marker kMarkers[] = {{"session limit", "five_hour"},
                                        {"weekly limit", "seven_day"},
                                        {"Opus limit", "seven_day_opus"},
                                        {"Sonnet limit", "seven_day_sonnet"}};
  for (const Marker& m : kMarkers) {
    auto pos = text.find(m.text);
    if (pos == std::string_view::npos) {
      continue;
    }
    LimitHit hit{std::string(m.window), std::nullopt};
    auto resets = text.find("resets", pos);
    if (resets != std::string_view::npos && resets - pos < 64) {
      hit.resets_at_epoch_s = resolve_reset(text, resets + 6, at, zone);
    }
    return hit;
  }
  return std::nullopt;
}

}  // namespace ccgauge::ingest

// Instants and dates as text, and the name of the zone the user asked for: no tz database, so
// the `ccgauge` launcher (cli/launcher_main.cpp) links this without date-tz. The zones
// themselves are in time.cpp.

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "core/time.h"

namespace ccgauge {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `count` digits at s[pos]; -1 when any is not a digit or the text is too short.
int read_digits(std::string_view s, std::size_t pos, int count) {
  if (pos + static_cast<std::size_t>(count) > s.size()) {
    return -1;
  }
  int value = 0;
  for (int i = 0; i < count; ++i) {
    char c = s[pos + static_cast<std::size_t>(i)];
    if (!is_digit(c)) {
      return -1;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// The zone /etc/localtime links to ("Europe/Berlin"), or empty when it is not such a link.
std::string localtime_zone_name() {
  char target[512];
  ssize_t n = ::readlink("/etc/localtime", target, sizeof(target) - 1);
  if (n <= 0) {
    return {};
  }
  std::string_view path(target, static_cast<std::size_t>(n));
  constexpr std::string_view kMarker = "zoneinfo/";
  auto at = path.rfind(kMarker);
  return at == std::string_view::npos ? std::string() : std::string(path.substr(at + kMarker.size()));
}

}  // namespace

std::optional<Instant> parse_timestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters.
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  int year = read_digits(s, 0, 4);
  int month = read_digits(s, 5, 2);
  int day = read_digits(s, 8, 2);
  int hour = read_digits(s, 11, 2);
  int minute = read_digits(s, 14, 2);
  int second = read_digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(year),
                                  std::chrono::month(static_cast<unsigned>(month)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      if (digits < 3) {
        millis = millis * 10 + (s[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    for (; digits < 3; ++digits) {
      millis *= 10;
    }
  }
  seconds offset{0};
  if (pos < s.size()) {
    char c = s[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      int oh = read_digits(s, pos + 1, 2);
      std::size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') {
        ++mpos;
      }
      int om = read_digits(s, mpos, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset = seconds(oh * 3600 + om * 60);
      if (c == '-') {
        offset = -offset;
      }
      pos = mpos + 2;
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  auto t = std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           seconds(second) + milliseconds(millis);
  return std::chrono::time_point_cast<milliseconds>(t - offset);
}

std::string format_iso_ms(Instant t) {
  auto day_point = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day_point};
  std::chrono::hh_mm_ss<milliseconds> tod{t - day_point};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", int(ymd.year()),
                     unsigned(ymd.month()), unsigned(ymd.day()), tod.hours().count(),
                     tod.minutes().count(), tod.seconds().count(), tod.subseconds().count());
}

DateKey date_key(std::chrono::year_month_day ymd) {
  return int(ymd.year()) * 10000 + static_cast<int>(unsigned(ymd.month())) * 100 +
         static_cast<int>(unsigned(ymd.day()));
}

std::chrono::year_month_day ymd_of(DateKey key) {
  return std::chrono::year_month_day{std::chrono::year(key / 10000),
                                     std::chrono::month(static_cast<unsigned>(key / 100 % 100)),
                                     std::chrono::day(static_cast<unsigned>(key % 100))};
}

std::string format_date(DateKey key) {
  return fmt::format("{:04d}-{:02d}-{:02d}", key / 10000, key / 100 % 100, key % 100);
}

Result<std::optional<DateKey>> date_option(const std::optional<std::string>& text) {
  if (!text) {
    return std::optional<DateKey>();
  }
  auto key = parse_date_arg(*text);
  if (!key) {
    return tl::unexpected(key.error());
  }
  return std::optional<DateKey>(*key);
}

Result<DateKey> parse_date_arg(std::string_view text) {
  std::string digits;
  if (text.size() == 8) {
    digits = std::string(text);
  } else if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    digits = std::string(text.substr(0, 4)) + std::string(text.substr(5, 2)) +
             std::string(text.substr(8, 2));
  } else {
    return fail(Errc::kInvalidInput,
                fmt::format("invalid date '{}': expected YYYYMMDD or YYYY-MM-DD", text));
  }
  int y = read_digits(digits, 0, 4);
  int m = read_digits(digits, 4, 2);
  int d = read_digits(digits, 6, 2);
  if (y < 0 || m < 0 || d < 0) {
    return fail(Errc::kInvalidInput,
                fmt::format("invalid date '{}': expected YYYYMMDD or YYYY-MM-DD", text));
  }
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(m)),
                                  std::chrono::day(unsigned(d))};
  if (!ymd.ok()) {
    return fail(Errc::kInvalidInput, fmt::format("invalid date '{}': no such day", text));
  }
  return date_key(ymd);
}

std::string TimeZone::requested_name(std::string_view name) {
  if (!name.empty() && name != "local") {
    return std::string(name);
  }
  const char* env = std::getenv("TZ");
  if (env != nullptr && *env != '\0') {
    return env[0] == ':' ? std::string(env + 1) : std::string(env);
  }
  return localtime_zone_name();
}

}  // namespace ccgauge

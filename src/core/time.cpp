#include "core/time.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <cstdlib>

namespace ccgauge {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace

TimeZone TimeZone::utc() {
  TimeZone tz;
  tz.name_ = "UTC";
  return tz;
}

Result<TimeZone> TimeZone::locate(std::string_view name) {
  std::string wanted = requested_name(name);
  if (wanted.empty()) {
    // Neither $TZ nor the /etc/localtime link names the zone: ask the tz database. (Naming it
    // from the link spares date::current_zone(), which loads the whole tzdb, a stat of every
    // zoneinfo file, ~20 ms, even on UTC machines.)
    try {
      const date::time_zone* zone = date::current_zone();
      TimeZone tz;
      tz.name_ = std::string(zone->name());
      tz.zone_ = zone;
      return tz;
    } catch (const std::exception&) {
      return utc();
    }
  }
  if (wanted == "UTC" || wanted == "Etc/UTC" || wanted == "Z" || wanted == "Etc/Universal" ||
      wanted == "Universal" || wanted == "Zulu" || wanted == "Etc/Zulu" || wanted == "GMT" ||
      wanted == "Etc/GMT") {
    return utc();
  }
  try {
    const date::time_zone* zone = date::locate_zone(wanted);
    TimeZone tz;
    tz.name_ = wanted;
    tz.zone_ = zone;
    return tz;
  } catch (const std::exception&) {
    return fail(Errc::kInvalidInput, fmt::format("unknown time zone '{}': use an IANA name such as "
                                                 "America/New_York, or UTC",
                                                 wanted));
  }
}

std::chrono::seconds TimeZone::offset_at(Instant t) const {
  if (zone_ == nullptr) {
    return seconds(0);
  }
  std::int64_t s = std::chrono::floor<seconds>(t).time_since_epoch().count();
  if (s >= cached_begin_s_ && s < cached_end_s_) {
    return cached_offset_;
  }
  const auto* zone = static_cast<const date::time_zone*>(zone_);
  date::sys_info info = zone->get_info(std::chrono::floor<seconds>(t));
  cached_begin_s_ = info.begin.time_since_epoch().count();
  cached_end_s_ = info.end.time_since_epoch().count();
  cached_offset_ = info.offset;
  return info.offset;
}

DateKey TimeZone::local_date(Instant t) const {
  auto local = t + offset_at(t);
  return date_key(std::chrono::year_month_day{std::chrono::floor<days>(local)});
}

int TimeZone::local_hour(Instant t) const {
  auto local = t + offset_at(t);
  auto since_midnight = local - std::chrono::floor<days>(local);
  return static_cast<int>(std::chrono::floor<std::chrono::hours>(since_midnight).count());
}

Instant TimeZone::start_of_day(DateKey date) const {
  auto local_midnight = std::chrono::sys_days(ymd_of(date));
  if (zone_ == nullptr) {
    return Instant(local_midnight.time_since_epoch());
  }
  const auto* zone = static_cast<const date::time_zone*>(zone_);
  date::local_seconds ls{local_midnight.time_since_epoch()};
  // A midnight that does not exist (DST gap) starts at the first instant after it.
  auto sys = zone->to_sys(ls, date::choose::earliest);
  return std::chrono::time_point_cast<milliseconds>(sys);
}

}  // namespace ccgauge

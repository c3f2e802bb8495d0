#pragma once
// Parsing and printing instants, and the calendar in a time zone.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/types.h"

namespace ccgauge {

// Parses an RFC 3339 / ISO 8601 timestamp: `YYYY-MM-DDTHH:MM:SS` (or a space for `T`), an
// optional fraction of any length (truncated to milliseconds), then `Z`, `±HH:MM`, `±HHMM` or
// nothing (read as UTC). Returns nullopt for anything else. About 15 ns.
std::optional<Instant> parse_timestamp(std::string_view text);

// `2026-03-02T03:03:51.467Z`
std::string format_iso_ms(Instant t);

// A calendar date as an integer YYYYMMDD (sortable, cheap to compare).
using DateKey = int;
DateKey date_key(std::chrono::year_month_day ymd);
std::chrono::year_month_day ymd_of(DateKey key);
std::string format_date(DateKey key);  // YYYY-MM-DD

// Parses YYYYMMDD or YYYY-MM-DD; an invalid calendar date is an error.
Result<DateKey> parse_date_arg(std::string_view text);
// parse_date_arg of an optional value: nullopt stays nullopt.
Result<std::optional<DateKey>> date_option(const std::optional<std::string>& text);

// A resolved IANA time zone. Cheap to copy. It remembers the last offset period it looked up,
// so bucketing many instants in time order costs a compare each; because of that cache one
// object is for one thread at a time (copy it for another).
class TimeZone {
 public:
  // name: an IANA zone, "UTC", or "local"/empty for the system's ($TZ first, then
  // /etc/localtime). An unknown name is an error.
  static Result<TimeZone> locate(std::string_view name);
  static TimeZone utc();
  // What locate(name) would look up, without looking it up: `name` itself, or for "local"/empty
  // this process's $TZ, then the zone /etc/localtime links to; empty when neither names one.
  // (A process that hands the zone to another, whose environment may differ, sends this.)
  static std::string requested_name(std::string_view name);

  const std::string& name() const { return name_; }
  // Offset from UTC at instant t.
  std::chrono::seconds offset_at(Instant t) const;
  std::chrono::sys_time<std::chrono::milliseconds> to_local(Instant t) const {
    return t + offset_at(t);
  }
  DateKey local_date(Instant t) const;
  int local_hour(Instant t) const;
  // The UTC instant of local midnight that starts the given date.
  Instant start_of_day(DateKey date) const;

 private:
  std::string name_;
  const void* zone_ = nullptr;  // const date::time_zone*; null means UTC
  // The offset period found last: [begin, end) in epoch seconds.
  mutable std::int64_t cached_begin_s_ = 1;
  mutable std::int64_t cached_end_s_ = 0;
  mutable std::chrono::seconds cached_offset_{0};
};

}  // namespace ccgauge

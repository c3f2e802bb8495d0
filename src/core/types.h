#pragma once
// Plain value types shared by every module: token counts, money, instants and one API request.
// No I/O here.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ccgauge {

// Money is an integer count of nanodollars (1 USD = 1e9). Sums are exact; there is no -0.
using Nanodollars = std::int64_t;
inline constexpr Nanodollars kNanodollarsPerDollar = 1'000'000'000;

// A UTC instant with millisecond precision (transcripts carry milliseconds; finer digits are
// truncated on parse).
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

inline std::int64_t to_epoch_ms(Instant t) { return t.time_since_epoch().count(); }
inline Instant from_epoch_ms(std::int64_t ms) { return Instant(std::chrono::milliseconds(ms)); }

// The billable buckets of one or many requests.
struct TokenCounts {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_write_5m = 0;
  std::int64_t cache_write_1h = 0;
  std::int64_t cache_read = 0;
  std::int64_t web_search_requests = 0;
  std::int64_t web_fetch_requests = 0;

  std::int64_t cache_creation() const { return cache_write_5m + cache_write_1h; }
  // ccusage's totalTokens: input + output + cache creation + cache read.
  std::int64_t total() const { return input + output + cache_creation() + cache_read; }
  // Tokens the request sent as context: input + cache creation + cache read. Long-context
  // pricing is decided on this number.
  std::int64_t context() const { return input + cache_creation() + cache_read; }

  TokenCounts& operator+=(const TokenCounts& o) {
    input += o.input;
    output += o.output;
    cache_write_5m += o.cache_write_5m;
    cache_write_1h += o.cache_write_1h;
    cache_read += o.cache_read;
    web_search_requests += o.web_search_requests;
    web_fetch_requests += o.web_fetch_requests;
    return *this;
  }
  friend bool operator==(const TokenCounts&, const TokenCounts&) = default;
};

enum class Speed : std::uint8_t { kStandard = 0, kFast = 1 };
enum class Agent : std::uint8_t { kMain = 0, kSubagent = 1 };

// One API request as a source reported it. Several source lines may describe the same request;
// the ledger keeps one per dedupe key (see ledger/ledger.h).
struct UsageRecord {
  std::string message_id;  // message.id; may be empty (then the record is never deduped)
  std::string request_id;  // requestId; may be empty
  std::string session_id;
  std::string project;  // the real path from `cwd`, else the encoded directory name
  std::string model;    // as logged; empty when the line had none
  Instant instant{};
  TokenCounts tokens;
  Speed speed = Speed::kStandard;
  Agent agent = Agent::kMain;
  bool sidechain = false;
  std::optional<Nanodollars> reported_cost;         // costUSD when the line carried one
  std::optional<std::int64_t> limit_reset_epoch_s;  // "usage limit reached|<epoch>" hint
};

// An official limit reading: a window's utilisation and reset instant as a source reported
// it (the limits engine reads these).
struct LimitSample {
  Instant instant{};
  std::string source;  // "statusline", "transcript", "otlp", "oauth"
  std::string window;  // "five_hour", "seven_day", ...
  std::optional<double> used_percent;
  std::optional<std::int64_t> resets_at_epoch_s;
  std::string session_id;
};

}  // namespace ccgauge

#pragma once
// The optional OAuth usage poller (`--oauth-usage`, off by default): reads the plan utilisation
// that Claude Code's `/usage` shows from `GET https://api.anthropic.com/api/oauth/usage`
// (research: telemetry.md 6.2, 6.3). The endpoint is undocumented and rate limited, and it needs
// the user's Claude Code OAuth token, so this client is careful:
//
// - It reads `claudeAiOauth.accessToken` and `expiresAt` from Claude Code's credentials file and
//   never refreshes, prints, logs or stores the token. An expired token is an error that asks the
//   user to run `claude`; no request is made with it.
// - HTTPS only, with certificate and host name verification against the system CA store (plus
//   `ca_file` when given). Plain `http://` is accepted only for loopback hosts (127.0.0.0/8, ::1,
//   `localhost`), so tests can run a local server; any other `http://` URL is refused before any
//   connection is made, because the token must never travel in clear. Redirects are not followed.
// - One cache file shared by every ccgauge process holds the last good readings and the back-off
//   state. A process never asks the endpoint more often than `min_interval`, respects HTTP 429
//   (Retry-After, else exponential back-off from 2 minutes to a 1 hour cap) and backs off after
//   401/403 and network errors. Processes serialize their polls with an advisory lock next to the
//   cache file, so two that start together send one request.
//
// Blocking: poll_usage() runs its own short-lived Asio loop on the calling thread and returns
// within about `timeout` (plus the wait for another process's poll). Safe to call from several
// threads and processes at once; they coordinate through the cache file's lock.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace ccgauge::ingest::oauth {

inline constexpr std::string_view kDefaultUsageUrl = "https://api.anthropic.com/api/oauth/usage";
inline constexpr std::string_view kOauthBetaHeader = "oauth-2025-04-20";
// Answer bodies larger than this are refused (headers are capped at 64 KiB).
inline constexpr std::size_t kMaxResponseBytes = 1 << 20;

struct UsageOptions {
  // https://host[:port]/path, or http:// to a loopback host.
  std::string url = std::string(kDefaultUsageUrl);
  // <claude config dir>/.credentials.json. On macOS Claude Code keeps the token in the Keychain
  // instead, which ccgauge does not read.
  std::filesystem::path credentials_file;
  // Required, e.g. $XDG_STATE_HOME/ccgauge/oauth-usage.json. Written atomically with mode 0600;
  // its directory is created when missing. `<cache_file>.lock` sits beside it.
  std::filesystem::path cache_file;
  // Never ask the endpoint more often than this, whatever the outcome of the last request.
  std::chrono::seconds min_interval{60};
  // Bound on one request: name resolution, connect, TLS handshake, write and read together.
  std::chrono::milliseconds timeout{3000};
  // The CLI passes "ccgauge/<its version>".
  std::string user_agent = "ccgauge/0.1.0";
  // Extra PEM trust anchors on top of the system CA store (empty: system store only).
  std::filesystem::path ca_file;
  // The injected clock: the instant this poll happens. Cache age, back-off and token expiry are
  // judged against it; a default (epoch) value means "use the system clock".
  Instant now{};
};

struct UsageResult {
  // One sample per window the endpoint reported, source "oauth", instant = fetched_at.
  std::vector<LimitSample> samples;
  // True when no request was made (or the request was rate limited) and `samples` are the
  // readings of an earlier poll, possibly none.
  bool from_cache = false;
  // When `samples` were fetched; empty when nothing was ever fetched.
  std::optional<Instant> fetched_at;
  // The earliest instant at which a poll would send a request again.
  std::optional<Instant> next_poll_after;
  // Empty on a fresh fetch or a plain cache hit; otherwise says why the figures are old
  // (rate limited, another process polling, cache unwritable, ...). Never contains the token.
  std::string note;
};

// Returns the plan utilisation, from the endpoint or from the cache (see the file comment).
//
// Outcomes:
// - within `min_interval` of the last request, or inside a 429 back-off: the cached samples,
//   from_cache = true, no request;
// - 200 with a usage body: fresh samples, cached for the next caller;
// - 429: the cached samples with a note, and a back-off persisted in the cache file;
// - inside the back-off of an earlier failure (401/403, network, timeout, bad body): that error
//   again, naming the instant of the next attempt, no request. A 401/403 back-off ends early
//   when the credentials file holds a different token expiry (the user ran `claude`);
// Errors: kInvalidInput (bad URL, http:// to a non-loopback host, no cache_file, a body that is
// not a usage response), kNotFound (no credentials file or no OAuth entry in it), kUnavailable
// (expired token, token without the user:profile scope, HTTP 401/403/other statuses, timeout,
// TLS verification failure), kIo (connection errors).
Result<UsageResult> poll_usage(const UsageOptions& options);

// Parses the endpoint's JSON body into samples with instant = fetched_at, source "oauth".
//
// Reads both shapes the endpoint has used:
// - top-level windows `five_hour`, `seven_day`, `seven_day_opus`, `seven_day_sonnet`,
//   `seven_day_oauth_apps` (and any other top-level object with a `utilization` member), each
//   `{utilization: percent 0..100 | null, resets_at: ISO 8601 | null}`. A null window, or one
//   whose fields are both null, gives no sample. `extra_usage` gives a sample only when its
//   `is_enabled` is true (utilization of the monthly extra-usage cap, no reset instant);
// - `limits[]` rows `{kind, percent, resets_at, scope{model{display_name}} | scope{surface}}`:
//   kind `session` is window "five_hour", `weekly_all` is "seven_day", `weekly_scoped` is
//   "seven_day_<display name or surface, lowercased, non-alphanumerics as _>" (Opus ->
//   "seven_day_opus"), any other kind is its own name. A row adds a window only when the
//   top-level fields did not already report it.
// Numbers may be numeric text; percentages are clamped to 0..100; `resets_at` may also be epoch
// seconds or milliseconds. Unknown keys are ignored. Errors (kInvalidInput): not JSON, not an
// object, an API error object, or an object with none of the usage fields.
Result<std::vector<LimitSample>> parse_usage_response(std::string_view json, Instant fetched_at);

}  // namespace ccgauge::ingest::oauth

#pragma once
// `ccgauge serve`: the daemon. One ingest thread turns inotify events into ledger commits and
// keeps the live state; one Asio thread serves HTTP and WebSocket (server/); after each commit
// the ingest thread publishes what changed to the live hub. This header is the contract between
// the daemon's core (serve.cpp) and its route sets (REST API, /metrics, /usage, ...): each set
// registers its routes on the Router with the DaemonContext they read from.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/limits.h"
#include "analytics/session_activity.h"
#include "cli/environment.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "core/types.h"
#include "ledger/ledger.h"
#include "pricing/price_table.h"
#include "server/live_hub.h"
#include "server/router.h"

namespace ccgauge::cli {

// A session with a request or a hook event in the last kActiveSessionWindow that has not ended
// (SessionEnd).
struct ActiveSession {
  std::string session_id;
  std::string project;
  std::string model;  // of its newest request; empty before its first
  Instant first{};    // its first request or hook event in the window
  Instant last{};     // its newest request or hook event
  std::int64_t requests = 0;
  Nanodollars cost = 0;
  // What its hooks said last (status empty: no hook event in the window; the session is then
  // "active" while its last request is under 5 minutes old, else "idle").
  analytics::SessionActivity hooks;
};

// Writes what a session is doing into the open JSON object: status ("started", "working",
// "waiting", "idle", "ended" from its hooks; without hooks "active" while its last request is
// under 5 minutes old, else "idle"), activity, tool (null when none), toolCalls, prompts, and
// hooks (whether its hooks were seen). /api/v1/sessions?active=1 and the WebSocket's session
// events carry these members.
void write_session_activity(JsonWriter& w, const ActiveSession& session, Instant now);

// What the ingest thread computes after each commit (and on its timer). Immutable once
// published; readers hold a shared_ptr to the version they read.
struct LiveState {
  std::uint64_t seq = 0;   // increments with every change of state
  Instant computed_at{};   // when this state was computed
  std::optional<Instant> last_request;  // the newest request's instant
  std::string last_model;               // the newest request's model (as logged)
  analytics::LimitsReport limits;
  // Today, in the daemon's time zone.
  TokenCounts today_tokens;
  Nanodollars today_cost = 0;
  std::int64_t today_requests = 0;
  // Input + output tokens per minute over the last 60 seconds (the gauge's tachometer).
  double tpm_io_1m = 0;
  std::vector<ActiveSession> active_sessions;
};

struct IngestHealth {
  std::string watcher;  // the watcher's status line
  bool degraded = false;
  std::int64_t catch_ups = 0;
  std::int64_t requests_committed = 0;
  std::int64_t malformed_lines = 0;
  std::string last_error;
};

// One event the daemon published, as GET /api/v1/events lists it.
struct RecordedEvent {
  std::uint64_t seq = 0;  // 1, 2, ... in publish order, over the daemon's life
  Instant recorded_at{};
  server::LiveEvent event;
};

// How many published events the daemon remembers for /api/v1/events.
inline constexpr std::size_t kRecentEventCapacity = 1000;

class DaemonContext {
 public:
  DaemonContext(pricing::PriceTable prices, TimeZone zone, analytics::PlanLimits plan,
                std::string ledger_path, std::vector<std::string> config_dirs);

  const pricing::PriceTable& prices() const { return prices_; }
  const TimeZone& zone() const { return zone_; }
  const analytics::PlanLimits& plan() const { return plan_; }
  const std::string& ledger_path() const { return ledger_path_; }
  const std::vector<std::string>& config_dirs() const { return config_dirs_; }
  server::LiveHub& hub() { return hub_; }
  Instant started_at() const { return started_at_; }

  // The state as of the last commit; never blocks on the writer. Thread-safe.
  std::shared_ptr<const LiveState> state() const;
  void set_state(std::shared_ptr<const LiveState> state);

  IngestHealth health() const;
  void set_health(IngestHealth health);

  // Remembers an event published on the hub (call it next to every hub().publish() of the
  // daemon; heartbeats are not recorded). The newest kRecentEventCapacity stay. Thread-safe; it
  // never waits for a reader longer than a vector copy of pointers.
  void record_event(const server::LiveEvent& event);
  // The remembered events, oldest first. Thread-safe.
  std::vector<std::shared_ptr<const RecordedEvent>> recent_events() const;

  // The read connection of the HTTP thread, opened on first use. Call it on the io thread only
  // (every route handler runs there).
  Result<ledger::Ledger*> reader();

  // Where events posted to the daemon (POST /api/v1/harness) are spooled for the ingest thread,
  // which also drains what `ccgauge hook` and `ccgauge emit` spooled (ledger/events.h).
  const std::string& spool_dir() const { return spool_dir_; }
  // Wakes the ingest thread to drain the spool and publish new events now. Thread-safe.
  void wake_ingest() const;
  void set_wake_fd(int fd) { wake_fd_ = fd; }

 private:
  pricing::PriceTable prices_;
  TimeZone zone_;
  analytics::PlanLimits plan_;
  std::string ledger_path_;
  std::vector<std::string> config_dirs_;
  server::LiveHub hub_;
  Instant started_at_;
  mutable std::mutex mutex_;
  std::shared_ptr<const LiveState> state_;
  IngestHealth health_;
  std::optional<ledger::Ledger> reader_;
  std::string spool_dir_;
  int wake_fd_ = -1;
  mutable std::mutex events_mutex_;
  // Guarded by events_mutex_.
  std::deque<std::shared_ptr<const RecordedEvent>> events_;
  std::uint64_t event_seq_ = 0;
};

// Route sets, each in its own file.
void add_api_routes(server::Router& router, DaemonContext& ctx);      // api_routes.cpp
void add_gauge_routes(server::Router& router, DaemonContext& ctx);    // gauge_routes.cpp

struct ServeOptions {
  std::string listen = "127.0.0.1:8321";  // address:port
  std::string token;                      // bearer token; required off loopback
  std::string ledger_path;                // empty: the default
  std::string timezone;                   // empty: $TZ, then the system's
  PlanFlags plan;
  bool oauth_usage = false;
  // The OTLP receivers (cli/otlp_receiver.h). Unset: the default address, skipped with a
  // warning when it cannot be bound (another collector has it); an address given explicitly
  // must bind.
  std::optional<std::string> otlp_grpc;  // default 127.0.0.1:4317
  std::optional<std::string> otlp_http;  // default 127.0.0.1:4318
  bool no_otlp = false;                  // neither receiver
  std::size_t otlp_max_body_bytes = std::size_t{64} << 20;
  // Items (records, events, points) waiting for the ledger writer before receivers answer
  // "try later".
  std::size_t otlp_max_pending = 50'000;
  bool otlp_prompt_text = false;  // keep prompt and response text (opt-in)
};

// "host:port", "[v6]:port", or ":port" (host 127.0.0.1) as (host without brackets, port); the
// error names `flag`.
Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& listen,
                                                           std::string_view flag = "--listen");

// Runs until SIGTERM or SIGINT; returns the exit code.
int run_serve(const ServeOptions& options);

}  // namespace ccgauge::cli

// The daemon's REST API under /api/v1/.
//
// The reports take the CLI's parameters, named like its long flags in snake_case (`since`,
// `until`, `mode`, `order`, `timezone`, `project`, `instances`, `no_cost`, `start_of_week`,
// `active`, `recent`, `token_limit`, `session_length`), and are built and rendered by the CLI's
// own code (commands.h, render.h): /api/v1/daily answers the bytes `ccgauge daily --json` prints
// for the same query and ledger, and so on for weekly, monthly, hourly, sessions, one session,
// blocks and limits. The routes of the API's own (summary, projects, models, events, health) are
// built from the same reports or from the live state.
//
// Every handler runs on the io thread. Reports read the HTTP thread's ledger connection (WAL: a
// read never waits for the writer); day, week, month and hour reports read the quarter-hour
// rollups. Report bodies are cached per live-state version (it changes after every commit and at
// least every 15 seconds), so clients polling the same query cost a map lookup; the "now" of a
// report (today, the active block) is the instant that state was computed.
//
// One table (kRoutes) drives the routes, the parameter check (an unknown parameter is a 400
// naming it) and the OpenAPI document at /api/v1/openapi.json, so the document cannot forget a
// route or a parameter of the API. The other route sets of the daemon (/usage, /metrics,
// /healthz, the WebSocket) are described from kOtherRoutes.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cli/activity.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "cli/render.h"
#include "cli/render_util.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "ledger/events.h"
#include "ledger/harness_reader.h"
#include "server/http_server.h"

namespace ccgauge::cli {
namespace {

using analytics::PeriodKind;
using detail::usd;
using detail::finish;

// The live state is recomputed at least every 15 s; older than this, health says "stale".
constexpr auto kStaleAfter = std::chrono::seconds(60);
// /api/v1/events without `limit`.
constexpr std::int64_t kDefaultEventLimit = 100;
// /api/v1/summary's top lists without `limit`.
constexpr std::int64_t kDefaultTopLimit = 5;
// Distinct queries cached per live-state version; past this the cache starts over.
constexpr std::size_t kCacheEntries = 256;

// ---- Parameters -------------------------------------------------------------------------------

enum class ParamKind { kDate, kEnum, kBool, kInteger, kNumber, kString, kTimeZone, kTokenLimit };

struct ParamSpec {
  std::string_view name;
  ParamKind kind;
  std::string_view description;
  std::span<const std::string_view> values = {};  // kEnum; for `type`, the allowed list items
};

constexpr std::string_view kModes[] = {"auto", "calculate", "display"};
constexpr std::string_view kOrders[] = {"asc", "desc"};
constexpr std::string_view kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                          "thursday", "friday", "saturday"};

constexpr ParamSpec kSince{"since", ParamKind::kDate,
                           "Keep usage on or after this local date (YYYYMMDD or YYYY-MM-DD)."};
constexpr ParamSpec kUntil{"until", ParamKind::kDate,
                           "Keep usage on or before this local date (YYYYMMDD or YYYY-MM-DD)."};
constexpr ParamSpec kMode{"mode", ParamKind::kEnum,
                          "Cost mode: auto (reported cost when present, else computed), "
                          "calculate, display. Default auto.",
                          kModes};
constexpr ParamSpec kOrder{"order", ParamKind::kEnum, "Sort order. Default asc.", kOrders};
constexpr ParamSpec kTimezone{"timezone", ParamKind::kTimeZone,
                              "IANA time zone for dates and hours (default: the daemon's)."};
constexpr ParamSpec kProject{"project", ParamKind::kString,
                             "Only this project: its path, its last path component, or Claude's "
                             "encoded directory name."};
constexpr ParamSpec kInstances{"instances", ParamKind::kBool,
                               "Group by project: {\"projects\":{\"<project>\":[rows]}}."};
constexpr ParamSpec kBreakdown{"breakdown", ParamKind::kBool,
                               "Accepted for parity with the CLI; JSON always has "
                               "modelBreakdowns."};
constexpr ParamSpec kNoCost{"no_cost", ParamKind::kBool, "Leave cost fields out."};
constexpr ParamSpec kStartOfWeek{"start_of_week", ParamKind::kEnum,
                                 "First day of the week. Default sunday.", kWeekdays};
constexpr ParamSpec kActiveSessions{"active", ParamKind::kBool,
                                    "Only the sessions active now (a request in the last 30 "
                                    "minutes), from the live state; the report parameters "
                                    "then have no effect."};
constexpr ParamSpec kActiveBlock{"active", ParamKind::kBool,
                                 "Only the active block, with projection."};
constexpr ParamSpec kRecent{"recent", ParamKind::kBool,
                            "Only blocks of the last 3 days, and the active one."};
constexpr ParamSpec kTokenLimit{"token_limit", ParamKind::kTokenLimit,
                                "Token limit per block: a positive number, or max (the largest "
                                "past block)."};
constexpr ParamSpec kSessionLength{"session_length", ParamKind::kNumber,
                                   "Block length in hours (positive). Default 5."};
constexpr ParamSpec kTopLimit{"limit", ParamKind::kInteger,
                              "How many entries the top lists keep (non-negative). Default 5."};
constexpr ParamSpec kListLimit{"limit", ParamKind::kInteger,
                               "Keep only the first N entries (non-negative; default: all)."};
constexpr ParamSpec kEventLimit{"limit", ParamKind::kInteger,
                                "The newest N matching events (0 to 1000). Default 100."};
constexpr ParamSpec kEventTypes{"type", ParamKind::kString,
                                "Comma-separated event types to keep (default: all).",
                                server::kLiveEventTypes};
constexpr ParamSpec kEventProject{"project", ParamKind::kString,
                                  "Keep events of this project (events without a project, such as "
                                  "limit events, pass, as on the WebSocket)."};
constexpr ParamSpec kEventSession{"session", ParamKind::kString,
                                  "Keep events of this session (events without one pass)."};
constexpr ParamSpec kEventModel{"model", ParamKind::kString,
                                "Keep events of this model (events without one pass)."};
constexpr ParamSpec kMinTokens{"min_tokens", ParamKind::kInteger,
                               "Keep request events with at least this many tokens."};
constexpr ParamSpec kAfter{"after", ParamKind::kInteger,
                           "Only events whose seq is greater (for polling)."};

constexpr ParamSpec kHost{"host", ParamKind::kString,
                          "Only usage from this host (host.name, known through OpenTelemetry)."};
constexpr ParamSpec kUser{"user", ParamKind::kString,
                          "Only usage of this user: e-mail, account UUID or user id (known "
                          "through OpenTelemetry)."};
constexpr std::string_view kToolGroupings[] = {"tool", "session", "project"};
constexpr ParamSpec kToolsBy{"by", ParamKind::kEnum, "Rows per tool, session or project. Default tool.",
                             kToolGroupings};
constexpr ParamSpec kToolsSession{"session", ParamKind::kString, "Only this session."};
constexpr ParamSpec kLabel{"label", ParamKind::kString, "Only runs with this label."};
constexpr std::string_view kActivityGroupings[] = {"day", "project", "tool", "host", "user"};
constexpr ParamSpec kActivityBy{"by", ParamKind::kEnum,
                                "Rows per day, project, tool, host or user. Default day.",
                                kActivityGroupings};

constexpr ParamSpec kPeriodParams[] = {kSince,   kUntil,     kMode,      kOrder,  kTimezone,
                                       kProject, kInstances, kBreakdown, kNoCost, kHost,
                                       kUser};
constexpr ParamSpec kWeeklyParams[] = {kSince,      kUntil,     kMode,   kOrder,
                                       kTimezone,   kProject,   kInstances, kBreakdown,
                                       kNoCost,     kStartOfWeek, kHost,  kUser};
constexpr ParamSpec kSessionsParams[] = {kSince,    kUntil,   kMode,      kOrder,
                                         kTimezone, kProject, kInstances, kBreakdown,
                                         kNoCost,   kHost,    kUser,      kActiveSessions};
constexpr ParamSpec kToolsParams[] = {kSince, kUntil, kTimezone, kToolsBy, kProject,
                                      kToolsSession};
constexpr ParamSpec kHarnessParams[] = {kLabel, kMode};
constexpr ParamSpec kActivityParams[] = {kSince, kUntil, kTimezone, kActivityBy, kHost, kUser};
constexpr ParamSpec kSessionParams[] = {kMode, kNoCost};
constexpr ParamSpec kBlocksParams[] = {kSince,    kUntil,      kMode,         kOrder,
                                       kTimezone, kProject,    kNoCost,       kActiveBlock,
                                       kRecent,   kTokenLimit, kSessionLength};
constexpr ParamSpec kTotalsParams[] = {kSince, kUntil, kMode, kTimezone, kProject, kListLimit};
constexpr ParamSpec kSummaryParams[] = {kTimezone, kMode, kStartOfWeek, kTopLimit};
constexpr ParamSpec kEventsParams[] = {kEventLimit, kEventTypes, kEventProject, kEventSession,
                                       kEventModel, kMinTokens,  kAfter};

// "parameter 'since': <why>", as a 400.
Error bad_param(std::string_view name, std::string_view why) {
  return Error{Errc::kInvalidInput, fmt::format("parameter '{}': {}", name, why)};
}

// The value of a parameter, when given.
const std::string* find_param(const server::Request& request, std::string_view name) {
  auto it = request.query.find(std::string(name));
  return it == request.query.end() ? nullptr : &it->second;
}

// A text parameter into `out`, when given (the filters: project, session, host, user, label).
void text_param(const server::Request& request, std::string_view name,
                std::optional<std::string>& out) {
  if (const std::string* v = find_param(request, name)) {
    out = *v;
  }
}

// Present without a value ("?active") is true.
Result<bool> bool_param(const server::Request& request, std::string_view name) {
  const std::string* v = find_param(request, name);
  if (v == nullptr) {
    return false;
  }
  if (v->empty() || *v == "1" || *v == "true" || *v == "yes" || *v == "on") {
    return true;
  }
  if (*v == "0" || *v == "false" || *v == "no" || *v == "off") {
    return false;
  }
  return tl::unexpected(bad_param(name, fmt::format("'{}' is not a boolean (true or false)", *v)));
}

Result<std::optional<std::int64_t>> integer_param(const server::Request& request,
                                                  std::string_view name) {
  const std::string* v = find_param(request, name);
  if (v == nullptr) {
    return std::optional<std::int64_t>();
  }
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 0) {
    return tl::unexpected(bad_param(name, fmt::format("'{}' is not a non-negative integer", *v)));
  }
  return std::optional<std::int64_t>(n);
}

Result<std::optional<DateKey>> date_param(const server::Request& request, std::string_view name) {
  const std::string* v = find_param(request, name);
  if (v == nullptr) {
    return std::optional<DateKey>();
  }
  auto key = parse_date_arg(*v);
  if (!key) {
    return tl::unexpected(bad_param(name, key.error().message));
  }
  return std::optional<DateKey>(*key);
}

// A parameter read with one of commands.h's parse_* functions, or `fallback` when absent.
template <class T, class Parse>
Result<T> parsed_param(const server::Request& request, std::string_view name, T fallback,
                       Parse parse) {
  const std::string* v = find_param(request, name);
  if (v == nullptr) {
    return fallback;
  }
  auto parsed = parse(*v);
  if (!parsed) {
    return tl::unexpected(bad_param(name, parsed.error().message));
  }
  return *parsed;
}

// The first error among some results, or null.
template <class... R>
const Error* first_error(const R&... results) {
  const Error* found = nullptr;
  ((found = found != nullptr || results.has_value() ? found : &results.error()), ...);
  return found;
}

// A handler's failure as a response: bad input 400, not found 404, the rest 500/503.
server::Response error_response(const Error& error) {
  switch (error.code) {
    case Errc::kInvalidInput:
      return server::json_error(400, error.message);
    case Errc::kNotFound:
      return server::json_error(404, error.message);
    case Errc::kUnavailable:
      return server::json_error(503, error.message);
    default:
      return server::json_error(500, error.message);
  }
}

server::Response json_response(std::string body, bool etag) {
  server::Response r;
  r.body = std::move(body);
  r.etag = etag;
  return r;
}

void write_token_fields(JsonWriter& w, const TokenCounts& tokens) {
  w.key("inputTokens").value(tokens.input);
  w.key("outputTokens").value(tokens.output);
  w.key("cacheCreationTokens").value(tokens.cache_creation());
  w.key("cacheReadTokens").value(tokens.cache_read);
  w.key("totalTokens").value(tokens.total());
}

void write_totals(JsonWriter& w, const analytics::Totals& totals) {
  w.begin_object();
  write_token_fields(w, totals.tokens);
  w.key("totalCost").value(usd(totals.cost));
  w.key("requests").value(totals.requests);
  w.end_object();
}

// Largest cost first, then most tokens, then by name.
template <class T>
void sort_by_cost(std::vector<T>& items) {
  std::sort(items.begin(), items.end(), [](const T& a, const T& b) {
    if (a.totals.cost != b.totals.cost) {
      return a.totals.cost > b.totals.cost;
    }
    if (a.totals.tokens.total() != b.totals.tokens.total()) {
      return a.totals.tokens.total() > b.totals.tokens.total();
    }
    return a.name < b.name;
  });
}

struct NamedTotals {
  std::string name;
  analytics::Totals totals;
  std::vector<std::string> models;  // display names, first-seen order (projects only)
};

// Per-project totals of a report grouped by project (rows carry `project`).
std::vector<NamedTotals> project_totals(const analytics::PeriodReport& report) {
  std::vector<NamedTotals> out;
  std::unordered_map<std::string, std::size_t> index;
  for (const analytics::UsageRow& row : report.rows) {
    auto [it, inserted] = index.try_emplace(row.project, out.size());
    if (inserted) {
      out.push_back(NamedTotals{row.project, {}, {}});
    }
    NamedTotals& p = out[it->second];
    p.totals.tokens += row.tokens;
    p.totals.cost += row.cost;
    p.totals.requests += row.requests;
    for (const std::string& m : row.models_used) {
      if (std::find(p.models.begin(), p.models.end(), m) == p.models.end()) {
        p.models.push_back(m);
      }
    }
  }
  sort_by_cost(out);
  return out;
}

// Per-model totals (display names, as modelBreakdowns name them) of some report rows.
std::vector<NamedTotals> model_totals(std::span<const analytics::UsageRow* const> rows) {
  std::vector<NamedTotals> out;
  std::unordered_map<std::string, std::size_t> index;
  for (const analytics::UsageRow* row : rows) {
    for (const analytics::ModelBreakdown& b : row->breakdowns) {
      auto [it, inserted] = index.try_emplace(b.model, out.size());
      if (inserted) {
        out.push_back(NamedTotals{b.model, {}, {}});
      }
      out[it->second].totals.tokens += b.tokens;
      out[it->second].totals.cost += b.cost;
    }
  }
  sort_by_cost(out);
  return out;
}

void write_strings(JsonWriter& w, const std::vector<std::string>& items) {
  w.begin_array();
  for (const std::string& item : items) {
    w.value(item);
  }
  w.end_array();
}

void write_missing_pricing(JsonWriter& w, const std::vector<std::string>& models) {
  if (!models.empty()) {
    w.key("missingPricing");
    write_strings(w, models);
  }
}

// ---- The API ----------------------------------------------------------------------------------

class Api;
using ApiHandler = server::Response (Api::*)(const server::Request&);

enum class Caching { kPerState, kNone };

struct RouteSpec {
  std::string_view path;
  std::string_view summary;
  std::span<const ParamSpec> params;
  std::string_view schema;  // components.schemas name of the 200 body
  Caching caching;
  ApiHandler handler;
};

// Lives on the io thread: every member is used only by handlers.
class Api {
 public:
  // Copies the daemon's zone now, before the ingest thread runs: a TimeZone caches its last
  // lookup and is for one thread at a time.
  explicit Api(DaemonContext& ctx) : ctx_(ctx), zone_(ctx.zone()) {}

  server::Response summary(const server::Request& request);
  server::Response daily(const server::Request& r) { return period(r, PeriodKind::kDaily); }
  server::Response weekly(const server::Request& r) { return period(r, PeriodKind::kWeekly); }
  server::Response monthly(const server::Request& r) { return period(r, PeriodKind::kMonthly); }
  server::Response hourly(const server::Request& r) { return period(r, PeriodKind::kHourly); }
  server::Response sessions(const server::Request& request);
  server::Response session(const server::Request& request);
  server::Response projects(const server::Request& request);
  server::Response models(const server::Request& request);
  server::Response blocks(const server::Request& request);
  server::Response limits(const server::Request& request);
  server::Response events(const server::Request& request);
  server::Response health(const server::Request& request);
  server::Response tools(const server::Request& request);
  server::Response harness(const server::Request& request);
  server::Response activity(const server::Request& request);
  server::Response post_harness(const server::Request& request);
  server::Response openapi(const server::Request&) { return json_response(openapi_, true); }

  // Checks the parameters against the route's, then answers from the cache or the handler.
  server::Response serve(const RouteSpec& route, const server::Request& request);

  void set_openapi(std::string document) { openapi_ = std::move(document); }

 private:
  server::Response period(const server::Request& request, PeriodKind kind);
  Result<TimeZone> zone_param(const server::Request& request);
  template <class Selection>
  Status date_range(const server::Request& request, Selection& selection);
  Result<PeriodQuery> period_query(const server::Request& request, PeriodKind kind);
  Result<RenderOptions> render_options(const server::Request& request);
  Result<ledger::Ledger*> reader();
  template <class Build, class Render>
  server::Response report_response(Build&& build, Render&& render);
  server::Response active_sessions(const LiveState& state);
  server::Response named_totals(const server::Request& request, bool by_project);

  DaemonContext& ctx_;
  TimeZone zone_;
  std::map<std::string, TimeZone, std::less<>> zones_;  // located zones by name
  std::uint64_t cache_seq_ = 0;
  std::unordered_map<std::string, server::Response> cache_;
  std::string openapi_;
};

Result<ledger::Ledger*> Api::reader() {
  auto r = ctx_.reader();
  if (!r) {
    return tl::unexpected(Error{Errc::kUnavailable, "ledger unavailable: " + r.error().message});
  }
  return r;
}

// The tail of the report routes: build(ledger) on the HTTP thread's connection, then the JSON
// text render(report) as a cacheable 200. An unavailable ledger or a failed build is the error
// response instead.
template <class Build, class Render>
server::Response Api::report_response(Build&& build, Render&& render) {
  auto ledger = reader();
  if (!ledger) {
    return error_response(ledger.error());
  }
  auto report = build(**ledger);
  if (!report) {
    return error_response(report.error());
  }
  return json_response(render(*report), true);
}

Result<TimeZone> Api::zone_param(const server::Request& request) {
  const std::string* name = find_param(request, "timezone");
  if (name == nullptr || name->empty()) {
    return zone_;
  }
  auto it = zones_.find(*name);
  if (it != zones_.end()) {
    return it->second;
  }
  auto zone = TimeZone::locate(*name);
  if (!zone) {
    return tl::unexpected(bad_param("timezone", zone.error().message));
  }
  zones_.emplace(*name, *zone);
  return *zone;
}

// since, until and timezone into a ToolsSelection or ActivitySelection.
template <class Selection>
Status Api::date_range(const server::Request& request, Selection& selection) {
  auto since = date_param(request, "since");
  auto until = date_param(request, "until");
  auto zone = zone_param(request);
  if (const Error* e = first_error(since, until, zone)) {
    return tl::unexpected(*e);
  }
  selection.since = *since;
  selection.until = *until;
  selection.zone = *zone;
  return {};
}

Result<PeriodQuery> Api::period_query(const server::Request& request, PeriodKind kind) {
  PeriodQuery q;
  q.kind = kind;
  auto since = date_param(request, "since");
  auto until = date_param(request, "until");
  auto mode = parsed_param(request, "mode", analytics::CostMode::kAuto, parse_cost_mode);
  auto order = parsed_param(request, "order", analytics::Order::kAsc, parse_order);
  auto zone = zone_param(request);
  auto instances = bool_param(request, "instances");
  auto week = parsed_param(request, "start_of_week", std::chrono::Sunday, parse_weekday);
  if (const Error* e = first_error(since, until, mode, order, zone, instances, week)) {
    return tl::unexpected(*e);
  }
  q.since = *since;
  q.until = *until;
  q.mode = *mode;
  q.order = *order;
  q.zone = *zone;
  q.instances = *instances;
  q.start_of_week = *week;
  text_param(request, "project", q.project);
  text_param(request, "host", q.host);
  text_param(request, "user", q.user);
  return q;
}

// What the JSON renderers look at: no_cost (and the zone and order, as the CLI passes them).
Result<RenderOptions> Api::render_options(const server::Request& request) {
  auto no_cost = bool_param(request, "no_cost");
  auto breakdown = bool_param(request, "breakdown");
  if (const Error* e = first_error(no_cost, breakdown)) {
    return tl::unexpected(*e);
  }
  RenderOptions r;
  r.no_cost = *no_cost;
  r.breakdown = *breakdown;
  return r;
}

server::Response Api::serve(const RouteSpec& route, const server::Request& request) {
  for (const auto& [name, value] : request.query) {
    bool known = std::any_of(route.params.begin(), route.params.end(),
                             [&](const ParamSpec& p) { return p.name == name; });
    if (!known) {
      return server::json_error(400,
                                fmt::format("unknown parameter '{}' for {}", name, route.path));
    }
  }
  if (route.caching == Caching::kNone) {
    return (this->*route.handler)(request);
  }
  std::uint64_t seq = ctx_.state()->seq;
  if (seq != cache_seq_ || cache_.size() >= kCacheEntries) {
    cache_.clear();
    cache_seq_ = seq;
  }
  std::string key = request.path;
  for (const auto& [name, value] : request.query) {
    key += '\n';
    key += name;
    key += '=';
    key += value;
  }
  if (auto it = cache_.find(key); it != cache_.end()) {
    return it->second;
  }
  server::Response response = (this->*route.handler)(request);
  if (response.status == 200) {
    cache_.emplace(std::move(key), response);
  }
  return response;
}

server::Response Api::period(const server::Request& request, PeriodKind kind) {
  auto query = period_query(request, kind);
  auto render = render_options(request);
  if (const Error* e = first_error(query, render)) {
    return error_response(*e);
  }
  render->zone = query->zone;
  render->order = query->order;
  return report_response(
      [&](ledger::Ledger& ledger) { return build_period_report(ledger, *query); },
      [&](const analytics::PeriodReport& report) { return render_period_json(report, *render); });
}

server::Response Api::active_sessions(const LiveState& state) {
  JsonWriter w(JsonWriter::Style::kPretty);
  w.begin_object();
  w.key("asOf").value(format_iso_ms(state.computed_at));
  w.key("sessions").begin_array();
  for (const ActiveSession& s : state.active_sessions) {
    w.begin_object();
    w.key("sessionId").value(s.session_id);
    w.key("projectPath").value(s.project);
    w.key("model").value(s.model);
    w.key("firstActivity").value(format_iso_ms(s.first));
    w.key("lastActivity").value(format_iso_ms(s.last));
    w.key("requests").value(s.requests);
    w.key("totalCost").value(usd(s.cost));
    write_session_activity(w, s, state.computed_at);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json_response(finish(w), true);
}

server::Response Api::sessions(const server::Request& request) {
  auto active = bool_param(request, "active");
  if (!active) {
    return error_response(active.error());
  }
  if (*active) {
    auto query = period_query(request, PeriodKind::kSession);  // still checked
    if (!query) {
      return error_response(query.error());
    }
    return active_sessions(*ctx_.state());
  }
  return period(request, PeriodKind::kSession);
}

server::Response Api::session(const server::Request& request) {
  auto mode = parsed_param(request, "mode", analytics::CostMode::kAuto, parse_cost_mode);
  auto render = render_options(request);
  if (const Error* e = first_error(mode, render)) {
    return error_response(*e);
  }
  auto ledger = reader();
  if (!ledger) {
    return error_response(ledger.error());
  }
  const std::string& id = request.path_params.at("id");
  auto detail = build_session_detail(**ledger, id, *mode);
  if (!detail) {
    return error_response(detail.error());
  }
  if (!*detail) {
    return server::json_error(404, fmt::format("no session with id {}", id));
  }
  return json_response(render_session_detail_json(&**detail, *render), true);
}

// The report of the whole range, per month: its rows add up to the per-project and per-model
// totals of /projects and /models, and it reads rollups only.
Result<analytics::PeriodReport> totals_report(ledger::Ledger& ledger, PeriodQuery query,
                                              bool by_project) {
  query.kind = PeriodKind::kMonthly;
  query.instances = by_project;
  return build_period_report(ledger, query);
}

void write_named_list(JsonWriter& w, std::string_view list_key, std::string_view name_key,
                      std::vector<NamedTotals> items, std::optional<std::int64_t> limit,
                      bool with_models) {
  if (limit && static_cast<std::size_t>(*limit) < items.size()) {
    items.resize(static_cast<std::size_t>(*limit));
  }
  w.key(list_key).begin_array();
  for (const NamedTotals& item : items) {
    w.begin_object();
    w.key(name_key).value(item.name);
    write_token_fields(w, item.totals.tokens);
    w.key("totalCost").value(usd(item.totals.cost));
    if (with_models) {
      w.key("requests").value(item.totals.requests);
      w.key("modelsUsed");
      write_strings(w, item.models);
    }
    w.end_object();
  }
  w.end_array();
}

server::Response Api::projects(const server::Request& request) {
  return named_totals(request, /*by_project=*/true);
}

server::Response Api::models(const server::Request& request) {
  return named_totals(request, /*by_project=*/false);
}

// /projects and /models: the all-time (or since/until) totals per project or per model.
server::Response Api::named_totals(const server::Request& request, bool by_project) {
  auto query = period_query(request, PeriodKind::kMonthly);
  auto limit = integer_param(request, "limit");
  if (const Error* e = first_error(query, limit)) {
    return error_response(*e);
  }
  return report_response(
      [&](ledger::Ledger& ledger) { return totals_report(ledger, *query, by_project); },
      [&](const analytics::PeriodReport& report) {
        JsonWriter w(JsonWriter::Style::kPretty);
        w.begin_object();
        if (by_project) {
          write_named_list(w, "projects", "project", project_totals(report), *limit, true);
        } else {
          std::vector<const analytics::UsageRow*> rows;
          for (const analytics::UsageRow& row : report.rows) {
            rows.push_back(&row);
          }
          write_named_list(w, "models", "model", model_totals(rows), *limit, false);
        }
        w.key("totals");
        write_totals(w, report.totals);
        write_missing_pricing(w, report.missing_pricing);
        w.end_object();
        return finish(w);
      });
}

server::Response Api::blocks(const server::Request& request) {
  auto since = date_param(request, "since");
  auto until = date_param(request, "until");
  auto mode = parsed_param(request, "mode", analytics::CostMode::kAuto, parse_cost_mode);
  auto order = parsed_param(request, "order", analytics::Order::kAsc, parse_order);
  auto zone = zone_param(request);
  auto active = bool_param(request, "active");
  auto recent = bool_param(request, "recent");
  auto limit = parsed_param(request, "token_limit", TokenLimit{}, parse_token_limit);
  auto render = render_options(request);
  if (const Error* e =
          first_error(since, until, mode, order, zone, active, recent, limit, render)) {
    return error_response(*e);
  }
  analytics::BlocksOptions bo;
  if (const std::string* hours = find_param(request, "session_length")) {
    double h = 0;
    auto [end, ec] = std::from_chars(hours->data(), hours->data() + hours->size(), h);
    if (ec != std::errc() || end != hours->data() + hours->size() || !std::isfinite(h) || h <= 0) {
      return error_response(bad_param(
          "session_length", fmt::format("'{}' is not a positive number of hours", *hours)));
    }
    bo.session_length_hours = h;
  }
  bo.mode = *mode;
  bo.order = *order;
  bo.zone = *zone;
  bo.since = *since;
  bo.until = *until;
  bo.active_only = *active;
  bo.recent_only = *recent;
  bo.token_limit = limit->tokens;
  bo.token_limit_max = limit->max;
  bo.now = ctx_.state()->computed_at;
  std::optional<std::string> project;
  text_param(request, "project", project);
  render->zone = *zone;
  render->order = *order;
  return report_response(
      [&](ledger::Ledger& ledger) { return build_blocks_report(ledger, bo, project); },
      [&](const analytics::BlocksReport& report) { return render_blocks_json(report, *render); });
}

server::Response Api::limits(const server::Request&) {
  // `ccgauge limits --json` prints the same text and a newline.
  return json_response(render_limits_json(ctx_.state()->limits) + "\n", true);
}

server::Response Api::summary(const server::Request& request) {
  auto zone = zone_param(request);
  auto mode = parsed_param(request, "mode", analytics::CostMode::kAuto, parse_cost_mode);
  auto week_start = parsed_param(request, "start_of_week", std::chrono::Sunday, parse_weekday);
  auto top = integer_param(request, "limit");
  if (const Error* e = first_error(zone, mode, week_start, top)) {
    return error_response(*e);
  }
  auto state = ctx_.state();
  Instant now = state->computed_at;
  DateKey today = zone->local_date(now);
  std::chrono::sys_days today_days{ymd_of(today)};
  std::chrono::weekday weekday{today_days};
  DateKey week = date_key(today_days - (weekday - *week_start));
  std::chrono::year_month_day today_ymd = ymd_of(today);
  DateKey month = date_key(today_ymd.year() / today_ymd.month() / 1);

  // One daily report per project from the earlier of the week's and the month's first day: the
  // same rows `ccgauge daily --instances` shows, added up three ways.
  PeriodQuery query;
  query.kind = PeriodKind::kDaily;
  query.since = std::min(week, month);
  query.until = today;
  query.mode = *mode;
  query.zone = *zone;
  query.instances = true;
  return report_response(
      [&](ledger::Ledger& ledger) { return build_period_report(ledger, query); },
      [&](const analytics::PeriodReport& report) {
        std::string today_text = format_date(today);
        std::string week_text = format_date(week);
        std::string month_text = format_date(month);
        analytics::Totals today_totals, week_totals, month_totals;
        analytics::PeriodReport today_report;
        std::vector<const analytics::UsageRow*> today_rows;
        auto add = [](analytics::Totals& t, const analytics::UsageRow& row) {
          t.tokens += row.tokens;
          t.cost += row.cost;
          t.requests += row.requests;
        };
        for (const analytics::UsageRow& row : report.rows) {
          if (row.key == today_text) {
            add(today_totals, row);
            today_report.rows.push_back(row);
            today_rows.push_back(&row);
          }
          if (row.key >= week_text) {
            add(week_totals, row);
          }
          if (row.key >= month_text) {
            add(month_totals, row);
          }
        }
        std::optional<std::int64_t> limit = top->value_or(kDefaultTopLimit);

        JsonWriter w(JsonWriter::Style::kPretty);
        w.begin_object();
        w.key("asOf").value(format_iso_ms(now));
        w.key("timezone").value(zone->name());
        w.key("today");
        write_totals(w, today_totals);
        w.key("todayDate").value(today_text);
        w.key("thisWeek");
        write_totals(w, week_totals);
        w.key("weekStart").value(week_text);
        w.key("thisMonth");
        write_totals(w, month_totals);
        w.key("monthStart").value(month_text);
        w.key("activeSessions").value(static_cast<std::int64_t>(state->active_sessions.size()));
        w.key("lastRequestAt");
        state->last_request ? w.value(format_iso_ms(*state->last_request)) : w.null();
        w.key("lastModel");
        state->last_model.empty() ? w.null() : w.value(state->last_model);
        w.key("tokensPerMinuteIo").value(state->tpm_io_1m);
        w.key("limits").raw(render_limits_json(state->limits, false));
        write_named_list(w, "topProjectsToday", "project", project_totals(today_report), limit,
                         true);
        write_named_list(w, "topModelsToday", "model", model_totals(today_rows), limit, false);
        write_missing_pricing(w, report.missing_pricing);
        w.end_object();
        return finish(w);
      });
}

server::Response Api::events(const server::Request& request) {
  auto limit = integer_param(request, "limit");
  auto min_tokens = integer_param(request, "min_tokens");
  auto after = integer_param(request, "after");
  if (const Error* e = first_error(limit, min_tokens, after)) {
    return error_response(*e);
  }
  std::int64_t n = limit->value_or(kDefaultEventLimit);
  if (n > static_cast<std::int64_t>(kRecentEventCapacity)) {
    return error_response(bad_param(
        "limit", fmt::format("{} is more than the {} events kept", n, kRecentEventCapacity)));
  }
  server::LiveFilter filter;
  filter.min_tokens = min_tokens->value_or(0);
  if (const std::string* types = find_param(request, "type")) {
    std::string_view rest = *types;
    while (!rest.empty()) {
      std::string_view item = rest.substr(0, rest.find(','));
      rest = item.size() < rest.size() ? rest.substr(item.size() + 1) : std::string_view();
      if (item.empty()) {
        continue;
      }
      if (std::find(std::begin(server::kLiveEventTypes), std::end(server::kLiveEventTypes), item) ==
          std::end(server::kLiveEventTypes)) {
        return error_response(bad_param(
            "type", fmt::format("unknown event type '{}' (request, session_start, session_end, "
                                "limit, alert, heartbeat or snapshot)",
                                item)));
      }
      filter.types.emplace_back(item);
    }
  }
  for (auto [name, list] :
       {std::pair{"project", &filter.projects}, std::pair{"session", &filter.sessions},
        std::pair{"model", &filter.models}}) {
    if (const std::string* v = find_param(request, name)) {
      list->push_back(*v);
    }
  }
  std::uint64_t after_seq = static_cast<std::uint64_t>(after->value_or(0));
  auto recorded = ctx_.recent_events();
  std::vector<const RecordedEvent*> kept;
  for (auto it = recorded.rbegin();
       it != recorded.rend() && static_cast<std::int64_t>(kept.size()) < n; ++it) {
    if ((*it)->seq > after_seq && filter.matches((*it)->event)) {
      kept.push_back(it->get());
    }
  }
  std::reverse(kept.begin(), kept.end());
  JsonWriter w(JsonWriter::Style::kPretty);
  w.begin_object();
  w.key("events").begin_array();
  for (const RecordedEvent* e : kept) {
    w.begin_object();
    w.key("seq").value(static_cast<std::int64_t>(e->seq));
    w.key("recordedAt").value(format_iso_ms(e->recorded_at));
    w.key("type").value(e->event.type);
    w.key("event").raw(e->event.json);
    w.end_object();
  }
  w.end_array();
  w.key("latestSeq").value(static_cast<std::int64_t>(recorded.empty() ? 0 : recorded.back()->seq));
  w.key("capacity").value(static_cast<std::int64_t>(kRecentEventCapacity));
  w.end_object();
  server::Response r = json_response(finish(w), false);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

server::Response Api::health(const server::Request&) {
  auto state = ctx_.state();
  IngestHealth h = ctx_.health();
  server::LiveHubStats hub = ctx_.hub().stats();
  Instant now = now_instant();
  bool stale = now - state->computed_at > kStaleAfter;
  JsonWriter w(JsonWriter::Style::kPretty);
  w.begin_object();
  w.key("status").value(stale ? "stale" : h.degraded ? "degraded" : "ok");
  w.key("version").value(CCG_VERSION);
  w.key("startedAt").value(format_iso_ms(ctx_.started_at()));
  w.key("uptimeSeconds")
      .value(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::seconds>(now - ctx_.started_at()).count()));
  w.key("ledgerPath").value(ctx_.ledger_path());
  w.key("configDirs");
  write_strings(w, ctx_.config_dirs());
  w.key("timezone").value(zone_.name());
  w.key("plan");
  ctx_.plan().name.empty() ? w.null() : w.value(ctx_.plan().name);
  w.key("ingest").begin_object();
  w.key("watcher").value(h.watcher);
  w.key("degraded").value(h.degraded);
  w.key("catchUps").value(h.catch_ups);
  w.key("requestsCommitted").value(h.requests_committed);
  w.key("malformedLines").value(h.malformed_lines);
  w.key("lastError");
  h.last_error.empty() ? w.null() : w.value(h.last_error);
  w.end_object();
  w.key("state").begin_object();
  w.key("seq").value(static_cast<std::int64_t>(state->seq));
  w.key("computedAt").value(format_iso_ms(state->computed_at));
  w.key("ageSeconds").value(static_cast<double>((now - state->computed_at).count()) / 1000.0);
  w.end_object();
  w.key("websocket").begin_object();
  w.key("clients").value(static_cast<std::int64_t>(hub.clients));
  w.key("droppedClients").value(static_cast<std::int64_t>(hub.dropped_clients));
  w.key("eventsPublished").value(static_cast<std::int64_t>(hub.published));
  w.key("messagesQueued").value(static_cast<std::int64_t>(hub.delivered));
  w.end_object();
  w.end_object();
  server::Response r = json_response(finish(w), false);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

server::Response Api::tools(const server::Request& request) {
  ToolsSelection selection;
  Status range = date_range(request, selection);
  auto by = parsed_param(request, "by", analytics::ToolGrouping::kTool, parse_tool_grouping);
  if (const Error* e = first_error(range, by)) {
    return error_response(*e);
  }
  selection.by = *by;
  text_param(request, "project", selection.project);
  text_param(request, "session", selection.session);
  return report_response(
      [&](ledger::Ledger& ledger) { return build_tools_report(ledger, selection); },
      [&](const analytics::ToolsReport& report) { return render_tools_json(report, *by) + "\n"; });
}

server::Response Api::harness(const server::Request& request) {
  auto mode = parsed_param(request, "mode", analytics::CostMode::kAuto, parse_cost_mode);
  if (!mode) {
    return error_response(mode.error());
  }
  analytics::HarnessOptions options;
  options.now = ctx_.state()->computed_at;
  options.mode = *mode;
  text_param(request, "label", options.label);
  return report_response(
      [&](ledger::Ledger& ledger) { return ledger::read_harness(ledger, options); },
      [](const analytics::HarnessReport& report) { return render_harness_json(report) + "\n"; });
}

server::Response Api::activity(const server::Request& request) {
  ActivitySelection selection;
  Status range = date_range(request, selection);
  auto group = parsed_param(request, "by", analytics::ActivityGroup::kDay,
                            [](std::string_view text) -> Result<analytics::ActivityGroup> {
                              auto g = analytics::parse_activity_group(text);
                              if (!g) {
                                return fail(Errc::kInvalidInput,
                                            fmt::format("'{}': use day, project, tool, host or "
                                                        "user",
                                                        text));
                              }
                              return *g;
                            });
  if (const Error* e = first_error(range, group)) {
    return error_response(*e);
  }
  selection.group = *group;
  text_param(request, "host", selection.host);
  text_param(request, "user", selection.user);
  return report_response(
      [&](ledger::Ledger& ledger) { return build_activity(ledger, selection); },
      [](const analytics::ActivityReport& report) { return render_activity_json(report); });
}

// A harness event (`ccgauge emit` and harness middleware post here): checked, then spooled for
// the ingest thread, which records it (once per event_id) and publishes it within milliseconds.
// The spool is a file: a 202 means the event is on disk, whatever happens to the daemon next.
server::Response Api::post_harness(const server::Request& request) {
  auto row = harness_event_row(request.body, now_instant());
  if (!row) {
    return error_response(row.error());
  }
  if (auto s = ledger::spool_event(ctx_.spool_dir(), ctx_.ledger_path(), *row); !s) {
    return server::json_error(503, "cannot record the event: " + s.error().message);
  }
  ctx_.wake_ingest();
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object();
  w.key("accepted").value(true);
  w.key("event").raw(ledger::event_json(*row));
  w.end_object();
  server::Response r = json_response(finish(w), false);
  r.status = 202;
  return r;
}

constexpr RouteSpec kRoutes[] = {
    {"/api/v1/summary",
     "Today, this week and this month, the current windows, active sessions, and today's top "
     "projects and models",
     kSummaryParams, "Summary", Caching::kPerState, &Api::summary},
    {"/api/v1/daily", "Usage and cost per day: the JSON of `ccgauge daily --json`", kPeriodParams,
     "DailyReport", Caching::kPerState, &Api::daily},
    {"/api/v1/weekly", "Usage and cost per week: the JSON of `ccgauge weekly --json`",
     kWeeklyParams, "WeeklyReport", Caching::kPerState, &Api::weekly},
    {"/api/v1/monthly", "Usage and cost per month: the JSON of `ccgauge monthly --json`",
     kPeriodParams, "MonthlyReport", Caching::kPerState, &Api::monthly},
    {"/api/v1/hourly", "Usage and cost per hour: the JSON of `ccgauge hourly --json`",
     kPeriodParams, "HourlyReport", Caching::kPerState, &Api::hourly},
    {"/api/v1/sessions",
     "Usage and cost per session: the JSON of `ccgauge session --json`; with active=true the "
     "sessions active now",
     kSessionsParams, "SessionReport", Caching::kPerState, &Api::sessions},
    {"/api/v1/sessions/{id}",
     "One session's requests: the JSON of `ccgauge session --id ID --json`; 404 when unknown",
     kSessionParams, "SessionDetail", Caching::kPerState, &Api::session},
    {"/api/v1/projects", "Totals per project over the date range, largest cost first",
     kTotalsParams, "ProjectTotals", Caching::kPerState, &Api::projects},
    {"/api/v1/models", "Totals per model over the date range, largest cost first", kTotalsParams,
     "ModelTotals", Caching::kPerState, &Api::models},
    {"/api/v1/blocks", "5-hour billing blocks: the JSON of `ccgauge blocks --json`", kBlocksParams,
     "BlocksReport", Caching::kPerState, &Api::blocks},
    {"/api/v1/limits",
     "The 5-hour and 7-day windows from the daemon's live state: the JSON of `ccgauge limits "
     "--json`",
     {},
     "Limits",
     Caching::kNone,
     &Api::limits},
    {"/api/v1/events",
     "The most recent of the last 1000 events the daemon published (requests, sessions, limits, "
     "alerts), oldest first",
     kEventsParams, "Events", Caching::kNone, &Api::events},
    {"/api/v1/tools",
     "Tool calls from Claude Code's hooks: failures, durations, permission prompts, denials, "
     "interrupts, per tool, session or project: the JSON of `ccgauge tools --json`",
     kToolsParams, "ToolsReport", Caching::kPerState, &Api::tools},
    {"/api/v1/harness",
     "Harness runs with their sessions' tokens and cost, success rate per label, cost per task: "
     "the JSON of `ccgauge harness --json`",
     kHarnessParams, "HarnessReport", Caching::kPerState, &Api::harness},
    {"/api/v1/activity",
     "Lines of code, commits, pull requests, active time, decisions, tool results, API errors "
     "and prompts from Claude Code's OpenTelemetry: the JSON of `ccgauge activity --json`",
     kActivityParams, "ActivityReport", Caching::kPerState, &Api::activity},
    {"/api/v1/health",
     "Status, version, uptime, ingestion and WebSocket counters; answered without a token",
     {},
     "Health",
     Caching::kNone,
     &Api::health},
    {"/api/v1/openapi.json", "This document", {}, "OpenApi", Caching::kNone, &Api::openapi},
};

// Routes that take a body: a harness event (ingest/hooks/harness_event.h). /metrics/harness is
// the path the seeds' observability design posts to; both are the same route.
struct PostRoute {
  std::string_view path;
  std::string_view summary;
  ApiHandler handler;
};

constexpr PostRoute kPostRoutes[] = {
    {"/api/v1/harness",
     "Records a harness run's event (what `ccgauge emit` sends); 202 once it is on disk",
     &Api::post_harness},
    {"/metrics/harness", "The same as POST /api/v1/harness, under the seeds' path",
     &Api::post_harness},
};

// ---- The OpenAPI document ---------------------------------------------------------------------

// The daemon's routes registered outside this file, described here so the document covers every
// route (a test compares it with the router).
struct OtherRoute {
  std::string_view path;
  std::string_view summary;
  std::string_view content_type;
  std::string_view schema;  // empty: text
  bool websocket;
};

constexpr OtherRoute kOtherRoutes[] = {
    {"/usage", "The gauge contract (schema 1) the needle cluster polls; at most 1 KB",
     "application/json", "Usage", false},
    {"/metrics", "Prometheus text exposition: counters by model and project, limit gauges",
     "text/plain; version=0.0.4", "", false},
    {"/healthz", "ok, or 503 stale when the live state is older than a minute", "text/plain", "",
     false},
    {"/api/v1/live",
     "WebSocket: a snapshot, then typed events (request, session_start, session_end, limit, "
     "alert, heartbeat); send {\"subscribe\":{...}} to filter",
     "", "", true},
};

// Reusable schemas; hand-written from render_json.cpp, render_limits.cpp and this file.
constexpr std::string_view kSchemas = R"json({
"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
  "required": ["status", "message"], "properties": {"status": {"type": "integer"},
  "message": {"type": "string"}}}}},
"TokenFields": {"type": "object", "properties": {"inputTokens": {"type": "integer"},
  "outputTokens": {"type": "integer"}, "cacheCreationTokens": {"type": "integer"},
  "cacheReadTokens": {"type": "integer"}}},
"ModelBreakdown": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"modelName": {"type": "string"}, "cost": {"type": "number"}}}]},
"PeriodRow": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "description":
    "One period, keyed by date, week (its first day), month or hour; project under instances.",
  "properties": {"date": {"type": "string"}, "week": {"type": "string"},
  "month": {"type": "string"}, "hour": {"type": "string"}, "totalTokens": {"type": "integer"},
  "totalCost": {"type": "number"}, "modelsUsed": {"type": "array", "items": {"type": "string"}},
  "modelBreakdowns": {"type": "array", "items": {"$ref": "#/components/schemas/ModelBreakdown"}},
  "project": {"type": "string"}}}]},
"ReportTotals": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"totalTokens": {"type": "integer"}, "totalCost": {"type": "number"}}}]},
"ProjectGroups": {"type": "object", "description": "Under instances: rows per project.",
  "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/PeriodRow"}}},
"DailyReport": {"type": "object", "required": ["totals"], "properties": {
  "daily": {"type": "array", "items": {"$ref": "#/components/schemas/PeriodRow"}},
  "projects": {"$ref": "#/components/schemas/ProjectGroups"},
  "totals": {"$ref": "#/components/schemas/ReportTotals"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"WeeklyReport": {"type": "object", "required": ["totals"], "properties": {
  "weekly": {"type": "array", "items": {"$ref": "#/components/schemas/PeriodRow"}},
  "projects": {"$ref": "#/components/schemas/ProjectGroups"},
  "totals": {"$ref": "#/components/schemas/ReportTotals"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"MonthlyReport": {"type": "object", "required": ["totals"], "properties": {
  "monthly": {"type": "array", "items": {"$ref": "#/components/schemas/PeriodRow"}},
  "projects": {"$ref": "#/components/schemas/ProjectGroups"},
  "totals": {"$ref": "#/components/schemas/ReportTotals"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"HourlyReport": {"type": "object", "required": ["totals"], "properties": {
  "hourly": {"type": "array", "items": {"$ref": "#/components/schemas/PeriodRow"}},
  "projects": {"$ref": "#/components/schemas/ProjectGroups"},
  "totals": {"$ref": "#/components/schemas/ReportTotals"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"SessionRow": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"sessionId": {"type": "string"}, "projectPath": {"type": "string"},
  "totalTokens": {"type": "integer"}, "totalCost": {"type": "number"},
  "lastActivity": {"type": "string", "format": "date-time"},
  "firstActivity": {"type": "string", "format": "date-time"},
  "modelsUsed": {"type": "array", "items": {"type": "string"}},
  "modelBreakdowns": {"type": "array",
    "items": {"$ref": "#/components/schemas/ModelBreakdown"}}}}]},
"ActiveSession": {"type": "object", "properties": {"sessionId": {"type": "string"},
  "projectPath": {"type": "string"}, "model": {"type": "string"},
  "firstActivity": {"type": "string", "format": "date-time"},
  "lastActivity": {"type": "string", "format": "date-time"}, "requests": {"type": "integer"},
  "totalCost": {"type": "number"}}},
"SessionReport": {"type": "object",
  "description": "ccusage's session report; with active=true {asOf, sessions: [ActiveSession]}.",
  "properties": {"sessions": {"type": "array", "items": {"oneOf": [
  {"$ref": "#/components/schemas/SessionRow"}, {"$ref": "#/components/schemas/ActiveSession"}]}},
  "totals": {"$ref": "#/components/schemas/ReportTotals"},
  "asOf": {"type": "string", "format": "date-time"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"SessionDetail": {"type": "object", "properties": {"sessionId": {"type": "string"},
  "totalCost": {"type": "number"}, "totalTokens": {"type": "integer"},
  "entries": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/TokenFields"},
  {"type": "object", "properties": {"timestamp": {"type": "string", "format": "date-time"},
  "model": {"type": "string"}, "costUSD": {"type": "number"}}}]}}}},
"Block": {"type": "object", "properties": {"id": {"type": "string"},
  "startTime": {"type": "string", "format": "date-time"},
  "endTime": {"type": "string", "format": "date-time"},
  "actualEndTime": {"type": "string", "format": "date-time", "nullable": true},
  "isActive": {"type": "boolean"}, "isGap": {"type": "boolean"}, "entries": {"type": "integer"},
  "tokenCounts": {"type": "object", "properties": {"inputTokens": {"type": "integer"},
  "outputTokens": {"type": "integer"}, "cacheCreationInputTokens": {"type": "integer"},
  "cacheReadInputTokens": {"type": "integer"}}},
  "totalTokens": {"type": "integer"}, "costUSD": {"type": "number"},
  "models": {"type": "array", "items": {"type": "string"}},
  "burnRate": {"type": "object", "nullable": true, "properties": {
  "tokensPerMinute": {"type": "number"}, "tokensPerMinuteForIndicator": {"type": "number"},
  "costPerHour": {"type": "number"}}},
  "projection": {"type": "object", "nullable": true, "properties": {
  "totalTokens": {"type": "integer"}, "totalCost": {"type": "number"},
  "remainingMinutes": {"type": "integer"}}},
  "tokenLimitStatus": {"type": "object", "properties": {"limit": {"type": "integer"},
  "projectedUsage": {"type": "integer"}, "percentUsed": {"type": "number"},
  "status": {"type": "string", "enum": ["ok", "warning", "exceeds"]}}},
  "usageLimitResetTime": {"type": "string", "format": "date-time"}}},
"BlocksReport": {"type": "object", "required": ["blocks"], "properties": {
  "blocks": {"type": "array", "items": {"$ref": "#/components/schemas/Block"}},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"Rate": {"type": "object", "properties": {"tokensPerMinute": {"type": "number"},
  "costPerHour": {"type": "number"}, "percentPerHour": {"type": "number", "nullable": true}}},
"Window": {"type": "object", "properties": {
  "window": {"type": "string", "enum": ["five_hour", "seven_day"]},
  "usedPercent": {"type": "number", "nullable": true},
  "usedProvenance": {"type": "string", "enum": ["none", "estimate", "plan", "official"]},
  "source": {"type": "string"}, "sampledAt": {"type": "string", "nullable": true},
  "limitHit": {"type": "boolean"}, "windowStart": {"type": "string", "nullable": true},
  "resetsAt": {"type": "string", "nullable": true},
  "resetProvenance": {"type": "string", "enum": ["none", "estimate", "plan", "official"]},
  "resetsInSeconds": {"type": "integer", "nullable": true},
  "usage": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"totalTokens": {"type": "integer"}, "costUSD": {"type": "number"},
  "requests": {"type": "integer"}}}]},
  "tokenLimit": {"type": "integer", "nullable": true},
  "costLimitUSD": {"type": "number", "nullable": true},
  "burnRate": {"type": "object", "properties": {"recent": {"$ref": "#/components/schemas/Rate"},
  "window": {"$ref": "#/components/schemas/Rate"}}},
  "projection": {"type": "object", "properties": {
  "exhaustedAt": {"type": "string", "nullable": true}, "lastsUntilReset": {"type": "boolean"},
  "sustainablePercentPerHour": {"type": "number", "nullable": true},
  "sustainableCostPerHour": {"type": "number", "nullable": true}}}}},
"Limits": {"type": "object", "properties": {"now": {"type": "string", "format": "date-time"},
  "plan": {"type": "string", "nullable": true},
  "fiveHour": {"$ref": "#/components/schemas/Window"},
  "sevenDay": {"$ref": "#/components/schemas/Window"},
  "notes": {"type": "array", "items": {"type": "string"}}}},
"Totals": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"totalTokens": {"type": "integer"}, "totalCost": {"type": "number"},
  "requests": {"type": "integer"}}}]},
"ProjectEntry": {"allOf": [{"$ref": "#/components/schemas/Totals"}, {"type": "object",
  "properties": {"project": {"type": "string"},
  "modelsUsed": {"type": "array", "items": {"type": "string"}}}}]},
"ModelEntry": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"model": {"type": "string"}, "totalTokens": {"type": "integer"},
  "totalCost": {"type": "number"}}}]},
"ProjectTotals": {"type": "object", "properties": {
  "projects": {"type": "array", "items": {"$ref": "#/components/schemas/ProjectEntry"}},
  "totals": {"$ref": "#/components/schemas/Totals"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"ModelTotals": {"type": "object", "properties": {
  "models": {"type": "array", "items": {"$ref": "#/components/schemas/ModelEntry"}},
  "totals": {"$ref": "#/components/schemas/Totals"},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"Summary": {"type": "object", "properties": {"asOf": {"type": "string", "format": "date-time"},
  "timezone": {"type": "string"}, "today": {"$ref": "#/components/schemas/Totals"},
  "todayDate": {"type": "string"}, "thisWeek": {"$ref": "#/components/schemas/Totals"},
  "weekStart": {"type": "string"}, "thisMonth": {"$ref": "#/components/schemas/Totals"},
  "monthStart": {"type": "string"}, "activeSessions": {"type": "integer"},
  "lastRequestAt": {"type": "string", "nullable": true},
  "lastModel": {"type": "string", "nullable": true},
  "tokensPerMinuteIo": {"type": "number"}, "limits": {"$ref": "#/components/schemas/Limits"},
  "topProjectsToday": {"type": "array", "items": {"$ref": "#/components/schemas/ProjectEntry"}},
  "topModelsToday": {"type": "array", "items": {"$ref": "#/components/schemas/ModelEntry"}},
  "missingPricing": {"type": "array", "items": {"type": "string"}}}},
"Events": {"type": "object", "properties": {"events": {"type": "array", "items": {
  "type": "object", "properties": {"seq": {"type": "integer"},
  "recordedAt": {"type": "string", "format": "date-time"}, "type": {"type": "string"},
  "event": {"type": "object", "description": "The event as WebSocket clients receive it."}}}},
  "latestSeq": {"type": "integer"}, "capacity": {"type": "integer"}}},
"Health": {"type": "object", "properties": {
  "status": {"type": "string", "enum": ["ok", "degraded", "stale"]},
  "version": {"type": "string"}, "startedAt": {"type": "string", "format": "date-time"},
  "uptimeSeconds": {"type": "integer"}, "ledgerPath": {"type": "string"},
  "configDirs": {"type": "array", "items": {"type": "string"}}, "timezone": {"type": "string"},
  "plan": {"type": "string", "nullable": true},
  "ingest": {"type": "object", "properties": {"watcher": {"type": "string"},
  "degraded": {"type": "boolean"}, "catchUps": {"type": "integer"},
  "requestsCommitted": {"type": "integer"}, "malformedLines": {"type": "integer"},
  "lastError": {"type": "string", "nullable": true}}},
  "state": {"type": "object", "properties": {"seq": {"type": "integer"},
  "computedAt": {"type": "string", "format": "date-time"}, "ageSeconds": {"type": "number"}}},
  "websocket": {"type": "object", "properties": {"clients": {"type": "integer"},
  "droppedClients": {"type": "integer"}, "eventsPublished": {"type": "integer"},
  "messagesQueued": {"type": "integer"}}}}},
"ToolStat": {"type": "object", "properties": {"tool": {"type": "string"},
  "session": {"type": "string"}, "project": {"type": "string"}, "calls": {"type": "integer"},
  "failures": {"type": "integer"}, "denied": {"type": "integer"},
  "interrupts": {"type": "integer"}, "permissionPrompts": {"type": "integer"},
  "timedCalls": {"type": "integer"}, "totalDurationMs": {"type": "integer"},
  "avgDurationMs": {"type": "integer", "nullable": true},
  "maxDurationMs": {"type": "integer", "nullable": true},
  "lastUsed": {"type": "string", "format": "date-time", "nullable": true}}},
"ToolsReport": {"type": "object", "properties": {
  "groupBy": {"type": "string", "enum": ["tool", "session", "project"]},
  "tools": {"type": "array", "items": {"$ref": "#/components/schemas/ToolStat"}},
  "totals": {"$ref": "#/components/schemas/ToolStat"}}},
"HarnessRun": {"allOf": [{"$ref": "#/components/schemas/TokenFields"}, {"type": "object",
  "properties": {"taskId": {"type": "string"}, "label": {"type": "string"},
  "project": {"type": "string"}, "source": {"type": "string"}, "sessionId": {"type": "string"},
  "sessionInferred": {"type": "boolean"},
  "start": {"type": "string", "format": "date-time", "nullable": true},
  "end": {"type": "string", "format": "date-time", "nullable": true},
  "durationMs": {"type": "integer", "nullable": true}, "state": {"type": "string"},
  "success": {"type": "boolean", "nullable": true}, "error": {"type": "string"},
  "requests": {"type": "integer"}, "models": {"type": "array", "items": {"type": "string"}}}}]},
"HarnessReport": {"type": "object", "properties": {
  "runs": {"type": "array", "items": {"$ref": "#/components/schemas/HarnessRun"}},
  "labels": {"type": "array", "items": {"type": "object"}},
  "tasks": {"type": "array", "items": {"type": "object"}},
  "totals": {"type": "object"}}},
"ActivityCounts": {"type": "object", "properties": {"linesAdded": {"type": "number"},
  "linesRemoved": {"type": "number"}, "commits": {"type": "number"},
  "pullRequests": {"type": "number"}, "activeUserSeconds": {"type": "number"},
  "activeCliSeconds": {"type": "number"}, "sessions": {"type": "number"},
  "editDecisions": {"type": "object"}, "toolDecisions": {"type": "object"},
  "toolResults": {"type": "integer"}, "toolFailures": {"type": "integer"},
  "apiErrors": {"type": "integer"}, "prompts": {"type": "integer"}}},
"ActivityReport": {"type": "object", "properties": {
  "activity": {"type": "array", "items": {"$ref": "#/components/schemas/ActivityCounts"},
    "description": "One row per day, project, tool, host or user (the key named like `by`)."},
  "totals": {"$ref": "#/components/schemas/ActivityCounts"}}},
"HarnessEvent": {"type": "object", "required": ["event"], "properties": {
  "source": {"type": "string"}, "event": {"type": "string"}, "task_id": {"type": "string"},
  "label": {"type": "string"}, "project": {"type": "string"},
  "session_id": {"type": "string"}, "duration_ms": {"type": "integer"},
  "success": {"type": "boolean"}, "error": {"type": "string"},
  "timestamp": {"type": "string", "format": "date-time"},
  "event_id": {"type": "string", "description": "Idempotency key: sent twice, kept once."}}},
"Accepted": {"type": "object", "properties": {"accepted": {"type": "boolean"},
  "event": {"type": "object", "description": "The events row that will be recorded."}}},
"Usage": {"type": "object", "description": "The gauge contract, schema 1 (see the README).",
  "properties": {"schema": {"type": "integer", "enum": [1]}}},
"OpenApi": {"type": "object", "description": "An OpenAPI 3.0 document."}
})json";

void write_param_schema(JsonWriter& w, const ParamSpec& p) {
  w.key("schema").begin_object();
  switch (p.kind) {
    case ParamKind::kBool:
      w.key("type").value("boolean");
      break;
    case ParamKind::kInteger:
      w.key("type").value("integer").key("minimum").value(0);
      break;
    case ParamKind::kNumber:
      w.key("type").value("number").key("exclusiveMinimum").value(true).key("minimum").value(0);
      break;
    case ParamKind::kDate:
      w.key("type").value("string").key("pattern").value("^[0-9]{4}-?[0-9]{2}-?[0-9]{2}$");
      break;
    case ParamKind::kTokenLimit:
      w.key("type").value("string").key("pattern").value("^([1-9][0-9]*|max)$");
      break;
    case ParamKind::kEnum:
      w.key("type").value("string").key("enum").begin_array();
      for (std::string_view v : p.values) {
        w.value(v);
      }
      w.end_array();
      break;
    case ParamKind::kTimeZone:
    case ParamKind::kString:
      w.key("type").value("string");
      break;
  }
  w.end_object();
}

void write_json_response(JsonWriter& w, std::string_view status, std::string_view description,
                         std::string_view schema) {
  w.key(status).begin_object();
  w.key("description").value(description);
  w.key("content").begin_object().key("application/json").begin_object();
  w.key("schema").begin_object().key("$ref").value(fmt::format("#/components/schemas/{}", schema));
  w.end_object().end_object().end_object();
  w.end_object();
}

void write_api_operation(JsonWriter& w, const RouteSpec& route) {
  w.key("get").begin_object();
  w.key("summary").value(route.summary);
  w.key("parameters").begin_array();
  if (std::string_view(route.path).find("{id}") != std::string_view::npos) {
    w.begin_object();
    w.key("name").value("id").key("in").value("path").key("required").value(true);
    w.key("description").value("The session id.");
    w.key("schema").begin_object().key("type").value("string").end_object();
    w.end_object();
  }
  for (const ParamSpec& p : route.params) {
    w.begin_object();
    w.key("name").value(p.name).key("in").value("query").key("required").value(false);
    w.key("description").value(p.description);
    write_param_schema(w, p);
    w.end_object();
  }
  w.end_array();
  w.key("responses").begin_object();
  write_json_response(w, "200", "OK", route.schema);
  if (route.caching == Caching::kPerState) {
    w.key("304").begin_object().key("description").value("Not modified (If-None-Match)");
    w.end_object();
  }
  if (!route.params.empty()) {
    write_json_response(w, "400", "A bad or unknown parameter, named in the message", "Error");
  }
  if (route.path == "/api/v1/sessions/{id}") {
    write_json_response(w, "404", "No session with that id", "Error");
  }
  if (route.path != server::kHealthPath) {
    write_json_response(w, "401", "A token is set and the request has none or a wrong one",
                        "Error");
  }
  w.end_object();
  if (route.path == server::kHealthPath) {
    w.key("security").begin_array().end_array();
  }
  w.end_object();
}

void write_other_operation(JsonWriter& w, const OtherRoute& route) {
  w.key("get").begin_object();
  w.key("summary").value(route.summary);
  if (route.websocket) {
    w.key("x-websocket").value(true);
  }
  w.key("responses").begin_object();
  if (route.websocket) {
    w.key("101").begin_object().key("description").value("Switching to the WebSocket protocol");
    w.end_object();
  } else if (!route.schema.empty()) {
    write_json_response(w, "200", "OK", route.schema);
  } else {
    w.key("200").begin_object().key("description").value("OK");
    w.key("content").begin_object().key(route.content_type).begin_object();
    w.key("schema").begin_object().key("type").value("string").end_object();
    w.end_object().end_object().end_object();
  }
  w.end_object();
  w.end_object();
}

void write_post_operation(JsonWriter& w, const PostRoute& route) {
  w.key("post").begin_object();
  w.key("summary").value(route.summary);
  w.key("requestBody").begin_object();
  w.key("required").value(true);
  w.key("content").begin_object().key("application/json").begin_object();
  w.key("schema").begin_object().key("$ref").value("#/components/schemas/HarnessEvent");
  w.end_object().end_object().end_object();
  w.end_object();
  w.key("responses").begin_object();
  write_json_response(w, "202", "Accepted: spooled, recorded within a second", "Accepted");
  write_json_response(w, "400", "Not a harness event; the message says why", "Error");
  write_json_response(w, "401", "A token is set and the request has none or a wrong one",
                      "Error");
  write_json_response(w, "413", "A body over the size bound", "Error");
  w.end_object();
  w.end_object();
}

std::string openapi_document() {
  JsonWriter w(JsonWriter::Style::kPretty);
  w.begin_object();
  w.key("openapi").value("3.0.3");
  w.key("info").begin_object();
  w.key("title").value("ccgauge daemon API");
  w.key("version").value(CCG_VERSION);
  w.key("description")
      .value(
          "Claude Code usage from the ccgauge ledger. Report routes take the CLI's options as "
          "query "
          "parameters (long flag names in snake_case) and answer the JSON the CLI prints with "
          "--json. An unknown or malformed parameter is a 400 that names it. Report responses "
          "carry "
          "an ETag; large responses are gzipped for clients that accept it.");
  w.end_object();
  w.key("paths").begin_object();
  auto posts_at = [](std::string_view path) {
    return std::find_if(std::begin(kPostRoutes), std::end(kPostRoutes),
                        [&](const PostRoute& p) { return p.path == path; });
  };
  for (const RouteSpec& route : kRoutes) {
    w.key(route.path).begin_object();
    write_api_operation(w, route);
    if (auto post = posts_at(route.path); post != std::end(kPostRoutes)) {
      write_post_operation(w, *post);
    }
    w.end_object();
  }
  for (const PostRoute& route : kPostRoutes) {
    bool has_get = std::any_of(std::begin(kRoutes), std::end(kRoutes),
                               [&](const RouteSpec& r) { return r.path == route.path; });
    if (!has_get) {
      w.key(route.path).begin_object();
      write_post_operation(w, route);
      w.end_object();
    }
  }
  for (const OtherRoute& route : kOtherRoutes) {
    w.key(route.path).begin_object();
    write_other_operation(w, route);
    w.end_object();
  }
  w.end_object();
  w.key("components").begin_object();
  w.key("schemas").raw(kSchemas);
  w.key("securitySchemes").begin_object().key("bearer").begin_object();
  w.key("type").value("http").key("scheme").value("bearer");
  w.key("description").value("Needed when the daemon runs with --token.");
  w.end_object().end_object();
  w.end_object();
  w.key("security").begin_array().begin_object().key("bearer").begin_array().end_array();
  w.end_object().end_array();
  w.end_object();
  return finish(w);
}

}  // namespace

void add_api_routes(server::Router& router, DaemonContext& ctx) {
  auto api = std::make_shared<Api>(ctx);
  api->set_openapi(openapi_document());
  for (const RouteSpec& route : kRoutes) {
    router.add("GET", route.path, [api, &route](const server::Request& request) {
      return api->serve(route, request);
    });
  }
  for (const PostRoute& route : kPostRoutes) {
    router.add("POST", route.path, [api, &route](const server::Request& request) {
      return ((*api).*route.handler)(request);
    });
  }
}

}  // namespace ccgauge::cli

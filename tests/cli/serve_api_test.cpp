// The daemon's REST API end to end: the real `ccgauge serve` binary on a generated transcript
// tree and its own ledger, queried over loopback. Every report route answers exactly the bytes
// the CLI prints with --json for the same query and ledger; summary, projects and models add up
// to the CLI's reports; bad parameters are 400s naming them; ETag/304, gzip, the token; the
// OpenAPI document lists every route the router has and every parameter a route accepts; live
// appends show up in /events; SIGTERM ends the daemon with status 0.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/daemon.h"
#include "core/json_value.h"
#include "core/time.h"
#include "gen/transcript_generator.h"
#include "pricing/price_table.h"
#include "server/gzip.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/run_binary.h"
#include "tests/support/temp_dir.h"

namespace ccgauge {
namespace {

using testing::HttpClient;
using testing::HttpResult;
using testing::RunResult;
using testing::TempDir;

constexpr const char* kToken = "s3cret-token";

// A running `ccgauge serve` in `dir`, with these arguments and environment.
class Daemon : public testing::DaemonProcess {
 public:
  Daemon(const TempDir& dir, std::vector<std::string> args,
         const std::vector<std::pair<std::string, std::string>>& env)
      : DaemonProcess(dir.path(), std::move(args), env) {}
};

JsonValue parse(const std::string& text) {
  auto v = JsonValue::parse(text);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message) << "\n" << text.substr(0, 400);
  return v ? *v : JsonValue();
}

std::int64_t int_of(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.find(key);
  return v != nullptr ? v->to_int64().value_or(-1) : -1;
}

double number_of(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.find(key);
  return v != nullptr ? v->to_double().value_or(-1) : -1;
}

std::string string_of(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

// Percent-encodes everything but unreserved characters.
std::string url_encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

struct Sums {
  std::int64_t input = 0, output = 0, cache_creation = 0, cache_read = 0;
  double cost = 0;
  void add(const JsonValue& row, std::string_view cost_key) {
    input += int_of(row, "inputTokens");
    output += int_of(row, "outputTokens");
    cache_creation += int_of(row, "cacheCreationTokens");
    cache_read += int_of(row, "cacheReadTokens");
    cost += number_of(row, cost_key);
  }
};

void expect_sums(const JsonValue& row, const Sums& sums, const std::string& what) {
  EXPECT_EQ(int_of(row, "inputTokens"), sums.input) << what;
  EXPECT_EQ(int_of(row, "outputTokens"), sums.output) << what;
  EXPECT_EQ(int_of(row, "cacheCreationTokens"), sums.cache_creation) << what;
  EXPECT_EQ(int_of(row, "cacheReadTokens"), sums.cache_read) << what;
  EXPECT_NEAR(number_of(row, "totalCost"), sums.cost, 1e-6) << what;
}

class ServeApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    gen::GeneratorOptions options;
    options.out_dir = *dir_ / "claude";
    options.target_bytes = 12 << 20;
    options.seed = 23;
    options.days = 20;
    options.end_date = "2026-03-20";
    auto totals = gen::generate(options);
    ASSERT_TRUE(totals) << totals.error().message;
    // "Now" is pinned five minutes after the last request, so a block and a session are active
    // and every report and the live state agree on it. A probe run on another ledger finds it.
    now_ = new std::string("2026-03-20T12:00:00Z");
    RunResult probe = testing::run_binary(
        {"session", "--json", "--order", "desc", "--ledger", *dir_ / "probe.db"}, env(),
        dir_->path());
    ASSERT_EQ(probe.exit_code, 0) << probe.err;
    auto last = JsonValue::parse(probe.out);
    ASSERT_TRUE(last) << last.error().message;
    auto last_activity =
        parse_timestamp(last->find("sessions")->items().front().find("lastActivity")->as_string());
    ASSERT_TRUE(last_activity);
    *now_ = format_iso_ms(*last_activity + std::chrono::minutes(5));
    ASSERT_EQ(now_->substr(0, 10), "2026-03-20");
    daemon_ = new Daemon(
        *dir_, {"--listen", "127.0.0.1:0", "--token", kToken, "--ledger", *dir_ / "ledger.db"},
        env());
    ASSERT_NE(daemon_->port(), 0) << daemon_->err();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete dir_;
    delete now_;
  }

  static std::vector<std::pair<std::string, std::string>> env() {
    return {{"CLAUDE_CONFIG_DIR", *dir_ / "claude"},
            {"HOME", dir_->path()},
            {"CCGAUGE_CONFIG_DIR", *dir_ / "config"},
            {"CCGAUGE_NOW", *now_},
            {"CCGAUGE_PLAN", ""},
            {"CCGAUGE_TOKEN", ""},
            {"TZ", "UTC"},
            {"NO_COLOR", "1"},
            {"FORCE_COLOR", ""}};
  }

  // The CLI on the daemon's ledger (it catches up first and finds nothing new).
  RunResult cli(std::vector<std::string> args) {
    args.push_back("--ledger");
    args.push_back(*dir_ / "ledger.db");
    return testing::run_binary(args, env(), dir_->path());
  }

  // The CLI's stdout, which must succeed.
  std::string cli_json(std::vector<std::string> args) {
    RunResult r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  HttpResult get(const std::string& target, testing::Headers headers = {}) {
    headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
    return client().get(target, headers);
  }

  // GET that must answer 200; returns the body.
  std::string get_ok(const std::string& target) {
    HttpResult r = get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.body;
  }

  // The route answers exactly what the CLI prints.
  void expect_same(const std::string& target, std::vector<std::string> cli_args) {
    std::string api = get_ok(target);
    std::string cli_out = cli_json(cli_args);
    EXPECT_FALSE(api.empty()) << target;
    EXPECT_EQ(api, cli_out) << target;
  }

  HttpClient& client() {
    if (!client_) {
      client_ = std::make_unique<HttpClient>(daemon_->port());
    }
    return *client_;
  }

  static TempDir* dir_;
  static std::string* now_;
  static Daemon* daemon_;
  std::unique_ptr<HttpClient> client_;
};

TempDir* ServeApiTest::dir_ = nullptr;
std::string* ServeApiTest::now_ = nullptr;
Daemon* ServeApiTest::daemon_ = nullptr;

TEST_F(ServeApiTest, PeriodReportsAreTheClisBytes) {
  expect_same("/api/v1/daily", {"daily", "--json"});
  expect_same("/api/v1/weekly", {"weekly", "--json"});
  expect_same("/api/v1/monthly", {"monthly", "--json"});
  expect_same("/api/v1/hourly", {"hourly", "--json"});
  expect_same(
      "/api/v1/daily?since=20260305&until=2026-03-12&order=desc",
      {"daily", "--json", "--since", "20260305", "--until", "2026-03-12", "--order", "desc"});
  expect_same(
      "/api/v1/daily?timezone=America/New_York&instances=true&mode=calculate",
      {"daily", "--json", "--timezone", "America/New_York", "--instances", "--mode", "calculate"});
  expect_same("/api/v1/weekly?start_of_week=monday&no_cost=1",
              {"weekly", "--json", "--start-of-week", "monday", "--no-cost"});
  expect_same("/api/v1/monthly?mode=display&breakdown=true",
              {"monthly", "--json", "--mode", "display", "--breakdown"});
  expect_same("/api/v1/hourly?since=20260319&timezone=Asia/Kolkata",
              {"hourly", "--json", "--since", "20260319", "--timezone", "Asia/Kolkata"});
}

TEST_F(ServeApiTest, ProjectFilterMatchesTheClis) {
  JsonValue projects = parse(get_ok("/api/v1/projects"));
  const JsonValue* list = projects.find("projects");
  ASSERT_TRUE(list != nullptr && list->is_array() && !list->items().empty());
  std::string path = string_of(list->items().back(), "project");
  std::string base = path.substr(path.find_last_of('/') + 1);
  expect_same("/api/v1/daily?project=" + url_encode(base), {"daily", "--json", "--project", base});
  expect_same("/api/v1/sessions?project=" + url_encode(path),
              {"session", "--json", "--project", path});
}

TEST_F(ServeApiTest, SessionsAndOneSessionAreTheClisBytes) {
  expect_same("/api/v1/sessions", {"session", "--json"});
  expect_same("/api/v1/sessions?order=desc&since=20260315",
              {"session", "--json", "--order", "desc", "--since", "20260315"});
  JsonValue sessions = parse(get_ok("/api/v1/sessions"));
  const JsonValue& rows = *sessions.find("sessions");
  ASSERT_GE(rows.items().size(), 2u);
  for (const JsonValue* row : {&rows.items().front(), &rows.items().back()}) {
    std::string id = string_of(*row, "sessionId");
    expect_same("/api/v1/sessions/" + id, {"session", "--id", id, "--json"});
    expect_same("/api/v1/sessions/" + id + "?mode=calculate&no_cost=true",
                {"session", "--id", id, "--json", "--mode", "calculate", "--no-cost"});
  }
  HttpResult missing = get("/api/v1/sessions/no-such-session");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("no-such-session"), std::string::npos) << missing.body;
}

TEST_F(ServeApiTest, BlocksAndLimitsAreTheClisBytes) {
  expect_same("/api/v1/blocks", {"blocks", "--json"});
  expect_same("/api/v1/blocks?active=1", {"blocks", "--json", "--active"});
  expect_same("/api/v1/blocks?recent=true&token_limit=max",
              {"blocks", "--json", "--recent", "--token-limit", "max"});
  expect_same(
      "/api/v1/blocks?session_length=3&token_limit=500000&order=desc",
      {"blocks", "--json", "--session-length", "3", "--token-limit", "500000", "--order", "desc"});
  std::string blocks = get_ok("/api/v1/blocks?active=1");
  EXPECT_NE(blocks.find("\"isActive\": true"), std::string::npos)
      << "the pinned now should fall in a block: " << blocks;
  expect_same("/api/v1/limits", {"limits", "--json"});
}

TEST_F(ServeApiTest, SummaryAddsUpToTheClisReports) {
  JsonValue summary = parse(get_ok("/api/v1/summary"));
  EXPECT_EQ(string_of(summary, "todayDate"), "2026-03-20");
  EXPECT_EQ(string_of(summary, "weekStart"), "2026-03-15");
  EXPECT_EQ(string_of(summary, "monthStart"), "2026-03-01");
  struct Range {
    const char* key;
    const char* since;
  };
  for (Range range : {Range{"today", "20260320"}, Range{"thisWeek", "20260315"},
                      Range{"thisMonth", "20260301"}}) {
    JsonValue cli =
        parse(cli_json({"daily", "--json", "--since", range.since, "--until", "20260320"}));
    const JsonValue& want = *cli.find("totals");
    const JsonValue& got = *summary.find(range.key);
    for (const char* field :
         {"inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens"}) {
      EXPECT_EQ(int_of(got, field), int_of(want, field)) << range.key << " " << field;
    }
    EXPECT_EQ(number_of(got, "totalCost"), number_of(want, "totalCost")) << range.key;
    EXPECT_GT(int_of(got, "requests"), 0) << range.key;
  }
  // Monday weeks.
  JsonValue monday = parse(get_ok("/api/v1/summary?start_of_week=monday"));
  EXPECT_EQ(string_of(monday, "weekStart"), "2026-03-16");

  JsonValue active = parse(get_ok("/api/v1/sessions?active=1"));
  EXPECT_EQ(int_of(summary, "activeSessions"),
            static_cast<std::int64_t>(active.find("sessions")->items().size()));
  EXPECT_GT(int_of(summary, "activeSessions"), 0);
  JsonValue limits = parse(get_ok("/api/v1/limits"));
  EXPECT_EQ(*summary.find("limits"), limits);

  // Top lists: today's per-project and per-model totals, largest cost first, at most `limit`.
  JsonValue today = parse(
      cli_json({"daily", "--json", "--instances", "--since", "20260320", "--until", "20260320"}));
  std::map<std::string, Sums> by_project;
  for (const auto& [project, rows] : today.find("projects")->members()) {
    for (const JsonValue& row : rows.items()) {
      by_project[project].add(row, "totalCost");
    }
  }
  const JsonValue& top = *summary.find("topProjectsToday");
  ASSERT_EQ(top.items().size(), std::min<std::size_t>(5, by_project.size()));
  for (std::size_t i = 0; i < top.items().size(); ++i) {
    std::string project = string_of(top.items()[i], "project");
    expect_sums(top.items()[i], by_project[project], project);
    if (i > 0) {
      EXPECT_GE(number_of(top.items()[i - 1], "totalCost"), number_of(top.items()[i], "totalCost"));
    }
  }
  JsonValue one = parse(get_ok("/api/v1/summary?limit=1"));
  EXPECT_EQ(one.find("topProjectsToday")->items().size(), 1u);
  EXPECT_EQ(one.find("topModelsToday")->items().size(), 1u);
}

TEST_F(ServeApiTest, ProjectsAndModelsAddUpToTheDailyReport) {
  const std::string range = "since=20260305&until=20260318&timezone=Europe/Berlin";
  JsonValue daily = parse(cli_json({"daily", "--json", "--instances", "--since", "20260305",
                                    "--until", "20260318", "--timezone", "Europe/Berlin"}));
  std::map<std::string, Sums> by_project;
  std::map<std::string, Sums> by_model;
  for (const auto& [project, rows] : daily.find("projects")->members()) {
    for (const JsonValue& row : rows.items()) {
      by_project[project].add(row, "totalCost");
      for (const JsonValue& b : row.find("modelBreakdowns")->items()) {
        by_model[string_of(b, "modelName")].add(b, "cost");
      }
    }
  }
  JsonValue projects = parse(get_ok("/api/v1/projects?" + range));
  ASSERT_EQ(projects.find("projects")->items().size(), by_project.size());
  for (const JsonValue& p : projects.find("projects")->items()) {
    expect_sums(p, by_project[string_of(p, "project")], string_of(p, "project"));
    EXPECT_GT(int_of(p, "requests"), 0);
  }
  JsonValue models = parse(get_ok("/api/v1/models?" + range));
  ASSERT_EQ(models.find("models")->items().size(), by_model.size());
  for (const JsonValue& m : models.find("models")->items()) {
    expect_sums(m, by_model[string_of(m, "model")], string_of(m, "model"));
  }
  EXPECT_EQ(int_of(*projects.find("totals"), "totalTokens"),
            int_of(*daily.find("totals"), "totalTokens"));
  EXPECT_EQ(parse(get_ok("/api/v1/models?limit=1&" + range)).find("models")->items().size(), 1u);
}

TEST_F(ServeApiTest, EventsListTheMostRecentPublishedEvents) {
  // The first catch-up published every request it committed: far more than the ring keeps.
  JsonValue all = parse(get_ok("/api/v1/events?limit=1000"));
  const auto& events = all.find("events")->items();
  ASSERT_EQ(events.size(), 1000u);
  EXPECT_EQ(int_of(all, "capacity"), 1000);
  EXPECT_EQ(int_of(events.back(), "seq"), int_of(all, "latestSeq"));
  for (std::size_t i = 1; i < events.size(); ++i) {
    ASSERT_EQ(int_of(events[i], "seq"), int_of(events[i - 1], "seq") + 1);
  }
  JsonValue five = parse(get_ok("/api/v1/events?limit=5&type=request"));
  ASSERT_EQ(five.find("events")->items().size(), 5u);
  for (const JsonValue& e : five.find("events")->items()) {
    EXPECT_EQ(string_of(e, "type"), "request");
    EXPECT_EQ(string_of(*e.find("event"), "type"), "request");
    EXPECT_FALSE(string_of(*e.find("event"), "messageId").empty());
  }
  JsonValue none = parse(get_ok(fmt::format("/api/v1/events?after={}", int_of(all, "latestSeq"))));
  EXPECT_TRUE(none.find("events")->items().empty());
  std::string session = string_of(*events.back().find("event"), "sessionId");
  JsonValue one_session = parse(get_ok("/api/v1/events?limit=1000&session=" + url_encode(session)));
  for (const JsonValue& e : one_session.find("events")->items()) {
    const JsonValue& event = *e.find("event");
    EXPECT_TRUE(string_of(event, "sessionId") == session || event.find("sessionId") == nullptr);
  }
}

TEST_F(ServeApiTest, BadParametersAre400sNamingThem) {
  struct Case {
    const char* target;
    const char* names;
  };
  for (Case c :
       {Case{"/api/v1/daily?since=2026-02-30", "since"},
        Case{"/api/v1/daily?until=yesterday", "until"},
        Case{"/api/v1/weekly?timezone=Mars/Olympus", "timezone"},
        Case{"/api/v1/monthly?mode=cheap", "mode"}, Case{"/api/v1/hourly?order=sideways", "order"},
        Case{"/api/v1/daily?instances=maybe", "instances"},
        Case{"/api/v1/weekly?start_of_week=someday", "start_of_week"},
        Case{"/api/v1/sessions?active=2", "active"},
        Case{"/api/v1/blocks?token_limit=-5", "token_limit"},
        Case{"/api/v1/blocks?session_length=0", "session_length"},
        Case{"/api/v1/blocks?session_length=abc", "session_length"},
        Case{"/api/v1/projects?limit=-1", "limit"}, Case{"/api/v1/summary?limit=lots", "limit"},
        Case{"/api/v1/events?limit=1001", "limit"},
        Case{"/api/v1/events?type=request,gossip", "type"},
        Case{"/api/v1/daily?sinse=20260301", "sinse"}, Case{"/api/v1/limits?plan=max5", "plan"}}) {
    HttpResult r = get(c.target);
    EXPECT_EQ(r.status, 400) << c.target << ": " << r.body;
    JsonValue body = parse(r.body);
    const JsonValue* error = body.is_object() ? body.find("error") : nullptr;
    ASSERT_NE(error, nullptr) << r.body;
    EXPECT_EQ(int_of(*error, "status"), 400);
    EXPECT_NE(string_of(*error, "message").find(std::string("'") + c.names + "'"),
              std::string::npos)
        << c.target << ": " << r.body;
  }
  EXPECT_EQ(get("/api/v1/nothing-here").status, 404);
  HttpResult post = client().request("POST", "/api/v1/daily", "{}",
                                     {{"Authorization", std::string("Bearer ") + kToken}});
  EXPECT_EQ(post.status, 405);
}

TEST_F(ServeApiTest, ReportsCarryAnETagAndAnswer304) {
  for (const char* target : {"/api/v1/daily", "/api/v1/summary", "/api/v1/blocks?recent=1",
                             "/api/v1/limits", "/api/v1/sessions"}) {
    HttpResult first = get(target);
    ASSERT_EQ(first.status, 200) << target;
    std::string tag = first.header("etag");
    ASSERT_FALSE(tag.empty()) << target;
    HttpResult again = get(target, {{"If-None-Match", tag}});
    EXPECT_EQ(again.status, 304) << target;
    EXPECT_TRUE(again.body.empty());
  }
  EXPECT_TRUE(get("/api/v1/events").header("etag").empty());
}

TEST_F(ServeApiTest, LargeReportsAreGzippedOnRequest) {
  std::string plain = get_ok("/api/v1/hourly");
  ASSERT_GT(plain.size(), 1024u);
  HttpResult zipped = get("/api/v1/hourly", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(zipped.status, 200);
  EXPECT_EQ(zipped.header("content-encoding"), "gzip");
  auto body = server::gzip_decompress(zipped.body, 64 << 20);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, plain);
}

TEST_F(ServeApiTest, HealthIsOpenAndTheRestNeedsTheToken) {
  HttpClient anonymous(daemon_->port());
  HttpResult health = anonymous.get("/api/v1/health");
  ASSERT_EQ(health.status, 200) << health.body;
  JsonValue h = parse(health.body);
  EXPECT_EQ(string_of(h, "status"), "ok");
  EXPECT_FALSE(string_of(h, "version").empty());
  EXPECT_EQ(string_of(h, "ledgerPath"), *dir_ / "ledger.db");
  EXPECT_GT(int_of(*h.find("ingest"), "requestsCommitted"), 1000);
  EXPECT_GE(int_of(*h.find("ingest"), "catchUps"), 1);
  EXPECT_GT(int_of(*h.find("ingest"), "malformedLines"), 0);
  EXPECT_EQ(h.find("ingest")->find("degraded")->as_bool(), false);
  EXPECT_EQ(int_of(*h.find("websocket"), "clients"), 0);
  EXPECT_GE(int_of(h, "uptimeSeconds"), 0);
  EXPECT_EQ(anonymous.get("/api/v1/summary").status, 401);
  EXPECT_EQ(anonymous.get("/api/v1/openapi.json").status, 401);
}

// Every documented parameter is accepted (a valid value is not a 400), and the document lists
// every path the API serves.
TEST_F(ServeApiTest, OpenApiDocumentsEveryParameterTheRoutesAccept) {
  JsonValue doc = parse(get_ok("/api/v1/openapi.json"));
  EXPECT_EQ(string_of(doc, "openapi"), "3.0.3");
  std::string session =
      string_of(parse(get_ok("/api/v1/sessions")).find("sessions")->items().front(), "sessionId");
  int checked = 0;
  for (const auto& [path, item] : doc.find("paths")->members()) {
    const JsonValue* get_op = item.find("get");
    ASSERT_TRUE(get_op != nullptr || item.find("post") != nullptr) << path;
    if (get_op == nullptr || path.rfind("/api/v1/", 0) != 0 ||
        get_op->find("x-websocket") != nullptr) {
      continue;
    }
    std::string concrete = path;
    if (auto at = concrete.find("{id}"); at != std::string::npos) {
      concrete.replace(at, 4, session);
    }
    EXPECT_EQ(get(concrete).status, 200) << concrete;
    EXPECT_EQ(get(concrete + "?undocumented=1").status, 400) << concrete;
    for (const JsonValue& p : get_op->find("parameters")->items()) {
      if (string_of(p, "in") != "query") {
        continue;
      }
      const JsonValue& schema = *p.find("schema");
      std::string type = string_of(schema, "type");
      std::string value = "x";
      if (type == "boolean") {
        value = "true";
      } else if (type == "integer") {
        value = "3";
      } else if (type == "number") {
        value = "2.5";
      } else if (const JsonValue* e = schema.find("enum")) {
        value = e->items().back().as_string();
      } else if (string_of(p, "name") == "since" || string_of(p, "name") == "until") {
        value = "20260310";
      } else if (string_of(p, "name") == "token_limit") {
        value = "max";
      } else if (string_of(p, "name") == "timezone") {
        value = "Europe/Paris";
      } else if (string_of(p, "name") == "type") {
        value = "request,limit";
      }
      std::string target = concrete + "?" + string_of(p, "name") + "=" + value;
      HttpResult r = get(target);
      EXPECT_EQ(r.status, 200) << target << ": " << r.body;
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

// In process: the router built exactly as `ccgauge serve` builds it has one route per operation
// of the document, and every operation matches a route.
TEST(ServeApiRoutes, OpenApiListsEveryRegisteredRoute) {
  TempDir dir;
  cli::DaemonContext ctx(pricing::PriceTable::embedded(), TimeZone::utc(), analytics::PlanLimits{},
                         dir / "ledger.db", {});
  server::Router router;
  cli::add_api_routes(router, ctx);
  cli::add_gauge_routes(router, ctx);
  server::Request request;
  request.method = "GET";
  request.target = request.path = "/api/v1/openapi.json";
  server::Response response = router.dispatch(request);
  ASSERT_EQ(response.status, 200) << response.body;
  JsonValue doc = parse(response.body);
  ASSERT_TRUE(doc.is_object());
  std::set<const server::Handler*> handlers;
  std::size_t operations = 0;
  for (const auto& [path, item] : doc.find("paths")->members()) {
    for (const auto& [method, op] : item.members()) {
      if (op.find("x-websocket") != nullptr) {
        continue;  // served by the server itself, not the router
      }
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      std::string concrete = path;
      if (auto at = concrete.find("{id}"); at != std::string::npos) {
        concrete.replace(at, 4, "some-id");
      }
      server::Router::Match m = router.match(upper, concrete);
      EXPECT_EQ(m.kind, server::Router::Match::Kind::kFound) << method << " " << path;
      handlers.insert(m.handler);
      ++operations;
      // Every operation says what its success is: 200, or 202 for the POSTs.
      EXPECT_NE(op.find("responses")->find(method == "post" ? "202" : "200"), nullptr) << path;
    }
  }
  EXPECT_EQ(operations, router.size());
  EXPECT_EQ(handlers.size(), router.size());
  EXPECT_NE(doc.find("paths")->find("/api/v1/live"), nullptr);
  // Every $ref points at a schema that exists.
  const JsonValue& schemas = *doc.find("components")->find("schemas");
  std::size_t refs = 0;
  for (std::size_t at = response.body.find("\"$ref\""); at != std::string::npos;
       at = response.body.find("\"$ref\"", at + 1)) {
    std::size_t start = response.body.find("#/components/schemas/", at);
    ASSERT_NE(start, std::string::npos);
    start += std::string_view("#/components/schemas/").size();
    std::string name = response.body.substr(start, response.body.find('"', start) - start);
    EXPECT_NE(schemas.find(name), nullptr) << name;
    ++refs;
  }
  EXPECT_GT(refs, 20u);
}

// A small live tree: appends reach /events and the report caches, and SIGTERM exits 0.
TEST(ServeApiLive, AppendsShowUpAndSigtermExitsZero) {
  TempDir dir;
  auto line = [](const std::string& ts, const std::string& id, int input, int output) {
    return fmt::format(
        R"({{"type":"assistant","sessionId":"live-1","cwd":"/home/u/live","timestamp":"{}","requestId":"r{}","message":{{"id":"m{}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{},"output_tokens":{}}}}}}})"
        "\n",
        ts, id, id, input, output);
  };
  std::string transcript = dir / "claude/projects/-home-u-live/live-1.jsonl";
  testing::write_file(transcript, line("2026-03-20T14:10:00.000Z", "a", 1000, 100));
  std::vector<std::pair<std::string, std::string>> env = {{"CLAUDE_CONFIG_DIR", dir / "claude"},
                                                          {"HOME", dir.path()},
                                                          {"CCGAUGE_CONFIG_DIR", dir / "config"},
                                                          {"CCGAUGE_NOW", "2026-03-20T15:00:00Z"},
                                                          {"CCGAUGE_PLAN", ""},
                                                          {"CCGAUGE_TOKEN", ""},
                                                          {"TZ", "UTC"}};
  Daemon daemon(dir, {"--listen", "127.0.0.1:0", "--ledger", dir / "ledger.db"}, env);
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  HttpClient client(daemon.port());

  HttpResult before = client.get("/api/v1/daily");
  ASSERT_EQ(before.status, 200);
  JsonValue events = parse(client.get("/api/v1/events").body);
  std::int64_t latest = int_of(events, "latestSeq");
  EXPECT_GE(latest, 2);  // session_start and request

  testing::append_file(transcript, line("2026-03-20T14:55:00.000Z", "b", 2000, 300));
  JsonValue fresh;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    fresh = parse(client.get(fmt::format("/api/v1/events?type=request&after={}", latest)).body);
    if (!fresh.find("events")->items().empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(fresh.find("events")->items().size(), 1u);
  EXPECT_EQ(string_of(*fresh.find("events")->items()[0].find("event"), "messageId"), "mb");

  // The daily report follows the new state (its cache is per state version).
  JsonValue daily;
  while (std::chrono::steady_clock::now() < deadline) {
    daily = parse(client.get("/api/v1/daily").body);
    if (int_of(*daily.find("totals"), "inputTokens") == 3000) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(int_of(*daily.find("totals"), "inputTokens"), 3000);
  EXPECT_NE(client.get("/api/v1/daily").header("etag"), before.header("etag"));
  JsonValue summary = parse(client.get("/api/v1/summary").body);
  EXPECT_EQ(int_of(*summary.find("today"), "requests"), 2);
  EXPECT_EQ(int_of(summary, "activeSessions"), 1);

  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
  EXPECT_NE(daemon.err().find("SIGTERM"), std::string::npos);
}

}  // namespace
}  // namespace ccgauge

namespace ccgauge {
namespace {

// Latency of /api/v1/summary over 1,000 requests on one keep-alive connection, against a ledger
// built from a generated ~100 MiB history whose 30 days all fall in the current month (the
// summary's widest scan). Run with --gtest_also_run_disabled_tests; prints p50/p99/max.
TEST(ServeApiBench, DISABLED_SummaryLatency) {
  TempDir dir;
  gen::GeneratorOptions options;
  options.out_dir = dir / "claude";
  options.target_bytes = 100ull << 20;
  options.seed = 5;
  options.days = 30;
  options.end_date = "2026-03-31";
  auto totals = gen::generate(options);
  ASSERT_TRUE(totals) << totals.error().message;
  std::vector<std::pair<std::string, std::string>> env = {{"CLAUDE_CONFIG_DIR", dir / "claude"},
                                                          {"HOME", dir.path()},
                                                          {"CCGAUGE_CONFIG_DIR", dir / "config"},
                                                          {"CCGAUGE_NOW", "2026-03-31T18:00:00Z"},
                                                          {"CCGAUGE_PLAN", ""},
                                                          {"CCGAUGE_TOKEN", ""},
                                                          {"TZ", "UTC"}};
  auto start = std::chrono::steady_clock::now();
  Daemon daemon(dir, {"--listen", "127.0.0.1:0", "--ledger", dir / "ledger.db"}, env);
  ASSERT_NE(daemon.port(), 0) << daemon.err();
  std::printf("history: %.1f MiB, %lld requests; daemon ready in %.1f s\n",
              static_cast<double>(totals->stats.bytes) / (1 << 20),
              static_cast<long long>(totals->requests),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  HttpClient client(daemon.port(), std::chrono::seconds(30));
  auto measure = [&](const char* what, auto target_of) {
    std::vector<double> ms;
    for (int i = 0; i < 1000; ++i) {
      std::string target = target_of(i);
      auto t0 = std::chrono::steady_clock::now();
      HttpResult r = client.get(target);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      ASSERT_EQ(r.status, 200) << target << ": " << r.body;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-44s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what, ms[499], ms[989],
                ms.back());
  };
  measure("/api/v1/summary (cached)", [](int) { return std::string("/api/v1/summary"); });
  measure("/api/v1/summary?limit=N (computed each time)",
          [](int i) { return fmt::format("/api/v1/summary?limit={}", i); });
  for (const char* target :
       {"/api/v1/daily", "/api/v1/hourly", "/api/v1/monthly?instances=1", "/api/v1/projects",
        "/api/v1/models", "/api/v1/sessions", "/api/v1/blocks", "/api/v1/limits",
        "/api/v1/events?limit=1000", "/api/v1/health"}) {
    auto t0 = std::chrono::steady_clock::now();
    HttpResult r = client.get(target);
    double first =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    t0 = std::chrono::steady_clock::now();
    client.get(target);
    double again =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.status, 200) << target;
    std::printf("%-44s first %8.2f ms  again %7.3f ms  %zu bytes\n", target, first, again,
                r.body.size());
  }
  EXPECT_EQ(daemon.stop(), 0);
}

}  // namespace
}  // namespace ccgauge

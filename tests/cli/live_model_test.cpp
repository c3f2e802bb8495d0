// The pure parts of `ccgauge live`: text measuring and clipping, the Current view's figures
// from ledger rows, each view's frame at several sizes, and the loaders on a real ledger.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli/live/daemon_client.h"
#include "cli/live/data.h"
#include "cli/live/frame.h"
#include "cli/live/model.h"
#include "cli/live/view.h"
#include "core/time.h"
#include "ledger/ledger.h"
#include "tests/support/temp_dir.h"

namespace ccgauge::cli::live {
namespace {

using testing::TempDir;

Instant at(const char* iso) { return *parse_timestamp(iso); }

const Instant kNow = at("2026-03-02T12:00:00Z");

analytics::RequestRow row(const char* iso, const std::string& session, const std::string& model,
                          std::int64_t input, std::int64_t output, Nanodollars cost,
                          const std::string& project = "/w/alpha") {
  analytics::RequestRow r;
  r.instant = at(iso);
  r.session_id = session;
  r.project = project;
  r.model = model;
  r.tokens.input = input;
  r.tokens.output = output;
  r.computed_cost = cost;
  return r;
}

std::string text_of(const Frame& frame) { return frame_text(frame, false); }

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

int widest_line(const Frame& frame) {
  int widest = 0;
  for (const Line& line : frame.lines) {
    widest = std::max(widest, line.width());
  }
  return widest;
}

// ---- text -----------------------------------------------------------------------------------

TEST(LiveText, WidthCountsColumnsNotBytes) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("█░─·"), 4);
  EXPECT_EQ(display_width("日本"), 4);      // wide
  EXPECT_EQ(display_width("e\u0301"), 1);   // combining accent
  EXPECT_EQ(display_width("\xff\xfe"), 2);  // invalid bytes count one each
}

TEST(LiveText, FitCutsWithAnEllipsisAndNeverSplitsACharacter) {
  EXPECT_EQ(fit("billing-service", 9, "…"), "billing-…");
  EXPECT_EQ(fit("short", 9, "…"), "short");
  EXPECT_EQ(fit("日本語のプロジェクト", 5, "…"), "日本…");
  EXPECT_EQ(display_width(fit("日本語のプロジェクト", 6, "~")), 5);
}

TEST(LiveText, ClipReplacesControlCharactersAndInAsciiModeEverythingNonAscii) {
  Line line;
  line.add("a\tb\x1b[31m", Style::kBad).add(" ██ é");
  Line unicode = clip(line, 80, false);
  EXPECT_EQ(unicode.text, "a?b?[31m ██ é");
  Line ascii = clip(line, 80, true);
  EXPECT_EQ(ascii.text, "a?b?[31m ?? ?");
  // Spans follow the text they covered.
  ASSERT_EQ(ascii.spans.size(), 1u);
  EXPECT_EQ(ascii.spans[0], (Span{0, 8, Style::kBad}));
  EXPECT_EQ(clip(line, 4, false).text, "a?b?");
}

TEST(LiveText, FrameTextIsPlainUnlessAnsiIsAsked) {
  Frame frame;
  frame.lines.push_back(Line().add(" 5-hour ").add("42.0%", Style::kGood).add("   "));
  EXPECT_EQ(frame_text(frame, false), " 5-hour 42.0%\n");
  EXPECT_EQ(frame_text(frame, true), " 5-hour \033[32m42.0%\033[0m\n");
}

TEST(LiveViews, NamesNumbersAndTabOrder) {
  EXPECT_EQ(parse_view("blocks"), View::kBlocks);
  EXPECT_EQ(parse_view("Blocks"), std::nullopt);
  EXPECT_EQ(next_view(View::kTools), View::kCurrent);
  EXPECT_EQ(previous_view(View::kCurrent), View::kTools);
  EXPECT_EQ(view_title(next_view(View::kCurrent)), "Daily");
}

// ---- the Current view's figures ---------------------------------------------------------------

TEST(LiveCurrent, TodayModelMixSparklineAndActiveSessions) {
  CurrentBuilder b(kNow, TimeZone::utc());
  EXPECT_EQ(b.needed_from(), at("2026-03-02T00:00:00Z"));
  b.add(row("2026-03-01T23:50:00Z", "s0", "claude-haiku-4-5", 10, 10, 1'000'000));  // yesterday
  b.add(row("2026-03-02T11:00:30Z", "s1", "claude-sonnet-4-5-20250929", 1000, 200, 3'000'000'000));
  b.add(row("2026-03-02T11:30:10Z", "s1", "claude-sonnet-4-5", 1000, 200, 1'000'000'000));
  b.add(row("2026-03-02T11:59:59Z", "s2", "claude-opus-4-6", 500, 100, 4'000'000'000, "/w/beta"));
  b.add(row("2026-03-02T12:00:20Z", "s2", "<synthetic>", 0, 0, 0, "/w/beta"));  // after now
  CurrentData c = b.finish();

  EXPECT_EQ(c.today.requests, 4);
  EXPECT_EQ(c.today.cost, 8'000'000'000);
  EXPECT_EQ(c.today.tokens.total(), 3000);
  // By cost: sonnet (both spellings under one name) 50 %, opus 50 % and ties break by tokens.
  ASSERT_EQ(c.model_mix.size(), 2u);
  EXPECT_EQ(c.model_mix[0].model, "sonnet-4-5");
  EXPECT_DOUBLE_EQ(c.model_mix[0].share, 0.5);
  EXPECT_EQ(c.model_mix[0].requests, 2);
  EXPECT_EQ(c.model_mix[1].model, "opus-4-6");

  // Minute buckets of the last hour: 11:00:30 is bucket 0, 11:30:10 bucket 30, 11:59:59 the
  // last; a request after now counts in the last bucket too.
  EXPECT_EQ(c.tokens_per_minute[0], 1200);
  EXPECT_EQ(c.tokens_per_minute[30], 1200);
  EXPECT_EQ(c.tokens_per_minute[59], 600);
  EXPECT_EQ(c.cost_last_hour, 8'000'000'000);

  // Active: a request in the last 30 minutes; newest first; model of the newest named request.
  ASSERT_EQ(c.active_sessions.size(), 2u);
  EXPECT_EQ(c.active_sessions[0].session_id, "s2");
  EXPECT_EQ(c.active_sessions[0].model, "opus-4-6");
  EXPECT_EQ(c.active_sessions[0].requests, 2);
  EXPECT_EQ(c.active_sessions[1].session_id, "s1");
  EXPECT_EQ(c.active_sessions[1].requests, 1);  // its 11:00 request is older than 30 minutes
  EXPECT_EQ(*c.last_request, at("2026-03-02T12:00:20Z"));
}

TEST(LiveCurrent, TodayFollowsTheTimeZone) {
  // 12:00 UTC is 07:00 in New York, whose day began at 05:00 UTC.
  auto zone = TimeZone::locate("America/New_York");
  ASSERT_TRUE(zone);
  CurrentBuilder b(kNow, *zone);
  EXPECT_EQ(b.needed_from(), at("2026-03-02T05:00:00Z"));
  b.add(row("2026-03-02T04:59:00Z", "s", "claude-sonnet-4-5", 1, 1, 5));
  b.add(row("2026-03-02T05:01:00Z", "s", "claude-sonnet-4-5", 1, 1, 7));
  EXPECT_EQ(b.finish().today.cost, 7);
}

// ---- frames -----------------------------------------------------------------------------------

analytics::WindowState window(const char* name, double pct, analytics::Provenance p,
                              const char* source) {
  analytics::WindowState w;
  w.window = name;
  w.used_percent = pct;
  w.used_provenance = p;
  w.reset_provenance = p;
  w.source = source;
  w.start = kNow - std::chrono::hours(2);
  w.resets_at = kNow + std::chrono::minutes(130);
  return w;
}

LiveModel current_model() {
  LiveModel m;
  m.now = kNow;
  m.source = "watching transcripts";
  CurrentBuilder b(kNow, TimeZone::utc());
  b.add(
      row("2026-03-02T11:50:00Z", "session-one", "claude-sonnet-4-5", 90'000, 2000, 3'000'000'000));
  b.add(row("2026-03-02T11:58:00Z", "session-two", "claude-opus-4-6", 10'000, 1000, 1'000'000'000,
            "/home/u/a-project-with-a-very-long-name-indeed"));
  CurrentData c = b.finish();
  c.limits.five_hour = window("five_hour", 93.5, analytics::Provenance::kOfficial, "statusline");
  c.limits.five_hour.exhausted_at = kNow + std::chrono::minutes(20);
  c.limits.seven_day = window("seven_day", 40, analytics::Provenance::kPlan, "max5");
  c.limits.seven_day.resets_at = kNow + std::chrono::hours(60);
  c.limits.five_hour.recent_rate.tokens_per_minute = 10'300;
  c.limits.five_hour.recent_rate.cost_per_hour_usd = 24;
  m.current = std::move(c);
  return m;
}

// The style of the first span that covers `needle` in the frame, if any.
std::optional<Style> style_at(const Frame& frame, const std::string& needle) {
  for (const Line& line : frame.lines) {
    auto pos = line.text.find(needle);
    if (pos == std::string::npos) {
      continue;
    }
    for (const Span& s : line.spans) {
      if (s.begin <= pos && pos < s.end) {
        return s.style;
      }
    }
    return Style::kNormal;
  }
  return std::nullopt;
}

TEST(LiveFrame, CurrentShowsBothWindowsWithProvenanceResetsAndProjection) {
  Frame f = render_frame(current_model(), View::kCurrent, Layout{120, 0, true, 0});
  std::string text = text_of(f);
  EXPECT_TRUE(contains(text, "5-hour")) << text;
  EXPECT_TRUE(contains(text, "93.5%  official (statusline)")) << text;
  EXPECT_TRUE(contains(text, "resets 14:10 (in 2h 10m)")) << text;
  EXPECT_TRUE(contains(text, "runs out 12:20 (in 20m)")) << text;
  EXPECT_TRUE(contains(text, "40.0%  plan (max5)")) << text;
  EXPECT_TRUE(contains(text, "resets Mar 5 00:00 (in 2d 12h)")) << text;
  EXPECT_TRUE(contains(text, "lasts until the reset")) << text;
  EXPECT_TRUE(contains(text, "10.3k tok/min · $24.00/h")) << text;
  EXPECT_TRUE(contains(text, "Today       $4.00 · 103.0k tokens · 2 requests")) << text;
  EXPECT_TRUE(contains(text, "Model mix   sonnet-4-5 75% · opus-4-6 25%")) << text;
  EXPECT_TRUE(contains(text, "Active sessions 2")) << text;
  EXPECT_TRUE(contains(text, "a-project-with-a-very-long-name-indeed")) << text;
  EXPECT_TRUE(contains(text, "q quit")) << text;
  // Thresholds: 93.5 % is red, 40 % green; the projection is red.
  EXPECT_EQ(style_at(f, "93.5%"), Style::kBad);
  EXPECT_EQ(style_at(f, "40.0%"), Style::kGood);
  EXPECT_EQ(style_at(f, "runs out"), Style::kBad);
  EXPECT_EQ(style_at(f, " 1 Current "), Style::kTabActive);
  EXPECT_EQ(style_at(f, " 2 Daily "), Style::kTab);
  // The last hour: two minutes with requests, the largest at full height.
  EXPECT_TRUE(contains(text, "█")) << text;
  EXPECT_LE(widest_line(f), 120);
}

TEST(LiveFrame, EstimateAndMissingReadingsAreLabelled) {
  LiveModel m = current_model();
  m.current->limits.five_hour = window("five_hour", 12, analytics::Provenance::kEstimate, "p90");
  m.current->limits.seven_day = analytics::WindowState{};
  m.current->limits.seven_day.window = "seven_day";
  std::string text = text_of(render_frame(m, View::kCurrent, Layout{100, 0, true, 0}));
  EXPECT_TRUE(contains(text, "12.0%  estimate (p90)")) << text;
  EXPECT_TRUE(contains(text, "n/a  no reading")) << text;
  EXPECT_TRUE(contains(text, "reset time unknown")) << text;
}

TEST(LiveFrame, EveryViewFitsEveryWidthAndAsciiModeIsPureAscii) {
  LiveModel m = current_model();
  analytics::ReportOptions ro;
  ro.order = analytics::Order::kDesc;
  analytics::ReportBuilder daily(ro);
  daily.add(row("2026-03-01T10:00:00Z", "s", "claude-sonnet-4-5", 10, 10, 2'000'000'000));
  daily.add(row("2026-03-02T10:00:00Z", "s", "claude-opus-4-6", 10, 10, 5'000'000'000));
  m.daily = daily.finish();
  ro.kind = analytics::PeriodKind::kSession;
  analytics::ReportBuilder sessions(ro);
  sessions.add(row("2026-03-02T11:50:00Z", "0123456789abcdef", "claude-opus-4-6", 10, 10, 5,
                   "/home/u/日本語のプロジェクト"));
  m.sessions = sessions.finish();
  analytics::BlocksOptions bo;
  bo.now = kNow;
  bo.order = analytics::Order::kDesc;
  analytics::BlocksBuilder blocks(bo);
  blocks.add(row("2026-03-02T11:50:00Z", "s", "claude-opus-4-6", 10, 10, 5));
  blocks.add(row("2026-03-01T01:50:00Z", "s", "claude-opus-4-6", 10, 10, 5));
  m.blocks = blocks.finish();
  m.tools = ToolsData{std::nullopt, "No hook data yet (ccgauge hooks install)."};
  for (View v : {View::kCurrent, View::kDaily, View::kSessions, View::kBlocks, View::kTools}) {
    for (int width : {24, 40, 59, 60, 80, 100, 160}) {
      for (bool unicode : {true, false}) {
        Frame f = render_frame(m, v, Layout{width, 0, unicode, 0});
        std::string text = text_of(f);
        EXPECT_LE(widest_line(f), width) << view_title(v) << " at " << width << "\n" << text;
        EXPECT_TRUE(contains(text, width < kCompactBelow ? "q quit" : "q quit")) << text;
        if (!unicode) {
          EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x80;
          })) << text;
        }
      }
    }
  }
}

TEST(LiveFrame, CompactLayoutBelowSixtyColumns) {
  std::string wide = text_of(render_frame(current_model(), View::kCurrent, Layout{60, 0, true, 0}));
  std::string compact =
      text_of(render_frame(current_model(), View::kCurrent, Layout{59, 0, true, 0}));
  EXPECT_TRUE(contains(wide, " 5-hour ")) << wide;
  EXPECT_TRUE(contains(compact, " 5h ")) << compact;
  EXPECT_TRUE(contains(compact, "resets in 2h 10m · runs out in 20m")) << compact;
  EXPECT_TRUE(contains(compact, " 1 Current  2  3  4  5 ")) << compact;
  EXPECT_FALSE(contains(compact, "5-hour")) << compact;
}

TEST(LiveFrame, AFixedHeightKeepsHeaderAndFooterAndScrollsTheList) {
  LiveModel m = current_model();
  analytics::ReportOptions ro;
  ro.order = analytics::Order::kDesc;
  analytics::ReportBuilder daily(ro);
  for (int d = 1; d <= 28; ++d) {
    std::string iso = fmt::format("2026-02-{:02}T10:00:00Z", d);
    daily.add(row(iso.c_str(), "s", "claude-sonnet-4-5", 10, 10, d * 1'000'000'000LL));
  }
  m.daily = daily.finish();
  Frame f = render_frame(m, View::kDaily, Layout{100, 12, true, 0});
  ASSERT_EQ(f.lines.size(), 12u);
  std::string text = text_of(f);
  EXPECT_TRUE(contains(f.lines.front().text, "ccgauge live"));
  EXPECT_TRUE(contains(f.lines.back().text, "q quit"));
  // 12 rows: header, summary, blank, column titles, rule, rows..., rule, total, footer.
  EXPECT_EQ(f.max_scroll, 28 - 4);
  EXPECT_TRUE(contains(text, "2026-02-28")) << text;
  EXPECT_TRUE(contains(text, "Total")) << text;
  EXPECT_TRUE(contains(f.lines.back().text, "1-4/28")) << text;
  Frame scrolled = render_frame(m, View::kDaily, Layout{100, 12, true, 1000});
  std::string bottom = text_of(scrolled);
  EXPECT_TRUE(contains(bottom, "2026-02-01")) << bottom;
  EXPECT_FALSE(contains(bottom, "2026-02-28")) << bottom;
  EXPECT_TRUE(contains(scrolled.lines.back().text, "25-28/28")) << bottom;
}

TEST(LiveFrame, NarrowTablesDropColumnsByPriority) {
  LiveModel m = current_model();
  analytics::ReportOptions ro;
  analytics::ReportBuilder daily(ro);
  daily.add(row("2026-03-02T10:00:00Z", "s", "claude-opus-4-6", 1234, 5678, 5'000'000'000));
  m.daily = daily.finish();
  std::string wide = text_of(render_frame(m, View::kDaily, Layout{140, 0, true, 0}));
  std::string narrow = text_of(render_frame(m, View::kDaily, Layout{40, 0, true, 0}));
  for (const char* column : {"Input", "Output", "Cache W", "Total", "Cost", "Models"}) {
    EXPECT_TRUE(contains(wide, column)) << column << "\n" << wide;
  }
  EXPECT_TRUE(contains(narrow, "Date")) << narrow;
  EXPECT_TRUE(contains(narrow, "$5.00")) << narrow;
  EXPECT_FALSE(contains(narrow, "Cache W")) << narrow;
}

TEST(LiveFrame, TooSmallAsksForMoreRoom) {
  Frame f = render_frame(current_model(), View::kCurrent, Layout{20, 10, true, 0});
  ASSERT_EQ(f.lines.size(), 10u);
  EXPECT_EQ(f.lines[0].text, "terminal too small");
  EXPECT_EQ(render_frame(current_model(), View::kCurrent, Layout{80, 4, true, 0}).lines.size(), 4u);
}

TEST(LiveFrame, LoadErrorsAndUnloadedViewsSaySo) {
  LiveModel m;
  m.now = kNow;
  EXPECT_TRUE(contains(text_of(render_frame(m, View::kBlocks, Layout{})), "Loading..."));
  m.error = "database is locked";
  EXPECT_TRUE(
      contains(text_of(render_frame(m, View::kBlocks, Layout{})), "Error: database is locked"));
}

// ---- daemon URLs ------------------------------------------------------------------------------

TEST(LiveDaemonUrl, AcceptsTheUsualSpellings) {
  auto e = parse_daemon_url("127.0.0.1:9000");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, "9000");
  EXPECT_EQ(e->path, "/api/v1/live");
  e = parse_daemon_url("ws://localhost:8321/custom/live");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "localhost");
  EXPECT_EQ(e->path, "/custom/live");
  e = parse_daemon_url("http://[::1]:8400/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->name(), "[::1]:8400");
  e = parse_daemon_url(":8500");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name(), "127.0.0.1:8500");
  EXPECT_FALSE(parse_daemon_url("127.0.0.1:99999"));
  EXPECT_FALSE(parse_daemon_url("127.0.0.1:80x"));
  EXPECT_FALSE(parse_daemon_url("wss://example.com"));
  EXPECT_FALSE(parse_daemon_url("[::1"));
}

TEST(LiveDaemonClient, NothingListeningFailsFast) {
  auto e = parse_daemon_url("127.0.0.1:1");
  ASSERT_TRUE(e);
  auto start = std::chrono::steady_clock::now();
  auto client = DaemonClient::connect(*e, std::chrono::milliseconds(2000));
  EXPECT_FALSE(client);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

// ---- loaders on a real ledger -----------------------------------------------------------------

ledger::SourcedRecord record(const std::string& id, const char* iso, const std::string& session,
                             const std::string& model, std::int64_t input, std::int64_t output) {
  ledger::SourcedRecord r;
  r.record.message_id = id;
  r.record.request_id = "req-" + id;
  r.record.session_id = session;
  r.record.project = "/w/" + session;
  r.record.model = model;
  r.record.instant = at(iso);
  r.record.tokens.input = input;
  r.record.tokens.output = output;
  return r;
}

class LiveLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = ledger::Ledger::open(dir_ / "ledger.db", prices_);
    ASSERT_TRUE(opened) << opened.error().message;
    ledger_.emplace(std::move(*opened));
    ledger::IngestBatch batch;
    // 100k sonnet-4-5 input tokens cost $0.30 (under the long-context threshold).
    batch.records = {record("a", "2026-03-02T11:50:00Z", "s1", "claude-sonnet-4-5", 100'000, 0),
                     record("b", "2026-03-02T09:00:00Z", "s1", "claude-sonnet-4-5", 100'000, 0),
                     record("c", "2026-03-01T12:00:00Z", "s2", "claude-opus-4-6", 100'000, 0),
                     record("d", "2026-02-20T12:00:00Z", "s3", "claude-opus-4-6", 100'000, 0)};
    ASSERT_TRUE(ledger_->commit(batch));
  }

  TempDir dir_;
  pricing::PriceTable prices_ = pricing::PriceTable::embedded();
  std::optional<ledger::Ledger> ledger_;
};

TEST_F(LiveLoad, CurrentReadsTodayAndTheLimitsEngine) {
  analytics::PlanLimits plan;
  plan.name = "custom";
  plan.tokens_5h = 400'000;
  auto c = load_current(*ledger_, kNow, TimeZone::utc(), plan);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->today.requests, 2);
  EXPECT_EQ(c->today.cost, 600'000'000);
  EXPECT_EQ(c->tokens_per_minute[50], 100'000);
  ASSERT_EQ(c->active_sessions.size(), 1u);
  EXPECT_EQ(c->active_sessions[0].session_id, "s1");
  // The plan's budget: 200k of 400k input+output tokens in the 5-hour window.
  EXPECT_EQ(c->limits.five_hour.used_provenance, analytics::Provenance::kPlan);
  ASSERT_TRUE(c->limits.five_hour.used_percent);
  EXPECT_DOUBLE_EQ(*c->limits.five_hour.used_percent, 50.0);
}

TEST_F(LiveLoad, DailySessionsAndBlocksCoverTheirSpans) {
  auto daily = load_daily(*ledger_, kNow, TimeZone::utc(), 7);
  ASSERT_TRUE(daily);
  ASSERT_EQ(daily->rows.size(), 2u);  // Feb 20 is outside the last 7 days
  EXPECT_EQ(daily->rows[0].key, "2026-03-02");
  EXPECT_EQ(daily->rows[0].cost, 600'000'000);
  EXPECT_EQ(daily->rows[1].key, "2026-03-01");

  auto sessions = load_sessions(*ledger_, kNow, TimeZone::utc(), 7);
  ASSERT_TRUE(sessions);
  ASSERT_EQ(sessions->rows.size(), 2u);
  EXPECT_EQ(sessions->rows[0].key, "s1");
  EXPECT_EQ(sessions->rows[0].requests, 2);

  auto blocks = load_blocks(*ledger_, kNow, TimeZone::utc());
  ASSERT_TRUE(blocks);
  ASSERT_FALSE(blocks->blocks.empty());
  EXPECT_TRUE(blocks->blocks[0].active);  // 09:00-14:00, newest first
  EXPECT_EQ(blocks->blocks[0].entries, 2);
}

TEST_F(LiveLoad, LoadViewFillsOnlyThatView) {
  LiveModel m;
  m.now = kNow;
  load_view(*ledger_, View::kSessions, {}, m);
  EXPECT_TRUE(m.error.empty()) << m.error;
  EXPECT_TRUE(m.sessions);
  EXPECT_FALSE(m.current);
  load_view(*ledger_, View::kTools, {}, m);
  ASSERT_TRUE(m.tools);
  EXPECT_FALSE(m.tools->note.empty());  // no hook events in this ledger
}

}  // namespace
}  // namespace ccgauge::cli::live

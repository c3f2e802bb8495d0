#include "cli/live/data.h"

#include "analytics/blocks.h"
#include "ledger/limits_reader.h"
#include "ledger/tools_reader.h"

namespace ccgauge::cli::live {
namespace {

constexpr const char* kNoHookData = "No hook data yet (ccgauge hooks install).";

}  // namespace

Result<CurrentData> load_current(const ledger::Ledger& ledger, Instant now, const TimeZone& zone,
                                 const analytics::PlanLimits& plan) {
  ledger::LimitsQuery lq;
  lq.now = now;
  lq.plan = plan;
  auto limits = ledger::read_limits(ledger, lq);
  if (!limits) {
    return tl::unexpected(limits.error());
  }
  CurrentBuilder builder(now, zone);
  ledger::RequestQuery q;
  q.from = builder.needed_from();
  q.to = now + std::chrono::minutes(1);
  auto status =
      ledger.for_each_request(q, [&](const analytics::RequestRow& row) { builder.add(row); });
  if (!status) {
    return tl::unexpected(status.error());
  }
  CurrentData data = builder.finish();
  data.limits = std::move(*limits);
  return data;
}

Result<analytics::PeriodReport> load_daily(const ledger::Ledger& ledger, Instant now,
                                           const TimeZone& zone, int days) {
  DateKey today = zone.local_date(now);
  DateKey first = zone.local_date(zone.start_of_day(today) - std::chrono::days(days - 1) +
                                  std::chrono::hours(12));
  analytics::ReportOptions ro;
  ro.kind = analytics::PeriodKind::kDaily;
  ro.mode = analytics::CostMode::kCalculate;  // rollups carry the auto-mode cost already
  ro.order = analytics::Order::kDesc;
  ro.zone = zone;
  ro.since = first;
  ro.until = today;
  analytics::ReportBuilder builder(ro);
  // A day wider on each side, so a zone change never cuts a day short; the builder keeps the
  // exact local dates.
  ledger::RequestQuery q;
  q.from = zone.start_of_day(first) - std::chrono::hours(24);
  q.to = zone.start_of_day(today) + std::chrono::hours(48);
  auto status = ledger.for_each_rollup(q, analytics::CostMode::kAuto,
                                       [&](const analytics::RequestRow& row) { builder.add(row); });
  if (!status) {
    return tl::unexpected(status.error());
  }
  return builder.finish();
}

Result<analytics::PeriodReport> load_sessions(const ledger::Ledger& ledger, Instant now,
                                              const TimeZone& zone, int days) {
  analytics::ReportOptions ro;
  ro.kind = analytics::PeriodKind::kSession;
  ro.mode = analytics::CostMode::kAuto;
  ro.order = analytics::Order::kDesc;
  ro.zone = zone;
  analytics::ReportBuilder builder(ro);
  ledger::RequestQuery q;
  q.from = now - std::chrono::days(days);
  q.to = now + std::chrono::minutes(1);
  auto status =
      ledger.for_each_request(q, [&](const analytics::RequestRow& row) { builder.add(row); });
  if (!status) {
    return tl::unexpected(status.error());
  }
  return builder.finish();
}

Result<analytics::BlocksReport> load_blocks(const ledger::Ledger& ledger, Instant now,
                                            const TimeZone& zone) {
  analytics::BlocksOptions bo;
  bo.mode = analytics::CostMode::kAuto;
  bo.order = analytics::Order::kDesc;
  bo.zone = zone;
  bo.recent_only = true;
  bo.now = now;
  analytics::BlocksBuilder builder(bo);
  // Blocks are laid out from the first request on; eight days back gives the three recent days
  // the same block starts as `ccgauge blocks` in all but contrived histories (a chain of blocks,
  // each under five hours from the last, reaching back further).
  ledger::RequestQuery q;
  q.from = now - std::chrono::days(8);
  q.to = now + std::chrono::minutes(1);
  auto status =
      ledger.for_each_request(q, [&](const analytics::RequestRow& row) { builder.add(row); });
  if (!status) {
    return tl::unexpected(status.error());
  }
  return builder.finish();
}

ToolsData load_tools(const ledger::Ledger& ledger, Instant now, int days) {
  ToolsData data;
  analytics::ToolsQuery q;
  q.from = now - std::chrono::days(days);
  q.grouping = analytics::ToolGrouping::kTool;
  auto report = ledger::read_tools(ledger, q);
  if (!report) {
    data.note = "Tool data unavailable: " + report.error().message;
    return data;
  }
  if (report->rows.empty()) {
    data.note = kNoHookData;
  }
  data.report = std::move(*report);
  return data;
}

void load_view(const ledger::Ledger& ledger, View view, const analytics::PlanLimits& plan,
               LiveModel& model) {
  Status status;
  auto take = [&](auto result, auto& slot) {
    if (result) {
      slot = std::move(*result);
    } else {
      status = tl::unexpected(result.error());
    }
  };
  switch (view) {
    case View::kCurrent:
      take(load_current(ledger, model.now, model.zone, plan), model.current);
      break;
    case View::kDaily:
      take(load_daily(ledger, model.now, model.zone, model.daily_days), model.daily);
      break;
    case View::kSessions:
      take(load_sessions(ledger, model.now, model.zone, model.session_days), model.sessions);
      break;
    case View::kBlocks:
      take(load_blocks(ledger, model.now, model.zone), model.blocks);
      break;
    case View::kTools:
      model.tools = load_tools(ledger, model.now, model.tool_days);
      break;
  }
  model.error = status ? std::string() : status.error().message;
}

}  // namespace ccgauge::cli::live

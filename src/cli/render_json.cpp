// JSON renderers: ccusage v20's `claude <report> --json` shapes, keys in ccusage's documented
// order (research ccusage.md 4.7), pretty-printed with two spaces, one trailing newline.

#include "cli/render.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cli/render_util.h"
#include "core/json_writer.h"
#include "core/time.h"

namespace ccgauge::cli {
namespace {

using analytics::Block;
using analytics::ModelBreakdown;
using analytics::PeriodKind;
using analytics::PeriodReport;
using analytics::Totals;
using analytics::UsageRow;
using detail::usd;
using detail::finish;

// inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens.
void write_token_fields(JsonWriter& w, const TokenCounts& tokens) {
  w.key("inputTokens").value(tokens.input);
  w.key("outputTokens").value(tokens.output);
  w.key("cacheCreationTokens").value(tokens.cache_creation());
  w.key("cacheReadTokens").value(tokens.cache_read);
}

// A cost key, left out under --no-cost.
void write_cost(JsonWriter& w, std::string_view key, double cost_usd, const RenderOptions& opts) {
  if (!opts.no_cost) {
    w.key(key).value(cost_usd);
  }
}

void write_strings(JsonWriter& w, const std::vector<std::string>& items) {
  w.begin_array();
  for (const std::string& item : items) {
    w.value(item);
  }
  w.end_array();
}

void write_breakdowns(JsonWriter& w, const std::vector<ModelBreakdown>& breakdowns,
                      const RenderOptions& opts) {
  w.begin_array();
  for (const ModelBreakdown& breakdown : breakdowns) {
    w.begin_object();
    w.key("modelName").value(breakdown.model);
    write_token_fields(w, breakdown.tokens);
    write_cost(w, "cost", usd(breakdown.cost), opts);
    w.end_object();
  }
  w.end_array();
}

// A daily/weekly/monthly/hourly row; `project` last, as ccusage v20 does with --instances.
void write_period_row(JsonWriter& w, const UsageRow& row, std::string_view row_key,
                      bool with_project, const RenderOptions& opts) {
  w.begin_object();
  w.key(row_key).value(row.key);
  write_token_fields(w, row.tokens);
  w.key("totalTokens").value(row.tokens.total());
  write_cost(w, "totalCost", usd(row.cost), opts);
  w.key("modelsUsed");
  write_strings(w, row.models_used);
  w.key("modelBreakdowns");
  write_breakdowns(w, row.breakdowns, opts);
  if (with_project) {
    w.key("project").value(row.project);
  }
  w.end_object();
}

void write_session_row(JsonWriter& w, const UsageRow& row, const RenderOptions& opts) {
  w.begin_object();
  w.key("sessionId").value(row.key);
  w.key("projectPath").value(row.project);
  write_token_fields(w, row.tokens);
  w.key("totalTokens").value(row.tokens.total());
  write_cost(w, "totalCost", usd(row.cost), opts);
  w.key("lastActivity").value(format_iso_ms(row.last_activity));
  w.key("firstActivity").value(format_iso_ms(row.first_activity));
  w.key("modelsUsed");
  write_strings(w, row.models_used);
  w.key("modelBreakdowns");
  write_breakdowns(w, row.breakdowns, opts);
  w.end_object();
}

void write_totals(JsonWriter& w, const Totals& totals, const RenderOptions& opts) {
  w.key("totals").begin_object();
  write_token_fields(w, totals.tokens);
  w.key("totalTokens").value(totals.tokens.total());
  write_cost(w, "totalCost", usd(totals.cost), opts);
  w.end_object();
}

void write_missing_pricing(JsonWriter& w, const std::vector<std::string>& models) {
  if (!models.empty()) {
    w.key("missingPricing");
    write_strings(w, models);
  }
}

// {"projects": {"<project>": [rows]}}; projects in the order of their first row.
void write_projects(JsonWriter& w, const PeriodReport& report, std::string_view row_key,
                    const RenderOptions& opts) {
  w.key("projects").begin_object();
  for (const detail::ProjectGroup& group : detail::group_by_project(report.rows)) {
    w.key(group.project).begin_array();
    for (const UsageRow* row : group.rows) {
      write_period_row(w, *row, row_key, /*with_project=*/true, opts);
    }
    w.end_array();
  }
  w.end_object();
}

void write_rows(JsonWriter& w, const PeriodReport& report, const detail::PeriodNames& names,
                const RenderOptions& opts) {
  w.key(names.section).begin_array();
  for (const UsageRow& row : report.rows) {
    if (report.kind == PeriodKind::kSession) {
      write_session_row(w, row, opts);
    } else {
      write_period_row(w, row, names.row_key, /*with_project=*/false, opts);
    }
  }
  w.end_array();
}

void write_token_counts(JsonWriter& w, const TokenCounts& tokens) {
  w.key("tokenCounts").begin_object();
  w.key("inputTokens").value(tokens.input);
  w.key("outputTokens").value(tokens.output);
  w.key("cacheCreationInputTokens").value(tokens.cache_creation());
  w.key("cacheReadInputTokens").value(tokens.cache_read);
  w.end_object();
}

void write_burn_rate(JsonWriter& w, const Block& block, const RenderOptions& opts) {
  w.key("burnRate");
  if (!block.burn_rate) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("tokensPerMinute").value(block.burn_rate->tokens_per_minute);
  w.key("tokensPerMinuteForIndicator").value(block.burn_rate->tokens_per_minute_for_indicator);
  write_cost(w, "costPerHour", block.burn_rate->cost_per_hour_usd, opts);
  w.end_object();
}

void write_projection(JsonWriter& w, const Block& block, const RenderOptions& opts) {
  w.key("projection");
  if (!block.projection) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("totalTokens").value(block.projection->total_tokens);
  write_cost(w, "totalCost", block.projection->total_cost_usd, opts);
  w.key("remainingMinutes").value(block.projection->remaining_minutes);
  w.end_object();
}

void write_token_limit(JsonWriter& w, const Block& block) {
  if (!block.token_limit) {
    return;
  }
  w.key("tokenLimitStatus").begin_object();
  w.key("limit").value(block.token_limit->limit);
  w.key("projectedUsage").value(block.token_limit->projected_usage);
  w.key("percentUsed").value(block.token_limit->percent_used);
  w.key("status").value(block.token_limit->status);
  w.end_object();
}

void write_block(JsonWriter& w, const Block& block, const RenderOptions& opts) {
  w.begin_object();
  w.key("id").value(block.id);
  w.key("startTime").value(format_iso_ms(block.start));
  w.key("endTime").value(format_iso_ms(block.end));
  w.key("actualEndTime");
  if (block.actual_end) {
    w.value(format_iso_ms(*block.actual_end));
  } else {
    w.null();
  }
  w.key("isActive").value(block.active);
  w.key("isGap").value(block.gap);
  w.key("entries").value(block.entries);
  write_token_counts(w, block.tokens);
  w.key("totalTokens").value(block.tokens.total());
  write_cost(w, "costUSD", usd(block.cost), opts);
  w.key("models");
  write_strings(w, block.models);
  write_burn_rate(w, block, opts);
  write_projection(w, block, opts);
  write_token_limit(w, block);
  if (block.usage_limit_reset) {
    w.key("usageLimitResetTime").value(format_iso_ms(*block.usage_limit_reset));
  }
  w.end_object();
}

}  // namespace

std::string render_period_json(const PeriodReport& report, const RenderOptions& opts) {
  const detail::PeriodNames names = detail::period_names(report.kind);
  JsonWriter w(JsonWriter::Style::kPretty);
  w.begin_object();
  if (report.by_project && report.kind != PeriodKind::kSession) {
    write_projects(w, report, names.row_key, opts);
  } else {
    write_rows(w, report, names, opts);
  }
  write_totals(w, report.totals, opts);
  write_missing_pricing(w, report.missing_pricing);
  w.end_object();
  return finish(w);
}

std::string render_blocks_json(const analytics::BlocksReport& report, const RenderOptions& opts) {
  JsonWriter w(JsonWriter::Style::kPretty);
  w.begin_object();
  w.key("blocks").begin_array();
  for (const Block& block : report.blocks) {
    write_block(w, block, opts);
  }
  w.end_array();
  write_missing_pricing(w, report.missing_pricing);
  w.end_object();
  return finish(w);
}

std::string render_session_detail_json(const analytics::SessionDetail* detail,
                                       const RenderOptions& opts) {
  JsonWriter w(JsonWriter::Style::kPretty);
  if (detail == nullptr) {
    w.null();
    return finish(w);
  }
  w.begin_object();
  w.key("sessionId").value(detail->session_id);
  write_cost(w, "totalCost", usd(detail->totals.cost), opts);
  w.key("totalTokens").value(detail->totals.tokens.total());
  w.key("entries").begin_array();
  for (std::size_t entry_idx = 0; entry_idx < detail->entries.size(); ++entry_idx) {
    const analytics::RequestRow& entry = detail->entries[entry_idx];
    w.begin_object();
    w.key("timestamp").value(format_iso_ms(entry.instant));
    write_token_fields(w, entry.tokens);
    w.key("model").value(entry.model);
    Nanodollars cost = entry_idx < detail->entry_costs.size() ? detail->entry_costs[entry_idx] : 0;
    write_cost(w, "costUSD", usd(cost), opts);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return finish(w);
}

}  // namespace ccgauge::cli

// CSV renderers: a header row, then one line per report row (and per model with --breakdown).
// Fields are quoted as RFC 4180 asks (comma, quote, CR or LF inside; quotes doubled); lines end
// with LF. Costs are USD with six decimals, computed from nanodollars without floating point.

#include "cli/render.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/render_util.h"
#include "core/time.h"

namespace ccgauge::cli {
namespace {

using analytics::Block;
using analytics::PeriodKind;
using analytics::UsageRow;

void append_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
}

// One CSV line; every field is quoted when needed. Text, numbers and booleans have separate
// names so a string literal never converts to bool.
class CsvLine {
 public:
  CsvLine& field(std::string_view text) {
    if (!first_) {
      line_ += ',';
    }
    first_ = false;
    append_field(line_, text);
    return *this;
  }
  CsvLine& number(std::int64_t n) { return field(fmt::format("{}", n)); }
  CsvLine& boolean(bool b) { return field(b ? "true" : "false"); }
  void end_to(std::string& out) {
    out += line_;
    out += '\n';
  }

 private:
  std::string line_;
  bool first_ = true;
};

// "12.345679": rounded half away from zero to the micro-dollar; never "-0.000000".
std::string usd_6(Nanodollars cost) {
  constexpr std::uint64_t kNanodollarsPerMicro = 1000;
  std::uint64_t magnitude =
      cost < 0 ? 0 - static_cast<std::uint64_t>(cost) : static_cast<std::uint64_t>(cost);
  std::uint64_t micros = (magnitude + kNanodollarsPerMicro / 2) / kNanodollarsPerMicro;
  return fmt::format("{}{}.{:06}", cost < 0 && micros > 0 ? "-" : "", micros / 1'000'000,
                     micros % 1'000'000);
}

void token_fields(CsvLine& line, const TokenCounts& tokens) {
  line.number(tokens.input)
      .number(tokens.output)
      .number(tokens.cache_creation())
      .number(tokens.cache_read)
      .number(tokens.total());
}

struct PeriodCsvShape {
  bool project = false;
  bool cost = true;
};

void append_period_line(std::string& out, const UsageRow& row, std::string_view model,
                        const TokenCounts& tokens, Nanodollars cost, const PeriodCsvShape& shape) {
  CsvLine line;
  line.field(row.key);
  if (shape.project) {
    line.field(row.project);
  }
  line.field(model);
  token_fields(line, tokens);
  if (shape.cost) {
    line.field(usd_6(cost));
  }
  line.end_to(out);
}

}  // namespace

std::string render_period_csv(const analytics::PeriodReport& report, const RenderOptions& opts) {
  const PeriodCsvShape shape{report.by_project || report.kind == PeriodKind::kSession,
                             !opts.no_cost};
  std::string out;
  CsvLine header;
  header.field(detail::period_names(report.kind).row_key);
  if (shape.project) {
    header.field("project");
  }
  header.field("model")
      .field("inputTokens")
      .field("outputTokens")
      .field("cacheCreationTokens")
      .field("cacheReadTokens")
      .field("totalTokens");
  if (shape.cost) {
    header.field("costUSD");
  }
  header.end_to(out);
  for (const UsageRow& row : report.rows) {
    append_period_line(out, row, "", row.tokens, row.cost, shape);
    if (!opts.breakdown) {
      continue;
    }
    for (const analytics::ModelBreakdown& breakdown : row.breakdowns) {
      append_period_line(out, row, breakdown.model, breakdown.tokens, breakdown.cost, shape);
    }
  }
  return out;
}

std::string render_blocks_csv(const analytics::BlocksReport& report, const RenderOptions& opts) {
  std::string out;
  CsvLine header;
  header.field("id")
      .field("startTime")
      .field("endTime")
      .field("isActive")
      .field("isGap")
      .field("entries")
      .field("inputTokens")
      .field("outputTokens")
      .field("cacheCreationTokens")
      .field("cacheReadTokens")
      .field("totalTokens");
  if (!opts.no_cost) {
    header.field("costUSD");
  }
  header.field("models").end_to(out);
  for (const Block& block : report.blocks) {
    CsvLine line;
    line.field(block.id)
        .field(format_iso_ms(block.start))
        .field(format_iso_ms(block.end))
        .boolean(block.active)
        .boolean(block.gap)
        .number(block.entries);
    token_fields(line, block.tokens);
    if (!opts.no_cost) {
      line.field(usd_6(block.cost));
    }
    std::string models;
    for (const std::string& model : block.models) {
      models += models.empty() ? "" : ";";
      models += model;
    }
    line.field(models).end_to(out);
  }
  return out;
}

}  // namespace ccgauge::cli

// Table renderers: a title line, then a box drawn with Unicode box characters, as ccusage's
// tables look (research ccusage.md 4.8). Cells may span several lines (one model per line);
// widths are measured in terminal columns, so colour codes are added only after padding.

#include "cli/render.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/render_util.h"
#include "core/time.h"

namespace ccgauge::cli {
namespace {

using detail::thousands;

using analytics::Block;
using analytics::PeriodKind;
using analytics::PeriodReport;
using analytics::UsageRow;

// ---------------------------------------------------------------------------------------------
// Text measurement and formatting.

enum class Color { kNone, kCyan, kYellow, kGreen, kGray, kRed, kBlue };
enum class Align { kLeft, kRight };

std::string_view ansi_code(Color color) {
  switch (color) {
    case Color::kNone: return "";
    case Color::kCyan: return "\x1b[36m";
    case Color::kYellow: return "\x1b[33m";
    case Color::kGreen: return "\x1b[32m";
    case Color::kGray: return "\x1b[90m";
    case Color::kRed: return "\x1b[31m";
    case Color::kBlue: return "\x1b[34m";
  }
  return "";
}
constexpr std::string_view kAnsiReset = "\x1b[0m";

// Terminal columns of one code point: 0 for combining marks and zero-width characters, 2 for
// East Asian wide and fullwidth characters and the common emoji blocks, 1 otherwise (box-drawing
// characters included).
int code_point_width(char32_t cp) {
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
      (cp >= 0xFE00 && cp <= 0xFE0F)) {
    return 0;
  }
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

// Display width of UTF-8 text without control characters (cells are sanitized by plain()).
// A malformed byte counts as one column, as a terminal shows it as one replacement character.
int display_width(std::string_view text) {
  int width = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto lead = static_cast<unsigned char>(text[pos]);
    int length = lead < 0x80           ? 1
                 : (lead >> 5) == 0x6  ? 2
                 : (lead >> 4) == 0xE  ? 3
                 : (lead >> 3) == 0x1E ? 4
                                       : 0;
    if (length == 0 || pos + static_cast<std::size_t>(length) > text.size()) {
      ++width;
      ++pos;
      continue;
    }
    char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    for (int byte_idx = 1; byte_idx < length; ++byte_idx) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[pos + byte_idx]) & 0x3F);
    }
    width += code_point_width(cp);
    pos += static_cast<std::size_t>(length);
  }
  return width;
}

// Text from logs and paths with control characters (C0, DEL, C1) replaced by '?', so a project
// name can neither break the box nor send escape sequences to the terminal.
std::string plain(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    auto byte = static_cast<unsigned char>(text[pos]);
    auto next = pos + 1 < text.size() ? static_cast<unsigned char>(text[pos + 1]) : 0;
    if (byte < 0x20 || byte == 0x7F) {
      out += '?';
    } else if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {
      out += '?';
      ++pos;
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

// "$1,234.57", rounded half away from zero to the cent; never "$-0.00".
std::string format_cost(Nanodollars cost) {
  constexpr std::uint64_t kNanodollarsPerCent = 10'000'000;
  std::uint64_t magnitude =
      cost < 0 ? 0 - static_cast<std::uint64_t>(cost) : static_cast<std::uint64_t>(cost);
  std::uint64_t cents = (magnitude + kNanodollarsPerCent / 2) / kNanodollarsPerCent;
  std::string sign = cost < 0 && cents > 0 ? "-" : "";
  return fmt::format("{}${}.{:02}", sign, thousands(static_cast<std::int64_t>(cents / 100)),
                     cents % 100);
}

std::string format_cost_usd(double cost_usd) {
  if (!std::isfinite(cost_usd)) {
    return "-";
  }
  constexpr double kLimit = 9e9;  // keeps llround within int64 nanodollars
  return format_cost(std::llround(std::clamp(cost_usd, -kLimit, kLimit) * 1e9));
}

// "12.3%", never "-0.0%".
std::string format_percent(double percent) {
  if (!std::isfinite(percent)) {
    return "-";
  }
  if (percent < 0 && percent > -0.05) {
    percent = 0;
  }
  return fmt::format("{:.1f}%", percent);
}

// "3h 12m".
std::string format_duration(std::chrono::milliseconds duration) {
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(duration).count();
  minutes = std::max<std::int64_t>(minutes, 0);
  return fmt::format("{}h {}m", minutes / 60, minutes % 60);
}

struct LocalTime {
  std::chrono::year_month_day date;
  std::chrono::hh_mm_ss<std::chrono::seconds> time;
};

LocalTime local_time(const TimeZone& zone, Instant t) {
  auto local = zone.to_local(t);
  auto day = std::chrono::floor<std::chrono::days>(local);
  return {std::chrono::year_month_day(day),
          std::chrono::hh_mm_ss(std::chrono::floor<std::chrono::seconds>(local - day))};
}

std::string format_local_date(const LocalTime& lt) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(lt.date.year()),
                     static_cast<unsigned>(lt.date.month()), static_cast<unsigned>(lt.date.day()));
}

// "2026-03-02 14:05" in the zone.
std::string local_minute(const TimeZone& zone, Instant t) {
  LocalTime lt = local_time(zone, t);
  return fmt::format("{} {:02}:{:02}", format_local_date(lt), lt.time.hours().count(),
                     lt.time.minutes().count());
}

// "2026-03-02 14:05:09" in the zone.
std::string local_second(const TimeZone& zone, Instant t) {
  LocalTime lt = local_time(zone, t);
  return fmt::format("{} {:02}:{:02}:{:02}", format_local_date(lt), lt.time.hours().count(),
                     lt.time.minutes().count(), lt.time.seconds().count());
}

// One "- name" line per model.
std::string model_lines(const std::vector<std::string>& models) {
  std::string out;
  for (const std::string& model : models) {
    if (!out.empty()) {
      out += '\n';
    }
    out += "- ";
    out += plain(model);
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// The box.

struct Cell {
  std::string text;  // lines separated by '\n'
  Color color = Color::kNone;
  std::optional<Align> align;  // overrides the column's alignment
};

struct Column {
  std::string header;
  Align align = Align::kLeft;
};

// A table drawn with box characters, one space of padding each side of a cell. Every row is
// separated from the one above by a rule unless it is attached (breakdown sub-rows, projections).
class BoxTable {
 public:
  explicit BoxTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // One cell per column.
  void add_row(std::vector<Cell> cells) { rows_.push_back({std::move(cells), false, false}); }
  void add_attached_row(std::vector<Cell> cells) {
    rows_.push_back({std::move(cells), false, true});
  }
  // One single-line cell across every column.
  void add_span(Cell cell) { rows_.push_back({{std::move(cell)}, true, false}); }

  // Ends with a newline. Colour codes only when `color`.
  std::string render(bool color) const;

 private:
  struct Row {
    std::vector<Cell> cells;
    bool span = false;
    bool attached = false;
  };

  std::vector<int> column_widths() const;
  int inner_width(const std::vector<int>& widths) const;
  void append_rule(std::string& out, const std::vector<int>& widths, std::string_view left,
                   std::string_view right, bool up, bool down) const;
  void append_cells(std::string& out, const std::vector<int>& widths,
                    const std::vector<Cell>& cells, bool color) const;

  std::vector<Column> columns_;
  std::vector<Row> rows_;
};

void append_padded(std::string& out, std::string_view text, int width, Align align, Color color,
                   bool use_color) {
  int fill = std::max(0, width - display_width(text));
  if (align == Align::kRight) {
    out.append(static_cast<std::size_t>(fill), ' ');
  }
  if (use_color && color != Color::kNone && !text.empty()) {
    out += ansi_code(color);
    out += text;
    out += kAnsiReset;
  } else {
    out += text;
  }
  if (align == Align::kLeft) {
    out.append(static_cast<std::size_t>(fill), ' ');
  }
}

int BoxTable::inner_width(const std::vector<int>& widths) const {
  int total = 0;
  for (int width : widths) {
    total += width;
  }
  return total + 3 * (static_cast<int>(widths.size()) - 1);  // " │ " between cells
}

std::vector<int> BoxTable::column_widths() const {
  std::vector<int> widths;
  for (const Column& column : columns_) {
    widths.push_back(display_width(column.header));
  }
  for (const Row& row : rows_) {
    if (row.span) {
      continue;
    }
    for (std::size_t col_idx = 0; col_idx < row.cells.size() && col_idx < widths.size();
         ++col_idx) {
      for (std::string_view line : split_lines(row.cells[col_idx].text)) {
        widths[col_idx] = std::max(widths[col_idx], display_width(line));
      }
    }
  }
  // A span wider than the columns widens the first column.
  for (const Row& row : rows_) {
    if (row.span) {
      int missing = display_width(row.cells.front().text) - inner_width(widths);
      widths.front() += std::max(0, missing);
    }
  }
  return widths;
}

void BoxTable::append_rule(std::string& out, const std::vector<int>& widths, std::string_view left,
                           std::string_view right, bool up, bool down) const {
  std::string_view junction = up && down ? "┼" : up ? "┴" : down ? "┬" : "─";
  out += left;
  for (std::size_t col_idx = 0; col_idx < widths.size(); ++col_idx) {
    if (col_idx > 0) {
      out += junction;
    }
    for (int fill = 0; fill < widths[col_idx] + 2; ++fill) {
      out += "─";
    }
  }
  out += right;
  out += '\n';
}

void BoxTable::append_cells(std::string& out, const std::vector<int>& widths,
                            const std::vector<Cell>& cells, bool color) const {
  std::vector<std::vector<std::string_view>> lines;
  std::size_t height = 1;
  for (const Cell& cell : cells) {
    lines.push_back(split_lines(cell.text));
    height = std::max(height, lines.back().size());
  }
  for (std::size_t line_idx = 0; line_idx < height; ++line_idx) {
    out += "│";
    for (std::size_t col_idx = 0; col_idx < widths.size(); ++col_idx) {
      std::string_view text;
      Color cell_color = Color::kNone;
      Align align = columns_[col_idx].align;
      if (col_idx < cells.size()) {
        if (line_idx < lines[col_idx].size()) {
          text = lines[col_idx][line_idx];
        }
        cell_color = cells[col_idx].color;
        align = cells[col_idx].align.value_or(align);
      }
      out += ' ';
      append_padded(out, text, widths[col_idx], align, cell_color, color);
      out += " │";
    }
    out += '\n';
  }
}

std::string BoxTable::render(bool color) const {
  std::vector<int> widths = column_widths();
  std::string out;
  append_rule(out, widths, "┌", "┐", false, true);
  std::vector<Cell> header;
  for (const Column& column : columns_) {
    header.push_back({column.header, Color::kCyan, std::nullopt});
  }
  append_cells(out, widths, header, color);
  bool above_has_columns = true;
  for (const Row& row : rows_) {
    if (!row.attached) {
      append_rule(out, widths, "├", "┤", above_has_columns, !row.span);
    }
    if (row.span) {
      out += "│ ";
      const Cell& cell = row.cells.front();
      append_padded(out, cell.text, inner_width(widths), Align::kLeft, cell.color, color);
      out += " │\n";
    } else {
      append_cells(out, widths, row.cells, color);
    }
    above_has_columns = !row.span;
  }
  append_rule(out, widths, "└", "┘", above_has_columns, false);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Period, session and session-detail tables.

enum class ColumnId {
  kKey,
  kProject,
  kModels,
  kInput,
  kOutput,
  kCacheCreate,
  kCacheRead,
  kTotalTokens,
  kCost,
  kLastActivity,
};

struct Layout {
  std::vector<ColumnId> ids;
  std::string key_header;
  std::string models_header = "Models";
};

// Key | [Project] | Models | Input | Output | [Cache Create | Cache Read | Total Tokens] |
// [Cost (USD)] | [Last Activity]
Layout make_layout(std::string key_header, bool with_project, bool with_last_activity,
                   const RenderOptions& opts) {
  Layout layout{{ColumnId::kKey}, std::move(key_header)};
  if (with_project) {
    layout.ids.push_back(ColumnId::kProject);
  }
  layout.ids.insert(layout.ids.end(), {ColumnId::kModels, ColumnId::kInput, ColumnId::kOutput});
  if (!opts.compact) {
    layout.ids.insert(layout.ids.end(),
                      {ColumnId::kCacheCreate, ColumnId::kCacheRead, ColumnId::kTotalTokens});
  }
  if (!opts.no_cost) {
    layout.ids.push_back(ColumnId::kCost);
  }
  if (with_last_activity && !opts.compact) {
    layout.ids.push_back(ColumnId::kLastActivity);
  }
  return layout;
}

std::vector<Column> columns_of(const Layout& layout) {
  std::vector<Column> columns;
  for (ColumnId id : layout.ids) {
    switch (id) {
      case ColumnId::kKey: columns.push_back({layout.key_header, Align::kLeft}); break;
      case ColumnId::kProject: columns.push_back({"Project", Align::kLeft}); break;
      case ColumnId::kModels: columns.push_back({layout.models_header, Align::kLeft}); break;
      case ColumnId::kInput: columns.push_back({"Input", Align::kRight}); break;
      case ColumnId::kOutput: columns.push_back({"Output", Align::kRight}); break;
      case ColumnId::kCacheCreate: columns.push_back({"Cache Create", Align::kRight}); break;
      case ColumnId::kCacheRead: columns.push_back({"Cache Read", Align::kRight}); break;
      case ColumnId::kTotalTokens: columns.push_back({"Total Tokens", Align::kRight}); break;
      case ColumnId::kCost: columns.push_back({"Cost (USD)", Align::kRight}); break;
      case ColumnId::kLastActivity: columns.push_back({"Last Activity", Align::kLeft}); break;
    }
  }
  return columns;
}

// What one table row shows, before it is laid out in columns.
struct RowText {
  std::string key;
  std::string project;
  std::string models;
  TokenCounts tokens;
  Nanodollars cost = 0;
  std::string last_activity;
};

enum class RowStyle { kPlain, kSubRow, kTotal };

std::vector<Cell> make_cells(const Layout& layout, const RowText& row, RowStyle style) {
  Color base = style == RowStyle::kTotal    ? Color::kYellow
               : style == RowStyle::kSubRow ? Color::kGray
                                            : Color::kNone;
  std::vector<Cell> cells;
  for (ColumnId id : layout.ids) {
    switch (id) {
      case ColumnId::kKey: cells.push_back({row.key, base, {}}); break;
      case ColumnId::kProject: cells.push_back({row.project, base, {}}); break;
      case ColumnId::kModels: cells.push_back({row.models, base, {}}); break;
      case ColumnId::kInput: cells.push_back({thousands(row.tokens.input), base, {}}); break;
      case ColumnId::kOutput: cells.push_back({thousands(row.tokens.output), base, {}}); break;
      case ColumnId::kCacheCreate:
        cells.push_back({thousands(row.tokens.cache_creation()), base, {}});
        break;
      case ColumnId::kCacheRead:
        cells.push_back({thousands(row.tokens.cache_read), base, {}});
        break;
      case ColumnId::kTotalTokens:
        cells.push_back({thousands(row.tokens.total()), base, {}});
        break;
      case ColumnId::kCost:
        cells.push_back({format_cost(row.cost), base == Color::kNone ? Color::kGreen : base, {}});
        break;
      case ColumnId::kLastActivity: cells.push_back({row.last_activity, base, {}}); break;
    }
  }
  return cells;
}

std::string title_block(std::string_view title) {
  return fmt::format("Claude Code Token Usage Report - {}\n\n", title);
}

std::string missing_pricing_warning(const std::vector<std::string>& models,
                                    const RenderOptions& opts) {
  if (models.empty()) {
    return "";
  }
  std::string names;
  for (const std::string& model : models) {
    names += names.empty() ? "" : ", ";
    names += plain(model);
  }
  std::string line =
      fmt::format("Warning: no price for model(s): {} — their cost counts as $0.", names);
  if (opts.color) {
    line = fmt::format("{}{}{}", ansi_code(Color::kYellow), line, kAnsiReset);
  }
  return line + '\n';
}

void add_usage_row(BoxTable& table, const Layout& layout, const UsageRow& row, bool is_session,
                   const RenderOptions& opts) {
  RowText text{plain(row.key), "", model_lines(row.models_used), row.tokens, row.cost, ""};
  if (is_session) {
    text.project = plain(row.project);
    text.last_activity = format_local_date(local_time(opts.zone, row.last_activity));
  }
  table.add_row(make_cells(layout, text, RowStyle::kPlain));
  if (!opts.breakdown) {
    return;
  }
  for (const analytics::ModelBreakdown& breakdown : row.breakdowns) {
    RowText sub{"  └─ " + plain(breakdown.model), "", "", breakdown.tokens, breakdown.cost, ""};
    table.add_attached_row(make_cells(layout, sub, RowStyle::kSubRow));
  }
}

RowText total_text(const analytics::Totals& totals) {
  return {"Total", "", "", totals.tokens, totals.cost, ""};
}

// ---------------------------------------------------------------------------------------------
// Blocks.

// The limit behind the % column and the REMAINING row: the report's --token-limit when the
// blocks carry one, else (as ccusage's table does without the flag) the largest total of a
// finished, non-gap block. None when that is not positive.
std::optional<std::int64_t> table_token_limit(const analytics::BlocksReport& report) {
  for (const Block& block : report.blocks) {
    if (block.token_limit) {
      return block.token_limit->limit > 0 ? std::optional(block.token_limit->limit) : std::nullopt;
    }
  }
  std::int64_t largest = 0;
  for (const Block& block : report.blocks) {
    if (!block.gap && !block.active) {
      largest = std::max(largest, block.tokens.total());
    }
  }
  return largest > 0 ? std::optional(largest) : std::nullopt;
}

double percent_of(std::int64_t tokens, std::int64_t limit) {
  return static_cast<double>(tokens) / static_cast<double>(limit) * 100.0;
}

struct BlockColumns {
  std::optional<std::int64_t> limit;
  bool cost = true;
};

std::vector<Column> block_columns(const BlockColumns& shape) {
  std::vector<Column> columns = {{"Block Start", Align::kLeft},
                                 {"Duration/Status", Align::kLeft},
                                 {"Models", Align::kLeft},
                                 {"Tokens", Align::kRight}};
  if (shape.limit) {
    columns.push_back({"%", Align::kRight});
  }
  if (shape.cost) {
    columns.push_back({"Cost", Align::kRight});
  }
  return columns;
}

std::vector<Cell> gap_row(const Block& block, const BlockColumns& shape,
                          const RenderOptions& opts) {
  std::vector<Cell> cells = {{local_minute(opts.zone, block.start), Color::kGray, {}},
                             {"gap", Color::kGray, {}},
                             {"-", Color::kGray, {}},
                             {"-", Color::kGray, {}}};
  if (shape.limit) {
    cells.push_back({"-", Color::kGray, {}});
  }
  if (shape.cost) {
    cells.push_back({"-", Color::kGray, {}});
  }
  return cells;
}

std::vector<Cell> block_row(const Block& block, const BlockColumns& shape,
                            const RenderOptions& opts) {
  Cell status = block.active
                    ? Cell{"ACTIVE", Color::kGreen, {}}
                    : Cell{format_duration(block.actual_end.value_or(block.end) - block.start),
                           Color::kNone,
                           {}};
  std::vector<Cell> cells = {{local_minute(opts.zone, block.start), Color::kNone, {}},
                             std::move(status),
                             {model_lines(block.models), Color::kNone, {}},
                             {thousands(block.tokens.total()), Color::kNone, {}}};
  if (shape.limit) {
    double percent = percent_of(block.tokens.total(), *shape.limit);
    cells.push_back({format_percent(percent), percent > 100 ? Color::kRed : Color::kNone, {}});
  }
  if (shape.cost) {
    cells.push_back({format_cost(block.cost), Color::kGreen, {}});
  }
  return cells;
}

// "(assuming 500,000 token limit) | REMAINING | | 120,000 | 24.0% | ".
std::vector<Cell> remaining_row(const Block& block, const BlockColumns& shape) {
  std::int64_t limit = *shape.limit;
  std::int64_t remaining = std::max<std::int64_t>(0, limit - block.tokens.total());
  double percent = percent_of(limit - block.tokens.total(), limit);
  std::vector<Cell> cells = {
      {fmt::format("(assuming {} token limit)", thousands(limit)), Color::kGray, Align::kRight},
      {"REMAINING", Color::kBlue, {}},
      {"", Color::kNone, {}},
      {thousands(remaining), remaining > 0 ? Color::kNone : Color::kRed, {}},
      {format_percent(std::max(0.0, percent)), percent > 0 ? Color::kNone : Color::kRed, {}}};
  if (shape.cost) {
    cells.push_back({"", Color::kNone, {}});
  }
  return cells;
}

std::vector<Cell> projected_row(const analytics::Projection& projection,
                                const BlockColumns& shape) {
  bool over = shape.limit && projection.total_tokens > *shape.limit;
  std::vector<Cell> cells = {
      {"(assuming current burn rate)", Color::kGray, Align::kRight},
      {"PROJECTED", Color::kYellow, {}},
      {"", Color::kNone, {}},
      {thousands(projection.total_tokens), over ? Color::kRed : Color::kNone, {}}};
  if (shape.limit) {
    cells.push_back({format_percent(percent_of(projection.total_tokens, *shape.limit)),
                     over ? Color::kRed : Color::kNone,
                     {}});
  }
  if (shape.cost) {
    cells.push_back({format_cost_usd(projection.total_cost_usd), Color::kGreen, {}});
  }
  return cells;
}

}  // namespace

std::string render_period_table(const PeriodReport& report, const RenderOptions& opts) {
  if (report.rows.empty()) {
    return "No Claude usage data found.\n";
  }
  const detail::PeriodNames names = detail::period_names(report.kind);
  const bool is_session = report.kind == PeriodKind::kSession;
  Layout layout = make_layout(std::string(names.column), is_session, is_session, opts);
  BoxTable table(columns_of(layout));
  if (report.by_project && !is_session) {
    for (const detail::ProjectGroup& group : detail::group_by_project(report.rows)) {
      table.add_span({"Project: " + plain(group.project), Color::kCyan, {}});
      for (const UsageRow* row : group.rows) {
        add_usage_row(table, layout, *row, is_session, opts);
      }
    }
  } else {
    for (const UsageRow& row : report.rows) {
      add_usage_row(table, layout, row, is_session, opts);
    }
  }
  table.add_row(make_cells(layout, total_text(report.totals), RowStyle::kTotal));
  return title_block(names.title) + table.render(opts.color) +
         missing_pricing_warning(report.missing_pricing, opts);
}

std::string render_blocks_table(const analytics::BlocksReport& report, const RenderOptions& opts) {
  if (report.blocks.empty()) {
    return "No session blocks found.\n";
  }
  const BlockColumns shape{table_token_limit(report), !opts.no_cost};
  BoxTable table(block_columns(shape));
  for (const Block& block : report.blocks) {
    if (block.gap) {
      table.add_row(gap_row(block, shape, opts));
      continue;
    }
    table.add_row(block_row(block, shape, opts));
    if (!block.active) {
      continue;
    }
    if (shape.limit) {
      table.add_attached_row(remaining_row(block, shape));
    }
    if (block.projection) {
      table.add_attached_row(projected_row(*block.projection, shape));
    }
  }
  return title_block("Session Blocks") + table.render(opts.color) +
         missing_pricing_warning(report.missing_pricing, opts);
}

std::string render_session_detail_table(const analytics::SessionDetail& detail,
                                        const RenderOptions& opts) {
  Layout layout = make_layout("Timestamp", false, false, opts);
  layout.models_header = "Model";
  BoxTable table(columns_of(layout));
  for (std::size_t entry_idx = 0; entry_idx < detail.entries.size(); ++entry_idx) {
    const analytics::RequestRow& entry = detail.entries[entry_idx];
    Nanodollars cost = entry_idx < detail.entry_costs.size() ? detail.entry_costs[entry_idx] : 0;
    RowText text{
        local_second(opts.zone, entry.instant), "", plain(entry.model), entry.tokens, cost, ""};
    table.add_row(make_cells(layout, text, RowStyle::kPlain));
  }
  table.add_row(make_cells(layout, total_text(detail.totals), RowStyle::kTotal));
  return title_block("Session Detail") +
         fmt::format("Session: {}\nProject: {}\n\n", plain(detail.session_id),
                     plain(detail.project)) +
         table.render(opts.color);
}

}  // namespace ccgauge::cli

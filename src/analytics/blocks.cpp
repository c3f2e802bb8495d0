#include "analytics/blocks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace ccgauge::analytics {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kNoReset = std::numeric_limits<std::int64_t>::min();
constexpr double kWarningShare = 0.8;
constexpr auto kRecentWindow = std::chrono::days(3);

// What a block needs of one row; about 90 bytes instead of a RequestRow and its strings.
struct Entry {
  Instant instant{};
  Instant last{};  // the latest request a pre-summed row stands for; else `instant`
  std::int64_t count = 1;
  TokenCounts tokens;
  Nanodollars cost = 0;                   // under the report's cost mode
  std::int64_t reset_epoch_s = kNoReset;  // the row's "usage limit reached" hint
  int model_key = detail::ModelNames::kUnnamed;
  bool unpriced = false;
};

// A block and the entries it covers, [begin, end) in time order; gaps cover none.
struct BuiltBlock {
  Block block;
  std::size_t begin = 0;
  std::size_t end = 0;
};

double to_usd(Nanodollars cost) {
  return static_cast<double>(cost) / static_cast<double>(kNanodollarsPerDollar);
}

double minutes_between(Instant from, Instant to) {
  return static_cast<double>((to - from).count()) / 60'000.0;
}

// Burn rate over the first and last entries; none when they share an instant.
std::optional<BurnRate> burn_rate_of(const Block& block, Instant first, Instant last) {
  double minutes = minutes_between(first, last);
  if (minutes <= 0) {
    return std::nullopt;
  }
  double non_cache = static_cast<double>(block.tokens.input + block.tokens.output);
  return BurnRate{
      .tokens_per_minute = static_cast<double>(block.tokens.total()) / minutes,
      .tokens_per_minute_for_indicator = non_cache / minutes,
      .cost_per_hour_usd = to_usd(block.cost) / minutes * 60.0,
  };
}

// ccusage v20: the remaining minutes are rounded before they are used.
Projection project(const Block& block, const BurnRate& rate, Instant now) {
  double remaining = std::round(std::max(0.0, minutes_between(now, block.end)));
  double tokens = static_cast<double>(block.tokens.total()) + rate.tokens_per_minute * remaining;
  double cost = to_usd(block.cost) + rate.cost_per_hour_usd / 60.0 * remaining;
  return Projection{
      .total_tokens = std::llround(tokens),
      .total_cost_usd = std::round(cost * 100.0) / 100.0,
      .remaining_minutes = static_cast<std::int64_t>(remaining),
  };
}

TokenLimitStatus limit_status(std::int64_t limit, std::int64_t projected) {
  const char* status = "ok";
  if (projected > limit) {
    status = "exceeds";
  } else if (static_cast<double>(projected) > static_cast<double>(limit) * kWarningShare) {
    status = "warning";
  }
  return TokenLimitStatus{
      .limit = limit,
      .projected_usage = projected,
      .percent_used = static_cast<double>(projected) / static_cast<double>(limit) * 100.0,
      .status = status,
  };
}

Block make_gap(Instant last_activity, Instant next_activity, milliseconds length) {
  Block gap;
  gap.start = last_activity + length;
  gap.end = next_activity;
  gap.id = "gap-" + format_iso_ms(gap.start);
  gap.gap = true;
  return gap;
}

}  // namespace

struct BlocksBuilder::Impl {
  explicit Impl(BlocksOptions options) : options_(std::move(options)) {}

  void add(const RequestRow& row);
  BlocksReport finish();

 private:
  std::vector<BuiltBlock> identify_blocks(milliseconds length) const;
  BuiltBlock make_block(Instant start, std::size_t begin, std::size_t end,
                        milliseconds length) const;
  void keep_in_date_range(std::vector<BuiltBlock>& blocks) const;
  std::optional<std::int64_t> token_limit(const std::vector<BuiltBlock>& blocks) const;
  void keep_recent_and_active(std::vector<BuiltBlock>& blocks) const;
  std::vector<std::string> missing_pricing(const std::vector<BuiltBlock>& blocks) const;

  BlocksOptions options_;
  detail::ModelNames names_;
  std::vector<Entry> entries_;
};

void BlocksBuilder::Impl::add(const RequestRow& row) {
  int model_key = names_.intern(row.model, row.speed);
  entries_.push_back(Entry{
      .instant = row.instant,
      .last = std::max(row.instant, row.last_instant.value_or(row.instant)),
      .count = row.count,
      .tokens = row.tokens,
      .cost = cost_under(row, options_.mode),
      .reset_epoch_s = row.limit_reset_epoch_s.value_or(kNoReset),
      .model_key = model_key,
      .unpriced = !row.priced && model_key != detail::ModelNames::kUnnamed,
  });
}

BlocksReport BlocksBuilder::Impl::finish() {
  // ccusage truncates the length to whole milliseconds; the CLI rejects lengths <= 0.
  milliseconds length{static_cast<std::int64_t>(options_.session_length_hours * 3'600'000.0)};
  if (length.count() <= 0) {
    return {};
  }
  // Stable, so rows at one instant keep their arrival order (it decides the reset hint).
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.instant < b.instant; });
  std::vector<BuiltBlock> blocks = identify_blocks(length);

  keep_in_date_range(blocks);
  // The "max" limit is taken before --recent/--active (ccusage v18; v20 loses it).
  std::optional<std::int64_t> limit = token_limit(blocks);
  keep_recent_and_active(blocks);

  BlocksReport report;
  report.missing_pricing = missing_pricing(blocks);
  for (BuiltBlock& built : blocks) {
    Block& block = built.block;
    if (limit && !block.gap) {
      std::int64_t projected =
          block.projection ? block.projection->total_tokens : block.tokens.total();
      block.token_limit = limit_status(*limit, projected);
    }
    report.blocks.push_back(std::move(block));
  }
  // ccusage orders by start only (stable), then reverses for desc; a gap can start after the
  // block that follows it when that block's hour began inside the gap.
  std::stable_sort(report.blocks.begin(), report.blocks.end(),
                   [](const Block& a, const Block& b) { return a.start < b.start; });
  if (options_.order == Order::kDesc) {
    std::reverse(report.blocks.begin(), report.blocks.end());
  }
  return report;
}

// ccusage's identifySessionBlocks (research ccusage.md 4.5), over entries sorted by time.
std::vector<BuiltBlock> BlocksBuilder::Impl::identify_blocks(milliseconds length) const {
  std::vector<BuiltBlock> blocks;
  if (entries_.empty()) {
    return blocks;
  }
  Instant start = std::chrono::floor<std::chrono::hours>(entries_[0].instant);
  std::size_t begin = 0;
  // Pre-summed rows overlap in time, so "the previous row" is the latest instant seen so far.
  Instant last = entries_[0].last;
  for (std::size_t idx = 1; idx < entries_.size(); last = std::max(last, entries_[idx++].last)) {
    Instant at = entries_[idx].instant;
    bool too_long = at - start > length;
    bool idle = at - last > length;
    if (!too_long && !idle) {
      continue;
    }
    blocks.push_back(make_block(start, begin, idx, length));
    if (idle) {
      blocks.push_back(BuiltBlock{.block = make_gap(last, at, length), .begin = idx, .end = idx});
    }
    start = std::chrono::floor<std::chrono::hours>(at);
    begin = idx;
  }
  blocks.push_back(make_block(start, begin, entries_.size(), length));
  return blocks;
}

BuiltBlock BlocksBuilder::Impl::make_block(Instant start, std::size_t begin, std::size_t end,
                                           milliseconds length) const {
  Block block;
  block.id = format_iso_ms(start);
  block.start = start;
  block.end = start + length;
  Instant first = entries_[begin].instant;
  Instant last = first;
  std::vector<int> seen_display_ids;
  for (std::size_t idx = begin; idx < end; ++idx) {
    const Entry& entry = entries_[idx];
    last = std::max(last, entry.last);
    block.entries += entry.count;
    block.tokens += entry.tokens;
    block.cost += entry.cost;
    if (!block.usage_limit_reset && entry.reset_epoch_s != kNoReset) {
      block.usage_limit_reset = Instant(std::chrono::seconds(entry.reset_epoch_s));
    }
    if (entry.model_key == detail::ModelNames::kUnnamed) {
      continue;
    }
    int display_id = names_.display_id(entry.model_key);
    if (std::find(seen_display_ids.begin(), seen_display_ids.end(), display_id) ==
        seen_display_ids.end()) {
      seen_display_ids.push_back(display_id);
      block.models.push_back(names_.display_name(display_id));
    }
  }
  block.actual_end = last;
  block.active = options_.now - last < length && options_.now < block.end;
  if (block.active) {
    block.burn_rate = burn_rate_of(block, first, last);
    if (block.burn_rate) {
      block.projection = project(block, *block.burn_rate, options_.now);
    }
  }
  return BuiltBlock{.block = std::move(block), .begin = begin, .end = end};
}

void BlocksBuilder::Impl::keep_in_date_range(std::vector<BuiltBlock>& blocks) const {
  if (!options_.since && !options_.until) {
    return;
  }
  std::erase_if(blocks, [this](const BuiltBlock& built) {
    DateKey date = options_.zone.local_date(built.block.start);
    return (options_.since && date < *options_.since) || (options_.until && date > *options_.until);
  });
}

// An explicit limit, or with "max" the most tokens any finished block used. None when there is
// no positive limit.
std::optional<std::int64_t> BlocksBuilder::Impl::token_limit(
    const std::vector<BuiltBlock>& blocks) const {
  std::int64_t limit = 0;
  if (options_.token_limit) {
    limit = *options_.token_limit;
  } else if (options_.token_limit_max) {
    for (const BuiltBlock& built : blocks) {
      if (!built.block.gap && !built.block.active) {
        limit = std::max(limit, built.block.tokens.total());
      }
    }
  }
  return limit > 0 ? std::optional<std::int64_t>(limit) : std::nullopt;
}

void BlocksBuilder::Impl::keep_recent_and_active(std::vector<BuiltBlock>& blocks) const {
  if (options_.recent_only) {
    Instant cutoff = options_.now - kRecentWindow;
    std::erase_if(blocks, [cutoff](const BuiltBlock& built) {
      return built.block.start < cutoff && !built.block.active;
    });
  }
  if (options_.active_only) {
    std::erase_if(blocks, [](const BuiltBlock& built) { return !built.block.active; });
  }
}

// Models without a price among the entries of the blocks shown.
std::vector<std::string> BlocksBuilder::Impl::missing_pricing(
    const std::vector<BuiltBlock>& blocks) const {
  std::set<int> keys;
  for (const BuiltBlock& built : blocks) {
    for (std::size_t idx = built.begin; idx < built.end; ++idx) {
      if (entries_[idx].unpriced) {
        keys.insert(entries_[idx].model_key);
      }
    }
  }
  return names_.logged_names(keys);
}

BlocksBuilder::BlocksBuilder(BlocksOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
BlocksBuilder::~BlocksBuilder() = default;
BlocksBuilder::BlocksBuilder(BlocksBuilder&&) noexcept = default;
BlocksBuilder& BlocksBuilder::operator=(BlocksBuilder&&) noexcept = default;

void BlocksBuilder::add(const RequestRow& row) { impl_->add(row); }

BlocksReport BlocksBuilder::finish() { return impl_->finish(); }

}  // namespace ccgauge::analytics

// The price table compiled into the binary. Source: research/ccusage.md §3.5 (ccusage v20
// measured offline), checked against Anthropic's published rates. Every rate is in nanodollars
// per token (USD per million tokens x 1000).
//
// Only undated ids are keys: find() drops a dated suffix (`-20250929`), so an override of
// `claude-sonnet-4-5` reprices every dated release of that model. Regional Bedrock rows
// (`us.anthropic.claude-sonnet-4-5`, ...) are derived from these in price_table.cpp.
//
// The pricing module has no private header; price_table.cpp declares the two functions at the
// bottom of this file, which take and return only types of price_table.h.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "pricing/price_table.h"

namespace ccgauge::pricing::detail {
namespace {

struct EmbeddedModel {
  std::string_view id;
  Rates base;
  std::optional<Rates> long_context;
  std::int64_t fast_multiplier;
  std::int64_t context_window;
  // Bedrock's geographic inference profiles (`us.`, `eu.`, `apac.`, `jp.`, `au.`) cost 10% more
  // than `global.` and the in-region id for Claude 4.5 and later; older models cost the same.
  bool bedrock_regional_premium;
};

constexpr std::int64_t k1M = 1'000'000;
constexpr std::int64_t k200K = 200'000;

// Columns: input, output, 5-minute cache write, 1-hour cache write, cache read.
constexpr Rates kOpusCurrent{5'000, 25'000, 6'250, 10'000, 500};     // Opus 4.5 and later
constexpr Rates kOpusLegacy{15'000, 75'000, 18'750, 30'000, 1'500};  // Opus 3, 4, 4.1
constexpr Rates kSonnet{3'000, 15'000, 3'750, 6'000, 300};
// Sonnet 4 and 4.5 above 200k context tokens. The 1-hour write is 2 x the premium input.
constexpr Rates kSonnetLongContext{6'000, 22'500, 7'500, 12'000, 600};
constexpr Rates kSonnet5{2'000, 10'000, 2'500, 4'000, 200};
constexpr Rates kFable5{10'000, 50'000, 12'500, 20'000, 1'000};
constexpr Rates kHaiku45{1'000, 5'000, 1'250, 2'000, 100};
constexpr Rates kHaiku35{800, 4'000, 1'000, 1'600, 80};
// Claude 3 Haiku's cache prices are Anthropic's own (0.30 and 0.03), not 1.25x / 0.1x input.
constexpr Rates kHaiku3{250, 1'250, 300, 500, 30};

// The Vertex id `claude-sonnet-4-5@20250929` resolves to claude-sonnet-4-5 and so gets the
// long-context tier. ccusage prices it without one (a gap in LiteLLM's Vertex rows), but Vertex
// bills requests over 200k at the same premium rates as Anthropic's API.
const EmbeddedModel kEmbeddedModels[] = {
    // {id, base, long_context, fast_multiplier, context_window, bedrock_regional_premium}
    {"claude-fable-5", kFable5, std::nullopt, 1, k1M, true},
    {"claude-opus-5", kOpusCurrent, std::nullopt, 2, k1M, true},
    {"claude-sonnet-5", kSonnet5, std::nullopt, 1, k1M, true},
    {"claude-opus-4-8", kOpusCurrent, std::nullopt, 2, k1M, true},
    {"claude-opus-4-7", kOpusCurrent, std::nullopt, 6, k1M, true},
    {"claude-opus-4-6", kOpusCurrent, std::nullopt, 6, k1M, true},
    {"claude-sonnet-4-6", kSonnet, std::nullopt, 1, k1M, true},
    {"claude-opus-4-5", kOpusCurrent, std::nullopt, 1, k200K, true},
    {"claude-sonnet-4-5", kSonnet, kSonnetLongContext, 1, k1M, true},
    {"claude-haiku-4-5", kHaiku45, std::nullopt, 1, k200K, true},
    {"claude-opus-4-1", kOpusLegacy, std::nullopt, 1, k200K, false},
    {"claude-opus-4", kOpusLegacy, std::nullopt, 1, k200K, false},
    // §3.5 leaves the undated id's window blank; its dated release (-20250514) has 1M.
    {"claude-sonnet-4", kSonnet, kSonnetLongContext, 1, k1M, false},
    // The Claude 4 launch names, still in ccusage v18's snapshot.
    {"claude-4-opus", kOpusLegacy, std::nullopt, 1, k200K, false},
    {"claude-4-sonnet", kSonnet, kSonnetLongContext, 1, k1M, false},
    {"claude-3-7-sonnet", kSonnet, std::nullopt, 1, k200K, false},
    {"claude-3-5-sonnet", kSonnet, std::nullopt, 1, k200K, false},
    {"claude-3-5-haiku", kHaiku35, std::nullopt, 1, k200K, false},
    {"claude-3-opus", kOpusLegacy, std::nullopt, 1, k200K, false},
    {"claude-3-sonnet", kSonnet, std::nullopt, 1, k200K, false},
    {"claude-3-haiku", kHaiku3, std::nullopt, 1, k200K, false},
};

}  // namespace

// Every embedded model, keyed by its undated id.
std::vector<ModelPrice> embedded_model_prices() {
  std::vector<ModelPrice> prices;
  prices.reserve(std::size(kEmbeddedModels));
  for (const EmbeddedModel& model : kEmbeddedModels) {
    prices.push_back(ModelPrice{.id = std::string(model.id),
                                .base = model.base,
                                .long_context = model.long_context,
                                .fast_multiplier = model.fast_multiplier,
                                .context_window = model.context_window});
  }
  return prices;
}

// Whether Bedrock's geographic inference profiles of this embedded model cost 10% more.
bool has_bedrock_regional_premium(std::string_view id) {
  return std::any_of(std::begin(kEmbeddedModels), std::end(kEmbeddedModels),
                     [id](const EmbeddedModel& model) {
                       return model.id == id && model.bedrock_regional_premium;
                     });
}

}  // namespace ccgauge::pricing::detail

#pragma once
// The embedded price table, model-name matching and the cost of one request.
// Knows nothing of files beyond reading the user's override file, and nothing of SQL.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace ccgauge::pricing {

// Rates in nanodollars per token (USD per million tokens x 1000), so every cost is an exact
// integer. $3 / 1M tokens = 3000.
struct Rates {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_write_5m = 0;
  std::int64_t cache_write_1h = 0;
  std::int64_t cache_read = 0;
  friend bool operator==(const Rates&, const Rates&) = default;
};

struct ModelPrice {
  std::string id;  // the table key, e.g. "claude-sonnet-4-5"
  Rates base;
  // Present on models with a long-context tier: a request whose context (input + cache
  // creation + cache read) exceeds 200,000 tokens is billed entirely at these rates.
  std::optional<Rates> long_context;
  std::int64_t fast_multiplier = 1;        // applies to every token bucket when speed is fast
  std::int64_t context_window = 200'000;   // tokens; used by the status line's context %
  friend bool operator==(const ModelPrice&, const ModelPrice&) = default;
};

inline constexpr std::int64_t kLongContextThreshold = 200'000;
// Web search and web fetch: $10 per 1,000 requests.
inline constexpr Nanodollars kWebRequestNanodollars = 10'000'000;

class PriceTable {
 public:
  // The table compiled into the binary.
  static const PriceTable& embedded();

  // The embedded table with the user's override file applied on top (per model id; an entry
  // replaces or adds a model). A missing file is not an error; malformed JSON is, naming the
  // file. Format: {"<model id>": {"input": 3.0, "output": 15.0, "cacheWrite5m": 3.75,
  // "cacheWrite1h": 6.0, "cacheRead": 0.3, "longContext": {...same keys...},
  // "fastMultiplier": 6, "contextWindow": 1000000}} with rates in USD per million tokens;
  // cache rates default from input (x1.25, x2, x0.1) when absent.
  static Result<PriceTable> with_overrides(const std::string& override_path);

  // Finds the price of a model id as logged: exact key; Bedrock (`anthropic.`, `us.anthropic.`,
  // ... `-v1:0`), Vertex (`@date`), `anthropic/` prefixes; dotted versions (`claude-opus-4.7`);
  // dated suffixes (`-20250929`); a `-fast` suffix. Returns nullptr for an unknown model and for
  // `<synthetic>`. A version that differs (`claude-opus-4-9`) is unknown, never a neighbour's.
  const ModelPrice* find(std::string_view model) const;

  // A stable fingerprint of the whole table; the ledger recomputes stored costs when it changes.
  std::string fingerprint() const;

  const std::map<std::string, ModelPrice, std::less<>>& models() const { return models_; }

 private:
  // find()'s hash index: its own immutable copy of the rows, shared by copies of the table, so a
  // pointer find() returned stays valid while any copy lives. Defined in price_table.cpp.
  struct Index;
  static PriceTable from_models(std::map<std::string, ModelPrice, std::less<>> models);

  std::map<std::string, ModelPrice, std::less<>> models_;
  std::shared_ptr<const Index> index_;
};

// The cost of one request in nanodollars. Long context is decided per request on
// tokens.context(); fast speed multiplies every token bucket; web search and fetch requests are
// added at kWebRequestNanodollars each (not multiplied).
Nanodollars cost_of(const ModelPrice& price, const TokenCounts& tokens, Speed speed);

// ccusage's display name: strips `anthropic/claude-` or `claude-` and a trailing 8-digit date
// (`claude-sonnet-4-5-20250929` -> `sonnet-4-5`); appends `-fast` for fast requests.
std::string short_model_name(std::string_view model, Speed speed = Speed::kStandard);

}  // namespace ccgauge::pricing

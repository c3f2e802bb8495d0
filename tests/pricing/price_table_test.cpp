#include "pricing/price_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using ccgauge::Nanodollars;
using ccgauge::Speed;
using ccgauge::TokenCounts;
using ccgauge::pricing::cost_of;
using ccgauge::pricing::kWebRequestNanodollars;
using ccgauge::pricing::ModelPrice;
using ccgauge::pricing::PriceTable;
using ccgauge::pricing::short_model_name;

namespace {

// Prices as research/ccusage.md §3.5 writes them: USD per million tokens.
struct Usd {
  double input;
  double output;
  double write_5m;
  double write_1h;
  double read;
};

struct Row {
  std::string_view model;  // as logged
  Usd base;
  std::optional<Usd> long_context;
  std::int64_t fast;
  std::int64_t context_window;
};

constexpr std::int64_t k1M = 1'000'000;
constexpr std::int64_t k200K = 200'000;
constexpr Usd kOpus{5, 25, 6.25, 10, 0.50};
constexpr Usd kOpusLegacy{15, 75, 18.75, 30, 1.50};
constexpr Usd kSonnet{3, 15, 3.75, 6, 0.30};
constexpr Usd kSonnetLong{6, 22.5, 7.5, 12, 0.6};

// Every row of §3.5, with each id the row names.
const std::vector<Row>& section_3_5_rows() {
  static const std::vector<Row> rows = {
      {"claude-opus-4-8", kOpus, std::nullopt, 2, k1M},
      {"claude-opus-4-7", kOpus, std::nullopt, 6, k1M},
      {"claude-opus-4-6", kOpus, std::nullopt, 6, k1M},
      {"claude-opus-4-5", kOpus, std::nullopt, 1, k200K},
      {"claude-opus-4-5-20251101", kOpus, std::nullopt, 1, k200K},
      {"claude-opus-4-1", kOpusLegacy, std::nullopt, 1, k200K},
      {"claude-opus-4-1-20250805", kOpusLegacy, std::nullopt, 1, k200K},
      {"claude-opus-4", kOpusLegacy, std::nullopt, 1, k200K},
      {"claude-opus-4-20250514", kOpusLegacy, std::nullopt, 1, k200K},
      {"claude-3-opus-20240229", kOpusLegacy, std::nullopt, 1, k200K},
      {"claude-sonnet-4-6", kSonnet, std::nullopt, 1, k1M},
      {"claude-sonnet-4-5", kSonnet, kSonnetLong, 1, k1M},
      {"claude-sonnet-4-5-20250929", kSonnet, kSonnetLong, 1, k1M},
      {"claude-sonnet-4-20250514", kSonnet, kSonnetLong, 1, k1M},
      {"claude-sonnet-4", kSonnet, kSonnetLong, 1, k1M},
      {"claude-3-7-sonnet-20250219", kSonnet, std::nullopt, 1, k200K},
      {"claude-3-sonnet-20240229", kSonnet, std::nullopt, 1, k200K},
      {"claude-3-5-sonnet-20241022", kSonnet, std::nullopt, 1, k200K},
      {"claude-3-5-sonnet-20240620", kSonnet, std::nullopt, 1, k200K},
      {"claude-haiku-4-5", {1, 5, 1.25, 2, 0.10}, std::nullopt, 1, k200K},
      {"claude-haiku-4-5-20251001", {1, 5, 1.25, 2, 0.10}, std::nullopt, 1, k200K},
      {"claude-3-5-haiku-20241022", {0.80, 4, 1.00, 1.60, 0.08}, std::nullopt, 1, k200K},
      {"claude-3-haiku-20240307", {0.25, 1.25, 0.30, 0.50, 0.03}, std::nullopt, 1, k200K},
      {"claude-opus-5", kOpus, std::nullopt, 2, k1M},
      {"claude-sonnet-5", {2, 10, 2.50, 4, 0.20}, std::nullopt, 1, k1M},
      {"claude-fable-5", {10, 50, 12.50, 20, 1.00}, std::nullopt, 1, k1M},
      {"us.anthropic.claude-sonnet-4-5-20250929-v1:0",
       {3.30, 16.50, 4.125, 6.60, 0.33},
       Usd{6.6, 24.75, 8.25, 13.2, 0.66},
       1,
       k1M},
      // ccusage prices the Vertex id without the tier; ccgauge bills it as Anthropic does.
      {"claude-sonnet-4-5@20250929", kSonnet, kSonnetLong, 1, k1M},
      {"anthropic.claude-opus-4-6-v1", kOpus, std::nullopt, 6, k1M},
  };
  return rows;
}

Nanodollars usd(double dollars_per_million, std::int64_t tokens) {
  return std::llround(dollars_per_million * 1000.0 * static_cast<double>(tokens));
}

enum class Bucket { kInput, kOutput, kWrite5m, kWrite1h, kRead };
constexpr Bucket kBuckets[] = {Bucket::kInput, Bucket::kOutput, Bucket::kWrite5m, Bucket::kWrite1h,
                               Bucket::kRead};

TokenCounts only(Bucket bucket, std::int64_t tokens) {
  TokenCounts counts;
  switch (bucket) {
    case Bucket::kInput:
      counts.input = tokens;
      break;
    case Bucket::kOutput:
      counts.output = tokens;
      break;
    case Bucket::kWrite5m:
      counts.cache_write_5m = tokens;
      break;
    case Bucket::kWrite1h:
      counts.cache_write_1h = tokens;
      break;
    case Bucket::kRead:
      counts.cache_read = tokens;
      break;
  }
  return counts;
}

double rate_of(const Usd& prices, Bucket bucket) {
  switch (bucket) {
    case Bucket::kInput:
      return prices.input;
    case Bucket::kOutput:
      return prices.output;
    case Bucket::kWrite5m:
      return prices.write_5m;
    case Bucket::kWrite1h:
      return prices.write_1h;
    case Bucket::kRead:
      return prices.read;
  }
  return 0;
}

const char* name_of(Bucket bucket) {
  switch (bucket) {
    case Bucket::kInput:
      return "input";
    case Bucket::kOutput:
      return "output";
    case Bucket::kWrite5m:
      return "5m write";
    case Bucket::kWrite1h:
      return "1h write";
    case Bucket::kRead:
      return "cache read";
  }
  return "?";
}

const ModelPrice& must_find(std::string_view model) {
  const ModelPrice* price = PriceTable::embedded().find(model);
  if (price == nullptr) {
    ADD_FAILURE() << "no price for " << model;
    static const ModelPrice kNone;
    return kNone;
  }
  return *price;
}

std::string found_id(std::string_view model) {
  const ModelPrice* price = PriceTable::embedded().find(model);
  return price == nullptr ? "(null)" : price->id;
}

}  // namespace

TEST(PriceTable, EverySection35RowIsPricedAsMeasured) {
  for (const Row& row : section_3_5_rows()) {
    SCOPED_TRACE(std::string(row.model));
    const ModelPrice& price = must_find(row.model);
    EXPECT_EQ(price.fast_multiplier, row.fast);
    EXPECT_EQ(price.context_window, row.context_window);
    EXPECT_EQ(price.long_context.has_value(), row.long_context.has_value());
    for (Bucket bucket : kBuckets) {
      SCOPED_TRACE(name_of(bucket));
      // 100,000 tokens stay under every long-context threshold.
      EXPECT_EQ(cost_of(price, only(bucket, 100'000), Speed::kStandard),
                usd(rate_of(row.base, bucket), 100'000));
      // 1,000,000 tokens: context buckets cross 200k; output alone is no context.
      const bool premium = row.long_context.has_value() && bucket != Bucket::kOutput;
      const Usd& rates = premium ? *row.long_context : row.base;
      EXPECT_EQ(cost_of(price, only(bucket, 1'000'000), Speed::kStandard),
                usd(rate_of(rates, bucket), 1'000'000));
    }
  }
}

TEST(PriceTable, DollarExamplesFromTheIssue) {
  EXPECT_EQ(must_find("claude-sonnet-4-5").base.cache_read, 300);
  EXPECT_EQ(must_find("us.anthropic.claude-sonnet-4-5-20250929-v1:0").base.cache_write_5m, 4125);
  EXPECT_EQ(must_find("claude-sonnet-4-5").long_context->cache_write_1h, 12'000);
  // $3 per million input tokens: one million cost exactly $3.
  EXPECT_EQ(
      cost_of(must_find("claude-sonnet-4-6"), only(Bucket::kInput, 1'000'000), Speed::kStandard),
      3 * ccgauge::kNanodollarsPerDollar);
}

TEST(PriceTable, VariantFormsResolve) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
      {"anthropic/claude-opus-4-6", "claude-opus-4-6"},
      {"anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
      {"claude-opus-4.7", "claude-opus-4-7"},
      {"claude-sonnet-4.5", "claude-sonnet-4-5"},
      {"claude-opus-4-1@20250805", "claude-opus-4-1"},
      {"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
      {"claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"},
      {"claude-3-7-sonnet-latest", "claude-3-7-sonnet"},
      {"claude-opus-4-6-fast", "claude-opus-4-6"},
      {"claude-opus-4.6-fast", "claude-opus-4-6"},
      {"Claude-Opus-4-6", "claude-opus-4-6"},
      {"claude-opus-4-6[1m]", "claude-opus-4-6"},
      {"claude-4-opus-20250514", "claude-4-opus"},
      {"claude-4-sonnet-20250514", "claude-4-sonnet"},
      // Bedrock, in-region and global: base price.
      {"anthropic.claude-opus-4-6-v1", "claude-opus-4-6"},
      {"anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"},
      {"anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"},
      {"anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"},
      {"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"},
      {"global.anthropic.claude-opus-4-6-v1", "claude-opus-4-6"},
      // Bedrock geographic profiles of Claude 4.5 and later: their own +10% rows.
      {"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5"},
      {"eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu.anthropic.claude-haiku-4-5"},
      {"jp.anthropic.claude-opus-4-7", "jp.anthropic.claude-opus-4-7"},
      {"au.anthropic.claude-sonnet-4-6", "au.anthropic.claude-sonnet-4-6"},
      {"apac.anthropic.claude-opus-4-5-20251101-v1:0", "apac.anthropic.claude-opus-4-5"},
      {"US.Anthropic.Claude-Opus-4-6-v1", "us.anthropic.claude-opus-4-6"},
      {"arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
       "us.anthropic.claude-opus-4-5-20251101-v1:0",
       "us.anthropic.claude-opus-4-5"},
      // Older models cost the same in every geography.
      {"us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"},
      {"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"},
      {"eu.anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"},
  };
  for (const auto& [model, id] : cases) {
    EXPECT_EQ(found_id(model), id) << model;
  }
}

TEST(PriceTable, RegionalBedrockCostsTenPercentMore) {
  const ModelPrice& regional = must_find("eu.anthropic.claude-haiku-4-5-20251001-v1:0");
  EXPECT_EQ(regional.base.input, 1'100);
  EXPECT_EQ(regional.base.output, 5'500);
  EXPECT_EQ(regional.base.cache_write_5m, 1'375);
  EXPECT_EQ(regional.base.cache_write_1h, 2'200);
  EXPECT_EQ(regional.base.cache_read, 110);
  const ModelPrice& opus = must_find("us.anthropic.claude-opus-4-6-v1");
  EXPECT_EQ(opus.base.output, 27'500);
  EXPECT_EQ(opus.fast_multiplier, 6);
  EXPECT_EQ(opus.context_window, k1M);
  EXPECT_FALSE(opus.long_context.has_value());
}

TEST(PriceTable, UnknownModelsAndNeighboursAreNull) {
  for (std::string_view model :
       {"claude-opus-4-9", "claude-sonnet-4-0", "claude-opus-4-0", "claude-haiku-4",
        "claude-opus-4-60", "claude-opus-4-6-2025", "claude-sonnet-4-5-2025092", "claude-opus",
        "claude", "us.anthropic.claude-opus-4-9-v1:0", "anthropic/claude-haiku-4",
        "claude-4.6-opus-20260205", "gpt-5", "<synthetic>", "", "-fast", "us.anthropic.",
        "claude-opus-4-6-extra"}) {
    EXPECT_EQ(PriceTable::embedded().find(model), nullptr) << model;
  }
  EXPECT_EQ(PriceTable::embedded().find(std::string(300, 'a')), nullptr);
}

TEST(PriceTable, EveryKeyFindsItself) {
  const auto& models = PriceTable::embedded().models();
  EXPECT_GE(models.size(), 21u);
  for (const auto& [key, price] : models) {
    EXPECT_EQ(price.id, key);
    const ModelPrice* found = PriceTable::embedded().find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(*found, price);
  }
}

TEST(PriceTable, LongContextBoundaryIsPerRequest) {
  const ModelPrice& sonnet = must_find("claude-sonnet-4-5-20250929");
  TokenCounts at_threshold;
  at_threshold.input = 150'000;
  at_threshold.cache_read = 40'000;
  at_threshold.cache_write_5m = 6'000;
  at_threshold.cache_write_1h = 4'000;
  at_threshold.output = 2'000;
  ASSERT_EQ(at_threshold.context(), 200'000);
  EXPECT_EQ(
      cost_of(sonnet, at_threshold, Speed::kStandard),
      150'000LL * 3'000 + 40'000LL * 300 + 6'000LL * 3'750 + 4'000LL * 6'000 + 2'000LL * 15'000);

  TokenCounts over = at_threshold;
  over.input += 1;
  ASSERT_EQ(over.context(), 200'001);
  // Every bucket, output included, at the premium rates.
  EXPECT_EQ(
      cost_of(sonnet, over, Speed::kStandard),
      150'001LL * 6'000 + 40'000LL * 600 + 6'000LL * 7'500 + 4'000LL * 12'000 + 2'000LL * 22'500);

  // Claude 4.6 and later: the 1M window at standard prices.
  const ModelPrice& opus = must_find("claude-opus-4-6");
  EXPECT_EQ(
      cost_of(opus, over, Speed::kStandard),
      150'001LL * 5'000 + 40'000LL * 500 + 6'000LL * 6'250 + 4'000LL * 10'000 + 2'000LL * 25'000);

  // Output alone is not context.
  TokenCounts output_only;
  output_only.output = 500'000;
  EXPECT_EQ(cost_of(sonnet, output_only, Speed::kStandard), 500'000LL * 15'000);
}

TEST(PriceTable, RegionalLongContextKeepsThePremium) {
  const ModelPrice& regional = must_find("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  TokenCounts tokens;
  tokens.cache_read = 300'000;
  tokens.output = 1'000;
  EXPECT_EQ(cost_of(regional, tokens, Speed::kStandard), 300'000LL * 660 + 1'000LL * 24'750);
}

TEST(PriceTable, FastMultipliesEveryTokenBucket) {
  TokenCounts tokens;
  tokens.input = 1'000;
  tokens.output = 2'000;
  tokens.cache_write_5m = 3'000;
  tokens.cache_write_1h = 4'000;
  tokens.cache_read = 5'000;
  const Nanodollars opus_standard =
      1'000LL * 5'000 + 2'000LL * 25'000 + 3'000LL * 6'250 + 4'000LL * 10'000 + 5'000LL * 500;
  EXPECT_EQ(cost_of(must_find("claude-opus-4-6"), tokens, Speed::kStandard), opus_standard);
  EXPECT_EQ(cost_of(must_find("claude-opus-4-6"), tokens, Speed::kFast), 6 * opus_standard);
  EXPECT_EQ(cost_of(must_find("claude-opus-4-7"), tokens, Speed::kFast), 6 * opus_standard);
  EXPECT_EQ(cost_of(must_find("claude-opus-4-8"), tokens, Speed::kFast), 2 * opus_standard);
  EXPECT_EQ(cost_of(must_find("claude-opus-5"), tokens, Speed::kFast), 2 * opus_standard);
  EXPECT_EQ(cost_of(must_find("claude-opus-4-5"), tokens, Speed::kFast), opus_standard);
  const ModelPrice& sonnet = must_find("claude-sonnet-4-5");
  EXPECT_EQ(cost_of(sonnet, tokens, Speed::kFast), cost_of(sonnet, tokens, Speed::kStandard));
}

TEST(PriceTable, WebRequestsAreTenDollarsPerThousandAndNotMultiplied) {
  EXPECT_EQ(kWebRequestNanodollars, 10'000'000);
  TokenCounts searches;
  searches.web_search_requests = 1'000;
  EXPECT_EQ(cost_of(must_find("claude-haiku-4-5"), searches, Speed::kStandard),
            10 * ccgauge::kNanodollarsPerDollar);

  TokenCounts mixed;
  mixed.output = 1'000;
  mixed.web_search_requests = 3;
  mixed.web_fetch_requests = 2;
  EXPECT_EQ(cost_of(must_find("claude-opus-4-6"), mixed, Speed::kFast),
            6LL * 1'000 * 25'000 + 5LL * 10'000'000);
}

TEST(PriceTable, ShortModelName) {
  EXPECT_EQ(short_model_name("claude-sonnet-4-5-20250929"), "sonnet-4-5");
  EXPECT_EQ(short_model_name("anthropic/claude-opus-4-6"), "opus-4-6");
  EXPECT_EQ(short_model_name("claude-opus-4-6", Speed::kFast), "opus-4-6-fast");
  EXPECT_EQ(short_model_name("claude-opus-4-6-fast", Speed::kFast), "opus-4-6-fast");
  EXPECT_EQ(short_model_name("claude-opus-4-20250514"), "opus-4");
  EXPECT_EQ(short_model_name("claude-3-5-haiku-20241022"), "3-5-haiku");
  EXPECT_EQ(short_model_name("claude-opus-4-7"), "opus-4-7");
  EXPECT_EQ(short_model_name("claude-sonnet-20250929"), "sonnet-20250929");
  EXPECT_EQ(short_model_name("<synthetic>"), "<synthetic>");
  EXPECT_EQ(short_model_name("gpt-5"), "gpt-5");
  EXPECT_EQ(short_model_name("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  EXPECT_EQ(short_model_name(""), "");
}

TEST(PriceTable, FoundPricesOutliveTheTableThatFoundThem) {
  const ModelPrice* price = nullptr;
  std::optional<PriceTable> copy;
  {
    PriceTable original = PriceTable::embedded();
    price = original.find("claude-opus-4-6-20260205");
    copy = original;
  }
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->id, "claude-opus-4-6");
  EXPECT_EQ(copy->find("claude-opus-4-6"), price);
  EXPECT_EQ(PriceTable().find("claude-opus-4-6"), nullptr);
  EXPECT_TRUE(PriceTable().models().empty());
}

TEST(PriceTable, FingerprintIsStableHex) {
  const std::string fingerprint = PriceTable::embedded().fingerprint();
  EXPECT_EQ(fingerprint.size(), 16u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(PriceTable::embedded().fingerprint(), fingerprint);
  PriceTable copy = PriceTable::embedded();
  EXPECT_EQ(copy.fingerprint(), fingerprint);
}

namespace {

// A fresh directory per test, removed afterwards.
class PriceOverrides : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("ccgauge_pricing_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(std::string_view json) {
    const std::filesystem::path path = dir_ / "prices.json";
    std::ofstream(path) << json;
    return path.string();
  }

  std::filesystem::path dir_;
};

}  // namespace

TEST_F(PriceOverrides, MissingFileIsTheEmbeddedTable) {
  auto table = PriceTable::with_overrides((dir_ / "absent.json").string());
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(table->models(), PriceTable::embedded().models());
  EXPECT_EQ(table->fingerprint(), PriceTable::embedded().fingerprint());
}

TEST_F(PriceOverrides, AddsAModelWithDefaultCacheRates) {
  auto table = PriceTable::with_overrides(write(R"({"claude-newt-1": {"input": 2, "output": 8}})"));
  ASSERT_TRUE(table) << table.error().message;
  const ModelPrice* price = table->find("claude-newt-1-20270101");
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->id, "claude-newt-1");
  EXPECT_EQ(price->base.input, 2'000);
  EXPECT_EQ(price->base.output, 8'000);
  EXPECT_EQ(price->base.cache_write_5m, 2'500);
  EXPECT_EQ(price->base.cache_write_1h, 4'000);
  EXPECT_EQ(price->base.cache_read, 200);
  EXPECT_EQ(price->fast_multiplier, 1);
  EXPECT_EQ(price->context_window, 200'000);
  EXPECT_FALSE(price->long_context.has_value());
  EXPECT_NE(table->find("claude-opus-4-6"), nullptr);
  EXPECT_EQ(PriceTable::embedded().find("claude-newt-1"), nullptr);
  EXPECT_NE(table->fingerprint(), PriceTable::embedded().fingerprint());
}

TEST_F(PriceOverrides, ReplacesAModelAndItsRegionalRows) {
  auto table = PriceTable::with_overrides(
      write(R"({"claude-opus-4-6": {"input": 4, "output": 20, "cacheRead": 0.4}})"));
  ASSERT_TRUE(table) << table.error().message;
  const ModelPrice* price = table->find("claude-opus-4-6-20260205");
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->base.input, 4'000);
  EXPECT_EQ(price->base.output, 20'000);
  EXPECT_EQ(price->base.cache_write_5m, 5'000);
  EXPECT_EQ(price->base.cache_write_1h, 8'000);
  EXPECT_EQ(price->base.cache_read, 400);
  // Absent fastMultiplier and contextWindow keep the replaced model's.
  EXPECT_EQ(price->fast_multiplier, 6);
  EXPECT_EQ(price->context_window, 1'000'000);
  const ModelPrice* regional = table->find("us.anthropic.claude-opus-4-6-v1");
  ASSERT_NE(regional, nullptr);
  EXPECT_EQ(regional->base.input, 4'400);
  EXPECT_EQ(PriceTable::embedded().find("claude-opus-4-6")->base.input, 5'000);
}

TEST_F(PriceOverrides, ReadsEveryField) {
  auto table = PriceTable::with_overrides(write(R"({
    "claude-sonnet-4-5": {"input": 3.5, "output": 17.5, "cacheWrite5m": 4.375,
      "cacheWrite1h": 7, "cacheRead": 0.35,
      "longContext": {"input": 7, "output": 26.25},
      "fastMultiplier": 3, "contextWindow": 500000},
    "us.anthropic.claude-sonnet-4-5": {"input": 1, "output": 2}
  })"));
  ASSERT_TRUE(table) << table.error().message;
  const ModelPrice* price = table->find("claude-sonnet-4-5-20250929");
  ASSERT_NE(price, nullptr);
  EXPECT_EQ(price->base.cache_write_5m, 4'375);
  EXPECT_EQ(price->base.cache_write_1h, 7'000);
  EXPECT_EQ(price->base.cache_read, 350);
  ASSERT_TRUE(price->long_context.has_value());
  EXPECT_EQ(price->long_context->output, 26'250);
  EXPECT_EQ(price->long_context->cache_write_5m, 8'750);
  EXPECT_EQ(price->long_context->cache_write_1h, 14'000);
  EXPECT_EQ(price->long_context->cache_read, 700);
  EXPECT_EQ(price->fast_multiplier, 3);
  EXPECT_EQ(price->context_window, 500'000);
  // An explicit regional row wins over the derived one.
  EXPECT_EQ(table->find("us.anthropic.claude-sonnet-4-5-20250929-v1:0")->base.input, 1'000);
  EXPECT_EQ(table->find("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")->base.input, 3'850);
}

TEST_F(PriceOverrides, MalformedJsonNamesTheFileAndModel) {
  const std::string path = write(R"({"claude-broken": {"input": 3,, "output": 15}})");
  auto table = PriceTable::with_overrides(path);
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code, ccgauge::Errc::kInvalidInput);
  EXPECT_NE(table.error().message.find(path), std::string::npos) << table.error().message;
  EXPECT_NE(table.error().message.find("claude-broken"), std::string::npos)
      << table.error().message;
}

TEST_F(PriceOverrides, WrongTypesAreErrors) {
  struct Case {
    std::string_view json;
    std::string_view must_mention;
  };
  const Case cases[] = {
      {R"({"claude-x": {"input": "3", "output": 15}})", "input"},
      {R"({"claude-x": {"input": 3, "output": 15, "fastMultiplier": 1.5}})", "fastMultiplier"},
      {R"({"claude-x": {"input": 3, "output": 15, "contextWindow": -1}})", "contextWindow"},
      {R"({"claude-x": {"input": -3, "output": 15}})", "input"},
      {R"({"claude-x": {"input": 3}})", "output"},
      {R"({"claude-x": {"input": 3, "output": 15, "cachewrite5m": 1}})", "cachewrite5m"},
      {R"({"claude-x": {"input": 3, "output": 15, "longContext": 6}})", "longContext"},
      {R"({"claude-x": {"input": 3, "output": 15, "longContext": {"input": 6}}})", "output"},
      {R"({"claude-x": 3})", "object"},
  };
  for (const Case& test_case : cases) {
    const std::string path = write(test_case.json);
    auto table = PriceTable::with_overrides(path);
    ASSERT_FALSE(table) << test_case.json;
    const std::string& message = table.error().message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("claude-x"), std::string::npos) << message;
    EXPECT_NE(message.find(test_case.must_mention), std::string::npos) << message;
  }
}

TEST_F(PriceOverrides, NonObjectFilesAreErrors) {
  for (std::string_view json : {"", "[]", "{\"claude-x\": {\"input\": 3, \"output\": 15}} x",
                                "{\"claude-x\": {\"input\": 3, \"output\": 15}"}) {
    const std::string path = write(json);
    auto table = PriceTable::with_overrides(path);
    ASSERT_FALSE(table) << json;
    EXPECT_NE(table.error().message.find(path), std::string::npos) << table.error().message;
  }
}

TEST_F(PriceOverrides, EmptyObjectIsTheEmbeddedTable) {
  auto table = PriceTable::with_overrides(write("{}"));
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(table->fingerprint(), PriceTable::embedded().fingerprint());
}

TEST_F(PriceOverrides, FingerprintFollowsEveryField) {
  constexpr std::string_view kSame =
      R"({"claude-opus-4-6": {"input": 5, "output": 25, "cacheWrite5m": 6.25,
          "cacheWrite1h": 10, "cacheRead": 0.5, "fastMultiplier": 6, "contextWindow": 1000000}})";
  auto same = PriceTable::with_overrides(write(kSame));
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->fingerprint(), PriceTable::embedded().fingerprint());

  auto window = PriceTable::with_overrides(write(R"({"claude-opus-4-6":
      {"input": 5, "output": 25, "contextWindow": 500000}})"));
  ASSERT_TRUE(window) << window.error().message;
  EXPECT_NE(window->fingerprint(), PriceTable::embedded().fingerprint());

  auto fast = PriceTable::with_overrides(write(R"({"claude-opus-4-6":
      {"input": 5, "output": 25, "fastMultiplier": 5}})"));
  ASSERT_TRUE(fast) << fast.error().message;
  EXPECT_NE(fast->fingerprint(), PriceTable::embedded().fingerprint());
  EXPECT_NE(fast->fingerprint(), window->fingerprint());
}

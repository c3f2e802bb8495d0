#include "pricing/price_table.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ccgauge::pricing {

// Defined in embedded_prices.cpp.
namespace detail {
std::vector<ModelPrice> embedded_model_prices();
bool has_bedrock_regional_premium(std::string_view id);
}  // namespace detail

namespace {

using ModelMap = std::map<std::string, ModelPrice, std::less<>>;
// Table key -> row, for find(). The keys view the strings of a ModelMap that outlives it.
using KeyIndex = std::unordered_map<std::string_view, const ModelPrice*>;

constexpr std::string_view kSyntheticModel = "<synthetic>";
// Longer ids are matched exactly or not at all, so find() never allocates.
constexpr std::size_t kMaxModelIdLength = 256;
// Bumped when cost_of's formula changes, so the ledger reprices stored requests.
constexpr std::string_view kFingerprintSalt = "ccgauge-pricing-1";

// ---------------------------------------------------------------------------------------------
// Bedrock geographies.

struct BedrockGeo {
  std::string_view prefix;
  bool regional_premium;
};

// Geographic cross-region inference profiles cost 10% more than `global.` for the models that
// detail::has_bedrock_regional_premium() names (AWS pricing; LiteLLM's rows agree). `ca.` and
// `us-gov.` are recognised but priced as the base model: no published premium row to check.
constexpr std::array<BedrockGeo, 8> kBedrockGeos = {{
    {"us", true},
    {"eu", true},
    {"apac", true},
    {"jp", true},
    {"au", true},
    {"global", false},
    {"ca", false},
    {"us-gov", false},
}};

constexpr std::string_view kBedrockProvider = "anthropic.";

std::string regional_key(std::string_view geo, std::string_view id) {
  std::string key;
  key.reserve(geo.size() + 1 + kBedrockProvider.size() + id.size());
  key.append(geo).append(".").append(kBedrockProvider).append(id);
  return key;
}

std::int64_t with_premium(std::int64_t rate) { return (rate * 11 + 5) / 10; }

Rates with_premium(const Rates& rates) {
  return Rates{.input = with_premium(rates.input),
               .output = with_premium(rates.output),
               .cache_write_5m = with_premium(rates.cache_write_5m),
               .cache_write_1h = with_premium(rates.cache_write_1h),
               .cache_read = with_premium(rates.cache_read)};
}

ModelPrice regional_price(const ModelPrice& base, std::string key) {
  ModelPrice price = base;
  price.id = std::move(key);
  price.base = with_premium(base.base);
  if (base.long_context) price.long_context = with_premium(*base.long_context);
  return price;
}

// Adds `<geo>.anthropic.<id>` rows at +10% for every model with a regional premium, unless the
// user's overrides already set that row.
void add_regional_rows(ModelMap& models, const ModelMap& overrides) {
  std::vector<const ModelPrice*> eligible;
  for (const auto& [id, price] : models) {
    if (detail::has_bedrock_regional_premium(id)) eligible.push_back(&price);
  }
  for (const ModelPrice* base : eligible) {
    for (const BedrockGeo& geo : kBedrockGeos) {
      if (!geo.regional_premium) continue;
      std::string key = regional_key(geo.prefix, base->id);
      if (overrides.contains(key)) continue;
      ModelPrice price = regional_price(*base, key);
      models.insert_or_assign(std::move(key), std::move(price));
    }
  }
}

ModelMap build_models(const ModelMap& overrides) {
  ModelMap models;
  for (ModelPrice& price : detail::embedded_model_prices()) {
    std::string key = price.id;
    models.emplace(std::move(key), std::move(price));
  }
  for (const auto& [key, price] : overrides) models.insert_or_assign(key, price);
  add_regional_rows(models, overrides);
  return models;
}

// ---------------------------------------------------------------------------------------------
// Model-name normalisation. Everything works on string_views into the caller's string or one
// stack buffer, and scans from the ends of the id: find() runs once per ingested request.

using NameBuffer = std::array<char, kMaxModelIdLength + 32>;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// Character classes parse_model_name() looks for, one table lookup per character.
constexpr std::uint8_t kUpperFlag = 1;
constexpr std::uint8_t kPunctuationFlag = 2;  // `.`, `@`, `:`, `/`, `[`: a provider form
constexpr std::array<std::uint8_t, 256> kCharFlags = [] {
  std::array<std::uint8_t, 256> flags{};
  for (int c = 'A'; c <= 'Z'; ++c) flags[c] = kUpperFlag;
  for (unsigned char c : std::string_view(".@:/[")) flags[c] = kPunctuationFlag;
  return flags;
}();

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

std::size_t count_trailing_digits(std::string_view text) {
  std::size_t count = 0;
  while (count < text.size() && is_digit(text[text.size() - 1 - count])) ++count;
  return count;
}

// Strips `<marker><digits>` from the end of `text`, if it ends so.
std::string_view strip_numbered_suffix(std::string_view text, std::string_view marker) {
  const std::size_t digits = count_trailing_digits(text);
  if (digits == 0 || text.size() < digits + marker.size()) return text;
  const std::string_view rest = text.substr(0, text.size() - digits);
  return rest.ends_with(marker) ? rest.substr(0, rest.size() - marker.size()) : text;
}

std::string_view strip_prefix(std::string_view text, std::string_view prefix) {
  if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  return text;
}

std::string_view strip_suffix(std::string_view text, std::string_view suffix) {
  if (text.ends_with(suffix)) text.remove_suffix(suffix.size());
  return text;
}

// `-20250929` or `-latest` at the end; returns `text` unchanged when there is neither.
std::string_view strip_date(std::string_view text) {
  constexpr std::size_t kDateLength = 8;
  if (count_trailing_digits(text) == kDateLength && text.size() > kDateLength + 1 &&
      text[text.size() - kDateLength - 1] == '-') {
    return text.substr(0, text.size() - kDateLength - 1);
  }
  return strip_suffix(text, "-latest");
}

// `-v1`, `-v2` at the end (Bedrock's model version, Vertex's `claude-3-5-sonnet-v2`).
std::string_view strip_model_version(std::string_view text) {
  return strip_numbered_suffix(text, "-v");
}

// `:0` at the end (Bedrock's throughput suffix).
std::string_view strip_throughput(std::string_view text) {
  return strip_numbered_suffix(text, ":");
}

// `[1m]` at the end (the context-window annotation of Claude Code's model setting).
std::string_view strip_annotation(std::string_view text) {
  if (!text.ends_with(']')) return text;
  const std::size_t open = text.rfind('[');
  return open == std::string_view::npos ? text : text.substr(0, open);
}

// An inference-profile ARN (`arn:aws:bedrock:...:inference-profile/us.anthropic...`) names the
// model after its last slash.
std::string_view strip_arn(std::string_view text) {
  if (!text.starts_with("arn:")) return text;
  const std::size_t slash = text.rfind('/');
  return slash == std::string_view::npos ? text : text.substr(slash + 1);
}

// Strips `<geo>.` when `anthropic.` follows it; returns the geography when it carries the
// regional premium, else an empty view.
std::string_view take_bedrock_geo(std::string_view& name) {
  for (const BedrockGeo& geo : kBedrockGeos) {
    if (name.size() > geo.prefix.size() && name.starts_with(geo.prefix) &&
        name[geo.prefix.size()] == '.' &&
        name.substr(geo.prefix.size() + 1).starts_with(kBedrockProvider)) {
      name.remove_prefix(geo.prefix.size() + 1);
      return geo.regional_premium ? geo.prefix : std::string_view();
    }
  }
  return {};
}

struct ParsedName {
  std::string_view premium_geo;  // `us`, `eu`, ... when the id names a premium geography
  std::string_view core;         // e.g. `claude-sonnet-4-5-20250929`
};

// Vertex's `@20250929` and dotted versions (`claude-opus-4.7`) become dashes. Copies `name`
// into `buffer` first unless it already lives there.
std::string_view dashify(std::string_view name, NameBuffer& buffer) {
  const auto is_separator = [](char c) { return c == '@' || c == '.'; };
  if (std::none_of(name.begin(), name.end(), is_separator)) return name;
  if (name.data() < buffer.data() || name.data() >= buffer.data() + buffer.size()) {
    std::copy(name.begin(), name.end(), buffer.begin());
    name = std::string_view(buffer.data(), name.size());
  }
  char* first = buffer.data() + (name.data() - buffer.data());
  std::replace_if(first, first + name.size(), is_separator, '-');
  return name;
}

// Strips the provider forms of an id: an ARN, `[1m]`, `anthropic/`, Bedrock's `<geo>.anthropic.`
// and `-v1:0`, Vertex's `@`; sets `premium_geo` for a geography with the regional premium.
std::string_view strip_provider_forms(std::string_view name, NameBuffer& buffer,
                                      std::string_view& premium_geo) {
  name = strip_annotation(strip_arn(name));
  name = strip_prefix(name, "anthropic/");
  premium_geo = take_bedrock_geo(name);
  name = strip_prefix(name, kBedrockProvider);
  name = strip_model_version(strip_throughput(name));
  return dashify(name, buffer);
}

// Lowercases and strips what find() ignores, copying into `buffer` only when a character must
// change. `model` fits the buffer; the result views `model` or `buffer`. A plain API id
// (`claude-sonnet-4-5-20250929`, the common case) costs one pass over its characters.
ParsedName parse_model_name(std::string_view model, NameBuffer& buffer) {
  std::uint8_t flags = 0;
  for (char c : model) flags |= kCharFlags[static_cast<unsigned char>(c)];
  std::string_view name = model;
  if (flags & kUpperFlag) {
    std::transform(model.begin(), model.end(), buffer.begin(),
                   [](char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; });
    name = std::string_view(buffer.data(), model.size());
  }
  std::string_view premium_geo;
  if (flags & kPunctuationFlag) name = strip_provider_forms(name, buffer, premium_geo);
  return ParsedName{.premium_geo = premium_geo, .core = strip_suffix(name, "-fast")};
}

// The keys a parsed name may match, most specific first; empty entries are absent.
std::array<std::string_view, 3> key_variants(std::string_view core) {
  std::array<std::string_view, 3> variants{core, {}, {}};
  const std::string_view undated = strip_date(core);
  if (undated != core) variants[1] = undated;
  const std::string_view unversioned = strip_model_version(undated);
  if (unversioned != undated) variants[2] = unversioned;
  return variants;
}

const ModelPrice* lookup(const KeyIndex& models, std::string_view key) {
  const auto it = models.find(key);
  return it == models.end() ? nullptr : it->second;
}

const ModelPrice* lookup_regional(const KeyIndex& models, std::string_view geo,
                                  std::string_view id) {
  NameBuffer key_buffer;
  const std::size_t size = geo.size() + 1 + kBedrockProvider.size() + id.size();
  if (size > key_buffer.size()) return nullptr;
  char* out = std::copy(geo.begin(), geo.end(), key_buffer.data());
  *out++ = '.';
  out = std::copy(kBedrockProvider.begin(), kBedrockProvider.end(), out);
  std::copy(id.begin(), id.end(), out);
  return lookup(models, std::string_view(key_buffer.data(), size));
}

// A regional row beats a dated one: `us.anthropic.claude-sonnet-4-5-20250929-v1:0` is the
// regional Sonnet 4.5, even if the user overrode `claude-sonnet-4-5-20250929`. `tried` is the
// key the caller already looked up.
const ModelPrice* find_parsed(const KeyIndex& models, const ParsedName& name,
                              std::string_view tried) {
  const std::array<std::string_view, 3> variants = key_variants(name.core);
  if (!name.premium_geo.empty()) {
    for (std::string_view key : variants) {
      if (key.empty()) continue;
      if (const ModelPrice* price = lookup_regional(models, name.premium_geo, key)) return price;
    }
  }
  for (std::string_view key : variants) {
    if (key.empty() || key == tried) continue;
    if (const ModelPrice* price = lookup(models, key)) return price;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Fingerprint.

class Fnv1a64 {
 public:
  void add(std::string_view bytes) {
    for (char c : bytes) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= kPrime;
    }
    add_byte(0);  // terminates the string, so ("ab", "c") and ("a", "bc") differ
  }
  void add(std::int64_t value) {
    auto bits = static_cast<std::uint64_t>(value);
    for (int byte_idx = 0; byte_idx < 8; ++byte_idx) {
      add_byte(static_cast<unsigned char>(bits & 0xff));
      bits >>= 8;
    }
  }
  void add(const Rates& rates) {
    add(rates.input);
    add(rates.output);
    add(rates.cache_write_5m);
    add(rates.cache_write_1h);
    add(rates.cache_read);
  }
  std::uint64_t value() const { return hash_; }

 private:
  static constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;
  static constexpr std::uint64_t kPrime = 1099511628211ull;
  void add_byte(unsigned char byte) {
    hash_ ^= byte;
    hash_ *= kPrime;
  }
  std::uint64_t hash_ = kOffsetBasis;
};

// ---------------------------------------------------------------------------------------------
// The override file.

namespace ondemand = simdjson::ondemand;

// Bounds that catch typos and keep cost_of inside int64 for any request under 1e9 tokens per
// bucket: 5 buckets x 1e9 tokens x 1e7 nanodollars x 100 < 9.2e18.
constexpr double kMaxUsdPerMillion = 10'000.0;
constexpr std::int64_t kMaxFastMultiplier = 100;
constexpr std::int64_t kMaxContextWindow = 1'000'000'000;

// Where a problem is: the file and, once known, the model key.
struct Where {
  std::string_view path;
  std::string_view model;
};

tl::unexpected<Error> invalid(const Where& where, std::string_view what) {
  if (where.model.empty()) {
    return fail(Errc::kInvalidInput, fmt::format("{}: {}", where.path, what));
  }
  return fail(Errc::kInvalidInput,
              fmt::format("{}: model \"{}\": {}", where.path, where.model, what));
}

tl::unexpected<Error> malformed(const Where& where, simdjson::error_code error) {
  return invalid(where, fmt::format("malformed JSON ({})", simdjson::error_message(error)));
}

Result<std::int64_t> read_rate(ondemand::value& value, const Where& where, std::string_view field) {
  double usd_per_million = 0;
  if (value.get_double().get(usd_per_million) != simdjson::SUCCESS) {
    return invalid(where, fmt::format("\"{}\" must be a number (USD per million tokens)", field));
  }
  if (!std::isfinite(usd_per_million) || usd_per_million < 0 ||
      usd_per_million > kMaxUsdPerMillion) {
    return invalid(where, fmt::format("\"{}\" is out of range: {}", field, usd_per_million));
  }
  return std::llround(usd_per_million * 1000.0);
}

Result<std::int64_t> read_count(ondemand::value& value, const Where& where, std::string_view field,
                                std::int64_t max) {
  std::int64_t count = 0;
  if (value.get_int64().get(count) != simdjson::SUCCESS || count < 1 || count > max) {
    return invalid(where, fmt::format("\"{}\" must be an integer from 1 to {}", field, max));
  }
  return count;
}

struct RateFields {
  std::optional<std::int64_t> input;
  std::optional<std::int64_t> output;
  std::optional<std::int64_t> cache_write_5m;
  std::optional<std::int64_t> cache_write_1h;
  std::optional<std::int64_t> cache_read;

  std::optional<std::int64_t>* slot(std::string_view key) {
    if (key == "input") return &input;
    if (key == "output") return &output;
    if (key == "cacheWrite5m") return &cache_write_5m;
    if (key == "cacheWrite1h") return &cache_write_1h;
    if (key == "cacheRead") return &cache_read;
    return nullptr;
  }
};

// Input and output are required; cache rates default from input (x1.25, x2, x0.1).
Result<Rates> complete_rates(const RateFields& fields, const Where& where,
                             std::string_view object_name) {
  if (!fields.input || !fields.output) {
    return invalid(where, fmt::format("{} needs \"input\" and \"output\"", object_name));
  }
  const std::int64_t input = *fields.input;
  return Rates{.input = input,
               .output = *fields.output,
               .cache_write_5m = fields.cache_write_5m.value_or((input * 5 + 2) / 4),
               .cache_write_1h = fields.cache_write_1h.value_or(input * 2),
               .cache_read = fields.cache_read.value_or((input + 5) / 10)};
}

// Reads `{"input": ..., "output": ..., "cacheWrite5m": ..., ...}` (the longContext object).
Result<Rates> read_rates_object(ondemand::value& value, const Where& where,
                                std::string_view object_name) {
  ondemand::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return invalid(where, fmt::format("\"{}\" must be an object", object_name));
  }
  RateFields fields;
  for (auto field_result : object) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return malformed(where, error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return malformed(where, error);
    std::optional<std::int64_t>* slot = fields.slot(key);
    if (slot == nullptr) {
      return invalid(where, fmt::format("unknown field \"{}\" in \"{}\"", key, object_name));
    }
    Result<std::int64_t> rate = read_rate(field.value(), where, key);
    if (!rate) return tl::unexpected(rate.error());
    *slot = *rate;
  }
  return complete_rates(fields, where, fmt::format("\"{}\"", object_name));
}

// One model entry. Replaces the model entirely, except that an absent fastMultiplier or
// contextWindow keeps the value of the model it replaces (`replaced`, may be null): a user who
// corrects a price should not lose Opus's fast multiplier or a 1M window by accident.
Result<ModelPrice> read_model(ondemand::object& object, const Where& where,
                              const ModelPrice* replaced) {
  RateFields base;
  ModelPrice price;
  price.id = std::string(where.model);
  if (replaced != nullptr) {
    price.fast_multiplier = replaced->fast_multiplier;
    price.context_window = replaced->context_window;
  }
  for (auto field_result : object) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return malformed(where, error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return malformed(where, error);
    if (std::optional<std::int64_t>* slot = base.slot(key)) {
      Result<std::int64_t> rate = read_rate(field.value(), where, key);
      if (!rate) return tl::unexpected(rate.error());
      *slot = *rate;
    } else if (key == "longContext") {
      Result<Rates> rates = read_rates_object(field.value(), where, key);
      if (!rates) return tl::unexpected(rates.error());
      price.long_context = *rates;
    } else if (key == "fastMultiplier") {
      Result<std::int64_t> count = read_count(field.value(), where, key, kMaxFastMultiplier);
      if (!count) return tl::unexpected(count.error());
      price.fast_multiplier = *count;
    } else if (key == "contextWindow") {
      Result<std::int64_t> count = read_count(field.value(), where, key, kMaxContextWindow);
      if (!count) return tl::unexpected(count.error());
      price.context_window = *count;
    } else {
      return invalid(where, fmt::format("unknown field \"{}\"", key));
    }
  }
  Result<Rates> rates = complete_rates(base, where, "the entry");
  if (!rates) return tl::unexpected(rates.error());
  price.base = *rates;
  return price;
}

// On-Demand does not check what follows the root object; a JSON object file ends in `}`.
bool ends_with_closing_brace(std::string_view json) {
  const std::size_t last = json.find_last_not_of(" \t\r\n");
  return last != std::string_view::npos && json[last] == '}';
}

Result<ModelMap> parse_overrides(const simdjson::padded_string& json, std::string_view path) {
  const Where file{.path = path, .model = {}};
  ondemand::parser parser;
  ondemand::document document;
  if (auto error = parser.iterate(json).get(document)) return malformed(file, error);
  ondemand::object root;
  if (document.get_object().get(root) != simdjson::SUCCESS) {
    return invalid(file, "the top level must be an object of model ids");
  }
  ModelMap overrides;
  std::string previous_key;
  for (auto field_result : root) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) {
      if (previous_key.empty()) return malformed(file, error);
      return invalid(file, fmt::format("malformed JSON after model \"{}\" ({})", previous_key,
                                       simdjson::error_message(error)));
    }
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return malformed(file, error);
    const Where where{.path = path, .model = key};
    if (key.empty()) return invalid(file, "empty model id");
    ondemand::object object;
    if (field.value().get_object().get(object) != simdjson::SUCCESS) {
      return invalid(where, "must be an object");
    }
    Result<ModelPrice> price = read_model(object, where, PriceTable::embedded().find(key));
    if (!price) return tl::unexpected(price.error());
    previous_key = std::string(key);
    overrides.insert_or_assign(previous_key, std::move(*price));
  }
  if (!ends_with_closing_brace(std::string_view(json.data(), json.size()))) {
    return invalid(file, "malformed JSON (content after the top-level object)");
  }
  return overrides;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PriceTable.

struct PriceTable::Index {
  ModelMap models;
  KeyIndex by_key;
};

PriceTable PriceTable::from_models(ModelMap models) {
  auto index = std::make_shared<Index>();
  index->models = models;
  index->by_key.reserve(index->models.size());
  for (const auto& [key, price] : index->models) index->by_key.emplace(key, &price);
  PriceTable table;
  table.models_ = std::move(models);
  table.index_ = std::move(index);
  return table;
}

const PriceTable& PriceTable::embedded() {
  static const PriceTable table = from_models(build_models({}));
  return table;
}

Result<PriceTable> PriceTable::with_overrides(const std::string& override_path) {
  std::error_code status_error;
  const std::filesystem::file_status status = std::filesystem::status(override_path, status_error);
  if (override_path.empty() || status.type() == std::filesystem::file_type::not_found) {
    return embedded();
  }
  simdjson::padded_string json;
  if (auto error = simdjson::padded_string::load(override_path).get(json)) {
    return fail(Errc::kIo, fmt::format("{}: cannot read the price override file ({})",
                                       override_path, simdjson::error_message(error)));
  }
  Result<ModelMap> overrides = parse_overrides(json, override_path);
  if (!overrides) return tl::unexpected(overrides.error());
  return from_models(build_models(*overrides));
}

const ModelPrice* PriceTable::find(std::string_view model) const {
  if (index_ == nullptr || model.empty() || model == kSyntheticModel) return nullptr;
  if (const ModelPrice* exact = lookup(index_->by_key, model)) return exact;
  if (model.size() > kMaxModelIdLength) return nullptr;
  NameBuffer buffer;
  const ParsedName name = parse_model_name(model, buffer);
  if (name.core.empty()) return nullptr;
  return find_parsed(index_->by_key, name, model);
}

std::string PriceTable::fingerprint() const {
  Fnv1a64 hash;
  hash.add(kFingerprintSalt);
  for (const auto& [key, price] : models_) {
    hash.add(key);
    hash.add(price.id);
    hash.add(price.base);
    hash.add(std::int64_t{price.long_context.has_value()});
    if (price.long_context) hash.add(*price.long_context);
    hash.add(price.fast_multiplier);
    hash.add(price.context_window);
  }
  return fmt::format("{:016x}", hash.value());
}

Nanodollars cost_of(const ModelPrice& price, const TokenCounts& tokens, Speed speed) {
  const bool long_context =
      price.long_context.has_value() && tokens.context() > kLongContextThreshold;
  const Rates& rates = long_context ? *price.long_context : price.base;
  Nanodollars cost = tokens.input * rates.input + tokens.output * rates.output +
                     tokens.cache_write_5m * rates.cache_write_5m +
                     tokens.cache_write_1h * rates.cache_write_1h +
                     tokens.cache_read * rates.cache_read;
  if (speed == Speed::kFast) cost *= price.fast_multiplier;
  return cost + (tokens.web_search_requests + tokens.web_fetch_requests) * kWebRequestNanodollars;
}

std::string short_model_name(std::string_view model, Speed speed) {
  std::string_view name = model;
  if (name.starts_with("anthropic/claude-")) {
    name.remove_prefix(std::string_view("anthropic/claude-").size());
  } else if (name.starts_with("claude-")) {
    name.remove_prefix(std::string_view("claude-").size());
  }
  // As ccusage: the date goes only when two segments remain (`opus-4-20250514` -> `opus-4`).
  const std::size_t last_dash = name.rfind('-');
  if (last_dash != std::string_view::npos && std::count(name.begin(), name.end(), '-') >= 2 &&
      name.size() - last_dash - 1 == 8 && is_digits(name.substr(last_dash + 1))) {
    name = name.substr(0, last_dash);
  }
  std::string short_name(name);
  if (speed == Speed::kFast && !short_name.empty() && !short_name.ends_with("-fast")) {
    short_name += "-fast";
  }
  return short_name;
}

}  // namespace ccgauge::pricing

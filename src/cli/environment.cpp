#include "cli/environment.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/time.h"

namespace ccgauge::cli {

Result<pricing::PriceTable> load_price_table() {
  return pricing::PriceTable::with_overrides(ccgauge_config_dir() + "/pricing.json");
}

namespace {

// Reads config.json's plan fields into `flags` where the flags left them unset.
Status merge_config_file(const std::string& path, PlanFlags& flags) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return {};
  }
  simdjson::padded_string text;
  if (auto e = simdjson::padded_string::load(path).get(text)) {
    return fail(Errc::kIo, fmt::format("cannot read {}: {}", path, simdjson::error_message(e)));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto e = parser.parse(text).get(root); e || !root.is_object()) {
    return fail(Errc::kInvalidInput,
                fmt::format("{} is not a JSON object{}{}", path, e ? ": " : "",
                            e ? simdjson::error_message(e) : ""));
  }
  auto bad = [&](std::string_view key, std::string_view want) {
    return fail(Errc::kInvalidInput, fmt::format("{}: \"{}\" must be {}", path, key, want));
  };
  if (auto plan = root["plan"]; plan.error() == simdjson::SUCCESS && !flags.plan) {
    std::string_view name;
    if (plan.get(name)) {
      return bad("plan", "a string (pro, max5, max20 or custom)");
    }
    flags.plan = std::string(name);
  }
  simdjson::dom::object limits;
  auto limits_field = root["limits"];
  if (limits_field.error() == simdjson::NO_SUCH_FIELD) {
    return {};
  }
  if (limits_field.get(limits)) {
    return bad("limits", "an object");
  }
  auto number = [&](std::string_view key, auto& into) -> Status {
    auto field = limits[key];
    if (field.error() == simdjson::NO_SUCH_FIELD || into) {
      return {};
    }
    double v = 0;
    if (field.get(v)) {
      return bad(fmt::format("limits.{}", key), "a number");
    }
    using T = typename std::remove_reference_t<decltype(into)>::value_type;
    into = static_cast<T>(v);
    return {};
  };
  for (auto s : {number("tokens_5h", flags.tokens_5h), number("cost_5h", flags.cost_5h),
                 number("tokens_7d", flags.tokens_7d), number("cost_7d", flags.cost_7d)}) {
    if (!s) {
      return s;
    }
  }
  return {};
}

}  // namespace

Result<analytics::PlanLimits> load_plan(const PlanFlags& given) {
  return load_plan_from(with_plan_from_environment(given), plan_config_file());
}

Result<analytics::PlanLimits> load_plan_from(const PlanFlags& given,
                                             const std::string& config_file) {
  PlanFlags flags = given;
  if (auto s = merge_config_file(config_file, flags); !s) {
    return tl::unexpected(s.error());
  }
  analytics::PlanLimits plan;
  if (flags.plan) {
    auto named = analytics::named_plan(*flags.plan);
    if (!named) {
      return named;
    }
    plan = std::move(*named);
  }
  auto positive = [](auto v, std::string_view name) -> Status {
    if (v && !(*v > 0)) {
      return fail(Errc::kInvalidInput, fmt::format("the {} budget must be positive", name));
    }
    return {};
  };
  for (auto s : {positive(flags.tokens_5h, "5-hour token"), positive(flags.cost_5h, "5-hour cost"),
                 positive(flags.tokens_7d, "7-day token"), positive(flags.cost_7d, "7-day cost")}) {
    if (!s) {
      return tl::unexpected(s.error());
    }
  }
  auto dollars = [](std::optional<double> d) -> std::optional<Nanodollars> {
    if (!d) {
      return std::nullopt;
    }
    return std::llround(*d * 1e9);
  };
  bool custom = false;
  if (flags.tokens_5h) {
    plan.tokens_5h = flags.tokens_5h;
    custom = true;
  }
  if (flags.cost_5h) {
    plan.cost_5h = dollars(flags.cost_5h);
    custom = true;
  }
  if (flags.tokens_7d) {
    plan.tokens_7d = flags.tokens_7d;
    custom = true;
  }
  if (flags.cost_7d) {
    plan.cost_7d = dollars(flags.cost_7d);
    custom = true;
  }
  if (custom && plan.name.empty()) {
    plan.name = "custom";
  }
  return plan;
}

std::string claude_settings_path() {
  std::string dirs = env_or("CLAUDE_CONFIG_DIR", "");
  std::string first = dirs.substr(0, dirs.find(','));
  while (!first.empty() && first.back() == ' ') {
    first.pop_back();
  }
  while (!first.empty() && first.front() == ' ') {
    first.erase(first.begin());
  }
  std::string home = env_or("HOME", ".");
  if (first.starts_with("~/")) {
    first = home + first.substr(1);
  }
  if (first.empty()) {
    first = home + "/.claude";
  }
  std::filesystem::path dir(first);
  if (dir.filename() == "projects") {
    dir = dir.parent_path();
  }
  return (dir / "settings.json").string();
}

void write_stdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') {
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
}

}  // namespace ccgauge::cli

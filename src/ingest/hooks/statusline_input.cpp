#include "ingest/hooks/statusline_input.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/time.h"

namespace ccgauge::ingest {
namespace {

namespace dom = simdjson::dom;

std::string string_at(dom::element parent, std::string_view key) {
  std::string_view s;
  if (parent[key].get_string().get(s) == simdjson::SUCCESS) {
    return std::string(s);
  }
  return {};
}

// A number, or numeric text ("23.5").
std::optional<double> number_of(dom::element e) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) {
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) {
    return static_cast<double>(i);
  }
  std::uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    return static_cast<double>(u);
  }
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
    char* end = nullptr;
    std::string text(s);
    double v = std::strtod(text.c_str(), &end);
    if (end != nullptr && *end == '\0' && std::isfinite(v)) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<double> number_at(dom::element parent, std::string_view key) {
  dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return number_of(e);
}

// Epoch seconds from a number, numeric text, or ISO 8601 text. Values past the year 2286 in
// seconds are read as milliseconds.
std::optional<std::int64_t> instant_at(dom::element parent, std::string_view key) {
  dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  if (auto n = number_of(e); n && *n > 0) {
    double seconds = *n > 1e10 ? *n / 1000 : *n;
    return static_cast<std::int64_t>(std::llround(seconds));
  }
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    if (auto t = parse_timestamp(s)) {
      return std::chrono::floor<std::chrono::seconds>(*t).time_since_epoch().count();
    }
  }
  return std::nullopt;
}

std::optional<RateWindow> window_at(dom::element rate_limits, std::string_view key) {
  dom::element w;
  if (rate_limits[key].get(w) != simdjson::SUCCESS || !w.is_object()) {
    return std::nullopt;
  }
  RateWindow window;
  window.used_percent = number_at(w, "used_percentage");
  if (window.used_percent) {
    window.used_percent = std::clamp(*window.used_percent, 0.0, 100.0);
  }
  window.resets_at_epoch_s = instant_at(w, "resets_at");
  if (!window.used_percent && !window.resets_at_epoch_s) {
    return std::nullopt;
  }
  return window;
}

std::optional<std::int64_t> integer_at(dom::element parent, std::string_view key) {
  auto n = number_at(parent, key);
  if (!n || *n < 0) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::llround(*n));
}

}  // namespace

Result<StatusLineInput> parse_statusline_input(std::string_view json) {
  dom::parser parser;
  dom::element root;
  if (auto e = parser.parse(json.data(), json.size()).get(root)) {
    return fail(Errc::kInvalidInput,
                fmt::format("status line input is not JSON: {}", simdjson::error_message(e)));
  }
  if (!root.is_object()) {
    return fail(Errc::kInvalidInput, "status line input is not a JSON object");
  }
  StatusLineInput in;
  in.session_id = string_at(root, "session_id");
  in.transcript_path = string_at(root, "transcript_path");
  in.cwd = string_at(root, "cwd");
  dom::element e;
  if (root["model"].get(e) == simdjson::SUCCESS && e.is_object()) {
    in.model_id = string_at(e, "id");
    in.model_display_name = string_at(e, "display_name");
  }
  if (root["cost"].get(e) == simdjson::SUCCESS && e.is_object()) {
    in.session_cost_usd = number_at(e, "total_cost_usd");
  }
  if (root["context_window"].get(e) == simdjson::SUCCESS && e.is_object()) {
    in.context_tokens = integer_at(e, "total_input_tokens");
    in.context_window_size = integer_at(e, "context_window_size");
    in.context_used_percent = number_at(e, "used_percentage");
  }
  if (root["rate_limits"].get(e) == simdjson::SUCCESS && e.is_object()) {
    in.five_hour = window_at(e, "five_hour");
    in.seven_day = window_at(e, "seven_day");
  }
  return in;
}

}  // namespace ccgauge::ingest

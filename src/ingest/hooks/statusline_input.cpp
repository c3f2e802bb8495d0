#include "ingest/hooks/statusline_input.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <simdjson.h>

#include "ingest/json_dom.h"
#include "core/time.h"

namespace ccgauge::ingest {
namespace {

namespace dom = simdjson::dom;

using json::string_at;

// Epoch seconds from a number, numeric text, or ISO 8601 text. Values past the year 2286 in
// seconds are read as milliseconds.
std::optional<std::int64_t> instant_at(dom::element parent, std::string_view key) {
  dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  if (auto n = json::number_of(e); n && *n > 0) {
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
  window.used_percent = json::number_at(w, "used_percentage");
  if (window.used_percent) {
    window.used_percent = std::clamp(*window.used_percent, 0.0, 100.0);
  }
  window.resets_at_epoch_s = instant_at(w, "resets_at");
  if (!window.used_percent && !window.resets_at_epoch_s) {
    return std::nullopt;
  }
  return window;
}

// Non-negative integers only (token counts, sizes).
std::optional<std::int64_t> integer_at(dom::element parent, std::string_view key) {
  auto n = json::integer_at(parent, key);
  return n && *n >= 0 ? n : std::nullopt;
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
    in.session_cost_usd = json::number_at(e, "total_cost_usd");
  }
  if (root["context_window"].get(e) == simdjson::SUCCESS && e.is_object()) {
    in.context_tokens = integer_at(e, "total_input_tokens");
    in.context_window_size = integer_at(e, "context_window_size");
    in.context_used_percent = json::number_at(e, "used_percentage");
  }
  if (root["rate_limits"].get(e) == simdjson::SUCCESS && e.is_object()) {
    in.five_hour = window_at(e, "five_hour");
    in.seven_day = window_at(e, "seven_day");
  }
  return in;
}

}  // namespace ccgauge::ingest

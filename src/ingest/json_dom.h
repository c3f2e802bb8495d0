#pragma once
// Reading JSON values defensively with simdjson's DOM API, for the small documents sources hand
// over (status line, hooks, OAuth answers): numbers may come as numbers or as numeric text.
// Internal to src/ingest/: included only by .cpp files (it pulls in simdjson).

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace ccgauge::ingest::json {

// A finite number, or numeric text ("23.5").
inline std::optional<double> number_of(simdjson::dom::element e) {
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
    std::string text(s);
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end != nullptr && *end == '\0' && std::isfinite(v)) {
      return v;
    }
  }
  return std::nullopt;
}

// The text at parent[key]; empty when absent or not a string.
inline std::string string_at(simdjson::dom::element parent, std::string_view key) {
  std::string_view s;
  if (parent[key].get_string().get(s) == simdjson::SUCCESS) {
    return std::string(s);
  }
  return {};
}

// The number at parent[key], if there is one.
inline std::optional<double> number_at(simdjson::dom::element parent, std::string_view key) {
  simdjson::dom::element e;
  if (parent[key].get(e) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return number_of(e);
}

// The number at parent[key] rounded to an integer; none when absent or beyond int64.
inline std::optional<std::int64_t> integer_at(simdjson::dom::element parent, std::string_view key) {
  std::optional<double> n = number_at(parent, key);
  if (!n || std::fabs(*n) > 9e18) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::llround(*n));
}

}  // namespace ccgauge::ingest::json

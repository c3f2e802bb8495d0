#include "core/units.h"

#include <cctype>
#include <cmath>
#include <string>

namespace ccgauge {

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) {
    ++pos;
  }
  if (pos == 0) {
    return std::nullopt;
  }
  double number = 0;
  try {
    number = std::stod(std::string(text.substr(0, pos)));
  } catch (...) {
    return std::nullopt;
  }
  std::string unit;
  for (char c : text.substr(pos)) {
    if (c != ' ') {
      unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  double scale = 1;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "K" || unit == "KB" || unit == "KIB") {
    scale = 1024.0;
  } else if (unit == "M" || unit == "MB" || unit == "MIB") {
    scale = 1024.0 * 1024;
  } else if (unit == "G" || unit == "GB" || unit == "GIB") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "T" || unit == "TB" || unit == "TIB") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  double bytes = number * scale;
  if (!std::isfinite(bytes) || bytes < 1 || bytes > 1e15) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(std::llround(bytes));
}

}  // namespace ccgauge

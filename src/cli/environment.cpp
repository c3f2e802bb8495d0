#include "cli/environment.h"

#include <chrono>
#include <cstdlib>

#include "core/time.h"

namespace ccgauge::cli {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string ccgauge_config_dir() {
  std::string xdg = env_or("XDG_CONFIG_HOME", env_or("HOME", ".") + "/.config");
  return env_or("CCGAUGE_CONFIG_DIR", xdg + "/ccgauge");
}

Result<pricing::PriceTable> load_price_table() {
  return pricing::PriceTable::with_overrides(ccgauge_config_dir() + "/pricing.json");
}

Instant now_instant() {
  std::string pinned = env_or("CCGAUGE_NOW", "");
  if (!pinned.empty()) {
    if (auto t = parse_timestamp(pinned)) {
      return *t;
    }
  }
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace ccgauge::cli

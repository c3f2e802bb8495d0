#pragma once
// What the commands read from the environment: variables, ccgauge's own config directory, the
// user's price table, and "now".

#include <string>

#include "core/result.h"
#include "core/types.h"
#include "pricing/price_table.h"

namespace ccgauge::cli {

// The variable's value, or `fallback` when it is unset or empty.
std::string env_or(const char* name, const std::string& fallback);

// $CCGAUGE_CONFIG_DIR, else $XDG_CONFIG_HOME/ccgauge, else ~/.config/ccgauge.
std::string ccgauge_config_dir();

// The embedded price table with the user's pricing.json (in ccgauge_config_dir()) applied.
Result<pricing::PriceTable> load_price_table();

// The current instant; CCGAUGE_NOW (ISO 8601) pins it for reproducible output (tests,
// screenshots).
Instant now_instant();

}  // namespace ccgauge::cli

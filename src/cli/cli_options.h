#pragma once
// Command-line options more than one binary takes (ccgauge and ccgauge-daemon). CLI11 stays in
// the .cpp files.

#include "cli/environment.h"

namespace CLI {
class App;
}

namespace ccgauge::cli {

// --plan, --tokens-5h, --cost-5h, --tokens-7d, --cost-7d.
void add_plan_options(CLI::App& cmd, PlanFlags& plan);

}  // namespace ccgauge::cli

#include "cli/cli_options.h"

#include <CLI/CLI.hpp>

namespace ccgauge::cli {

void add_plan_options(CLI::App& cmd, PlanFlags& p) {
  cmd.add_option("--plan", p.plan, "Your plan: pro, max5, max20 or custom (else config.json)")
      ->check(CLI::IsMember({"pro", "max5", "max20", "custom"}));
  cmd.add_option("--tokens-5h", p.tokens_5h, "Budget: input+output tokens per 5 hours");
  cmd.add_option("--cost-5h", p.cost_5h, "Budget: dollars (API prices) per 5 hours");
  cmd.add_option("--tokens-7d", p.tokens_7d, "Budget: input+output tokens per 7 days");
  cmd.add_option("--cost-7d", p.cost_7d, "Budget: dollars (API prices) per 7 days");
}

}  // namespace ccgauge::cli

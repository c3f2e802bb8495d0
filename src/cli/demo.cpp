#include "cli/commands.h"

#include <fmt/format.h>

namespace ccgauge::cli {

int run_demo(const std::string&, const std::string&, std::uint64_t) {
  fmt::print(stderr, "ccgauge: demo is not wired yet\n");
  return 1;
}

}  // namespace ccgauge::cli

// `ccgauge demo`: a sample Claude Code data set, generated, then reported on, so a machine
// without Claude Code shows what ccgauge does.

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "core/time.h"
#include "gen/transcript_generator.h"

namespace ccgauge::cli {

int run_demo(const std::string& dir_option, const std::string& size, std::uint64_t seed) {
  auto bytes = gen::parse_size(size);
  if (!bytes) {
    fmt::print(stderr, "ccgauge: error: {}\n", bytes.error().message);
    return 1;
  }
  std::string dir = dir_option;
  if (dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ccgauge-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      fmt::print(stderr, "ccgauge: error: cannot create a temporary directory\n");
      return 1;
    }
    dir = pattern;
  }
  gen::GeneratorOptions options;
  options.out_dir = dir;
  options.target_bytes = *bytes;
  options.seed = seed;
  options.days = 14;
  auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  options.end_date = format_date(date_key(std::chrono::year_month_day{today}));
  fmt::print(stderr, "ccgauge: writing a {} sample of Claude Code transcripts to {}\n", size, dir);
  auto totals = gen::generate(options);
  if (!totals) {
    fmt::print(stderr, "ccgauge: error: {}\n", totals.error().message);
    return 1;
  }
  ::setenv("CLAUDE_CONFIG_DIR", dir.c_str(), 1);
  CommonOptions common;
  common.ledger_path = dir + "/ledger.db";
  int rc = run_period_report(analytics::PeriodKind::kDaily, common, "sunday", std::nullopt);
  if (rc != 0) {
    return rc;
  }
  BlocksCommandOptions blocks;
  blocks.recent = true;
  rc = run_blocks_report(common, blocks);
  fmt::print(stderr,
             "\nTry more on this data:\n  CLAUDE_CONFIG_DIR={0} ccgauge monthly --ledger "
             "{0}/ledger.db\n  CLAUDE_CONFIG_DIR={0} ccgauge session --ledger {0}/ledger.db\n",
             dir);
  return rc;
}

}  // namespace ccgauge::cli

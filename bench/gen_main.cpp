// ccgauge_gen: writes a synthetic Claude Code config directory for benchmarks, or appends to one.
//
//   ccgauge_gen --out DIR [--size 200MiB] [--seed N] [--days N] [--end YYYY-MM-DD]
//               [--compatible] [--totals FILE]
//   ccgauge_gen --append DIR [--bytes 1MiB] [--seed N] [--totals FILE] [--journal FILE]
//
// Prints a one-line summary on stdout. --totals writes the true totals (JSON); --journal writes
// "<size before>\t<path>" per appended file, so a caller can truncate the tree back.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>

#include "gen/transcript_generator.h"

namespace {

using ccgauge::gen::AppendOptions;
using ccgauge::gen::AppendResult;
using ccgauge::gen::GeneratorOptions;
using ccgauge::gen::TrueTotals;

constexpr std::string_view kUsage =
    "usage: ccgauge_gen --out DIR [--size 200MiB] [--seed N] [--days N] [--end YYYY-MM-DD]\n"
    "                   [--compatible] [--totals FILE]\n"
    "       ccgauge_gen --append DIR [--bytes 1MiB] [--seed N] [--totals FILE] [--journal FILE]\n";

struct Args {
  GeneratorOptions generate;
  AppendOptions append;
  bool appending = false;
  std::string totals_path;
  std::string journal_path;
};

int usage_error(std::string_view message) {
  fmt::print(stderr, "ccgauge_gen: {}\n{}", message, kUsage);
  return 2;
}

bool parse_u64(std::string_view text, std::uint64_t* out) {
  if (text.empty()) {
    return false;
  }
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = value;
  return true;
}

// Returns an error message, or empty on success.
std::string parse_args(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--compatible") {
      args->generate.ccusage_compatible = true;
      continue;
    }
    if (flag == "-h" || flag == "--help") {
      return "help";
    }
    if (i + 1 >= argc) {
      return fmt::format("{} needs a value", flag);
    }
    const std::string_view value = argv[++i];
    std::uint64_t number = 0;
    if (flag == "--out") {
      args->generate.out_dir = value;
    } else if (flag == "--append") {
      args->appending = true;
      args->append.tree_dir = value;
    } else if (flag == "--size" || flag == "--bytes") {
      auto size = ccgauge::gen::parse_size(value);
      if (!size) {
        return size.error().message;
      }
      args->generate.target_bytes = *size;
      args->append.bytes = *size;
    } else if (flag == "--seed") {
      if (!parse_u64(value, &number)) {
        return fmt::format("bad seed '{}'", value);
      }
      args->generate.seed = number;
      args->append.seed = number;
    } else if (flag == "--days") {
      if (!parse_u64(value, &number) || number < 1 || number > 3650) {
        return fmt::format("bad day count '{}'", value);
      }
      args->generate.days = static_cast<int>(number);
    } else if (flag == "--end") {
      args->generate.end_date = value;
    } else if (flag == "--totals") {
      args->totals_path = value;
    } else if (flag == "--journal") {
      args->journal_path = value;
    } else {
      return fmt::format("unknown option {}", flag);
    }
  }
  if (args->appending == !args->generate.out_dir.empty()) {
    return "give exactly one of --out and --append";
  }
  return {};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run_generate(const Args& args) {
  const auto start = std::chrono::steady_clock::now();
  auto totals = ccgauge::gen::generate(args.generate);
  if (!totals) {
    fmt::print(stderr, "ccgauge_gen: {}\n", totals.error().message);
    return 1;
  }
  const auto& s = totals->stats;
  fmt::print(
      "ccgauge_gen: {} bytes, {} files ({} sessions, {} subagent), {} projects, {} lines, "
      "{} usage lines, {} unique keys, {} requestless lines, {} malformed lines, "
      "{} resumed sessions, {} long-context requests, {:.2f} s\n",
      s.bytes, s.files, s.session_files, s.subagent_files, s.projects, s.lines, s.usage_lines,
      totals->requests, s.requestless_lines, s.malformed_lines, s.resumed_sessions,
      s.long_context_requests, seconds_since(start));
  if (!args.totals_path.empty()) {
    if (auto written = ccgauge::gen::write_totals_json(*totals, &args.generate, args.totals_path);
        !written) {
      fmt::print(stderr, "ccgauge_gen: {}\n", written.error().message);
      return 1;
    }
  }
  return 0;
}

int run_append(const Args& args) {
  const auto start = std::chrono::steady_clock::now();
  auto result = ccgauge::gen::append(args.append);
  if (!result) {
    fmt::print(stderr, "ccgauge_gen: {}\n", result.error().message);
    return 1;
  }
  const TrueTotals& totals = result->totals;
  fmt::print(
      "ccgauge_gen: appended {} bytes to {} files: {} lines, {} usage lines, "
      "{} unique keys, {:.3f} s\n",
      totals.stats.bytes, totals.stats.files, totals.stats.lines, totals.stats.usage_lines,
      totals.requests, seconds_since(start));
  if (!args.totals_path.empty()) {
    if (auto written = ccgauge::gen::write_totals_json(totals, nullptr, args.totals_path);
        !written) {
      fmt::print(stderr, "ccgauge_gen: {}\n", written.error().message);
      return 1;
    }
  }
  if (!args.journal_path.empty()) {
    std::ofstream journal(args.journal_path, std::ios::app);
    for (const auto& file : result->files) {
      journal << file.size_before << '\t' << file.path << '\n';
    }
    if (!journal) {
      fmt::print(stderr, "ccgauge_gen: cannot write {}\n", args.journal_path);
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args;
    if (std::string error = parse_args(argc, argv, &args); !error.empty()) {
      if (error == "help") {
        fmt::print("{}", kUsage);
        return 0;
      }
      return usage_error(error);
    }
    return args.appending ? run_append(args) : run_generate(args);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ccgauge_gen: {}\n", e.what());
    return 1;
  }
}

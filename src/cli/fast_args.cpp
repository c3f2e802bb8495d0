#include "cli/fast_args.h"

#include <string>
#include <string_view>

namespace ccgauge::cli {

std::optional<StatusLineOptions> statusline_fast_args(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "statusline") {
    return std::nullopt;
  }
  if (argc >= 3 && (std::string_view(argv[2]) == "install" ||
                    std::string_view(argv[2]) == "uninstall")) {
    return std::nullopt;
  }
  StatusLineOptions options;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (arg == name && i + 1 < argc) {
        return std::string(argv[++i]);
      }
      if (arg.size() > name.size() + 1 && arg.substr(0, name.size()) == name &&
          arg[name.size()] == '=') {
        return std::string(arg.substr(name.size() + 1));
      }
      return std::nullopt;
    };
    if (auto v = value("--ledger")) {
      options.ledger_path = *v;
    } else if (auto z = value("--timezone")) {
      options.timezone = *z;
    } else if (auto z2 = value("-z")) {
      options.timezone = *z2;
    } else if (auto f = value("--format")) {
      options.format = *f;
    } else if (auto p = value("--plan")) {
      options.plan.plan = *p;
    } else if (arg == "--color") {
      options.color = true;
    } else if (arg == "--no-color") {
      options.color = false;
    } else if (arg == "-h" || arg == "--help") {
      return std::nullopt;
    }
  }
  return options;
}

std::optional<HookCommandOptions> hook_fast_args(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "hook") {
    return std::nullopt;
  }
  HookCommandOptions options;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--ledger" && i + 1 < argc) {
      options.ledger_path = argv[++i];
    } else if (arg.starts_with("--ledger=")) {
      options.ledger_path = std::string(arg.substr(9));
    } else if (arg == "--tool-input") {
      options.tool_input = true;
    } else if (arg == "-h" || arg == "--help") {
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace ccgauge::cli

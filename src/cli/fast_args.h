#pragma once
// The arguments of the commands Claude Code runs on every screen update and hook event, read
// without building the CLI11 command tree (about a millisecond). Shared by the `ccgauge`
// launcher (launcher_main.cpp) and the full command (app.cpp), so both read them alike.
// Unknown arguments are ignored rather than refused: a status line or a hook must never break
// over a flag.

#include <optional>

#include "cli/commands.h"

namespace ccgauge::cli {

// `statusline [--ledger P] [-z|--timezone Z] [--format F] [--plan N] [--color|--no-color]`;
// none for other commands, `statusline install|uninstall` and -h/--help (CLI11 parses those).
std::optional<StatusLineOptions> statusline_fast_args(int argc, char** argv);

// `hook [--ledger P] [--tool-input]`; none for other commands and -h/--help.
std::optional<HookCommandOptions> hook_fast_args(int argc, char** argv);

}  // namespace ccgauge::cli

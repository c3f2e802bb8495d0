#pragma once
// The command line: parses arguments (CLI11 stays in app.cpp) and runs a command.

namespace ccgauge::cli {

// Returns the process exit code. Never throws.
int run(int argc, char** argv);

}  // namespace ccgauge::cli

// The environment lookups the `ccgauge` launcher (cli/launcher_main.cpp) shares with the
// commands; the rest of environment.h is in environment.cpp.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli/environment.h"
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

PlanFlags with_plan_from_environment(PlanFlags flags) {
  if (!flags.plan) {
    if (std::string env = env_or("CCGAUGE_PLAN", ""); !env.empty()) {
      flags.plan = env;
    }
  }
  return flags;
}

std::string plan_config_file() { return ccgauge_config_dir() + "/config.json"; }

namespace {

// The running binary's path; empty when /proc cannot tell.
std::filesystem::path running_binary() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe;
}

}  // namespace

std::string self_executable() {
  std::filesystem::path exe = running_binary();
  if (exe.empty()) {
    return "ccgauge";
  }
  // The full command runs as ccgauge-cli behind the `ccgauge` launcher: settings files and the
  // service must call the launcher.
  std::error_code ec;
  if (exe.filename() == kFullCommand && std::filesystem::exists(exe.parent_path() / "ccgauge", ec)) {
    return (exe.parent_path() / "ccgauge").string();
  }
  return exe.string();
}

int exec_beside_self(const char* name, std::vector<char*> args) {
  std::filesystem::path exe = running_binary();
  std::filesystem::path target = (exe.empty() ? std::filesystem::path(".") : exe.parent_path()) / name;
  args.push_back(nullptr);
  ::execv(target.c_str(), args.data());
  std::fprintf(stderr, "ccgauge: error: cannot run %s: %s (it is built and installed next to "
               "ccgauge)\n", target.c_str(), std::strerror(errno));
  return 1;
}

int exec_daemon(int argc, char** argv) {
  std::vector<char*> args = {const_cast<char*>("ccgauge-daemon")};
  args.insert(args.end(), argv + 2, argv + argc);
  return exec_beside_self("ccgauge-daemon", std::move(args));
}

StdinBytes read_stdin_bounded(std::size_t max_bytes) {
  StdinBytes in;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return in;
    }
    std::size_t keep = std::min(static_cast<std::size_t>(n), max_bytes - in.bytes.size());
    in.bytes.append(buf, keep);
    in.whole = in.whole && keep == static_cast<std::size_t>(n);
  }
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

// `ccgauge service install|uninstall|status`: runs the daemon as a systemd user service. The
// unit is deploy/ccgauge.service, embedded at build time, with this binary's path filled in.

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/environment.h"

namespace ccgauge::embedded {
extern const char* const kSystemdUnit;
}

namespace ccgauge::cli {
namespace {

std::string unit_path() {
  std::string config = env_or("XDG_CONFIG_HOME", env_or("HOME", ".") + "/.config");
  return config + "/systemd/user/ccgauge.service";
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// systemd unquotes ExecStart words; quote a path that needs it.
std::string quoted(const std::string& word) {
  if (word.find_first_of(" \t\"'\\") == std::string::npos) {
    return word;
  }
  std::string out = "\"";
  for (char c : word) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// Runs `systemctl --user ARGS...`; its exit code, or -1 when systemctl cannot be run.
int systemctl(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid < 0) {
    return -1;
  }
  if (pid == 0) {
    std::vector<std::string> all = {"systemctl", "--user"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execvp("systemctl", argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
    return -1;
  }
  return WEXITSTATUS(status);
}

}  // namespace

std::string render_systemd_unit(const std::string& executable, const std::string& listen,
                                const std::vector<std::pair<std::string, std::string>>& env) {
  std::string unit = embedded::kSystemdUnit;
  replace_all(unit, "@CCGAUGE@", quoted(executable));
  replace_all(unit, "@LISTEN@", quoted(listen));
  std::string environment;
  for (const auto& [name, value] : env) {
    environment += (environment.empty() ? "" : " ") + quoted(name + "=" + value);
  }
  if (environment.empty()) {
    replace_all(unit, "Environment=@ENVIRONMENT@\n", "");
  } else {
    replace_all(unit, "@ENVIRONMENT@", environment);
  }
  return unit;
}

int run_service(const std::string& action, const std::string& listen, bool start) {
  std::string path = unit_path();
  if (action == "status") {
    std::error_code ec;
    fmt::print("unit: {} ({})\n", path,
               std::filesystem::exists(path, ec) ? "installed" : "not installed");
    int rc = systemctl({"status", "--no-pager", "ccgauge.service"});
    if (rc < 0) {
      fmt::print("systemctl is not available here\n");
    }
    return 0;
  }
  if (action == "uninstall") {
    int rc = systemctl({"disable", "--now", "ccgauge.service"});
    std::error_code ec;
    bool removed = std::filesystem::remove(path, ec);
    if (ec) {
      fmt::print(stderr, "ccgauge: error: cannot remove {}: {}\n", path, ec.message());
      return 1;
    }
    if (rc >= 0) {
      systemctl({"daemon-reload"});
    }
    fmt::print("{}\n", removed ? "removed " + path : "no unit was installed at " + path);
    return 0;
  }
  // install: the daemon inherits where the data is and where the ledger lives.
  std::vector<std::pair<std::string, std::string>> env;
  for (const char* name : {"CLAUDE_CONFIG_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                           "CCGAUGE_CONFIG_DIR", "CCGAUGE_PLAN", "TZ"}) {
    std::string value = env_or(name, "");
    if (!value.empty()) {
      env.emplace_back(name, value);
    }
  }
  if (!env_or("CCGAUGE_TOKEN", "").empty()) {
    fmt::print(stderr,
               "ccgauge: note: CCGAUGE_TOKEN is not written into the unit (it would be "
               "readable there); use `systemctl --user edit ccgauge` to add it\n");
  }
  std::string unit = render_systemd_unit(self_executable(), listen, env);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << unit;
    if (!out) {
      fmt::print(stderr, "ccgauge: error: cannot write {}\n", tmp);
      return 1;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    fmt::print(stderr, "ccgauge: error: cannot write {}: {}\n", path, ec.message());
    return 1;
  }
  fmt::print("wrote {}\n", path);
  if (!start) {
    fmt::print("start it with: systemctl --user daemon-reload && systemctl --user enable --now "
               "ccgauge.service\n");
    return 0;
  }
  int reload = systemctl({"daemon-reload"});
  int enable = reload == 0 ? systemctl({"enable", "--now", "ccgauge.service"}) : reload;
  if (enable != 0) {
    fmt::print(stderr,
               "ccgauge: error: {}; the unit is written, start it with: systemctl --user "
               "daemon-reload && systemctl --user enable --now ccgauge.service\n",
               enable < 0 ? "systemctl is not available (no systemd user session here)"
                          : "systemctl --user failed");
    return 1;
  }
  fmt::print("enabled and started ccgauge.service (listening on {})\n", listen);
  return 0;
}

}  // namespace ccgauge::cli

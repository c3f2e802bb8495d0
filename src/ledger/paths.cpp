#include "ledger/paths.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace ccgauge::ledger {
namespace {

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// $`xdg`/ccgauge/`leaf`, else ~/`fallback`/ccgauge/`leaf`.
std::string xdg_path(const char* xdg, const char* fallback, const char* leaf) {
  const char* dir = std::getenv(xdg);
  if (dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/ccgauge/" + leaf;
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/" + fallback + "/ccgauge/" + leaf;
}

}  // namespace

std::string default_ledger_path() { return xdg_path("XDG_DATA_HOME", ".local/share", "ledger.db"); }

std::string default_spool_dir() { return xdg_path("XDG_STATE_HOME", ".local/state", "spool"); }

std::string ledger_id(const std::string& ledger_path) {
  std::string absolute = std::filesystem::absolute(ledger_path).lexically_normal().string();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, fnv1a(absolute));
  return hex;
}

std::string spool_file_for(const std::string& spool_dir, const std::string& ledger_path) {
  return spool_dir + "/" + ledger_id(ledger_path) + ".jsonl";
}

std::string statusline_socket_for(const std::string& spool_dir, const std::string& ledger_path) {
  return spool_dir + "/" + ledger_id(ledger_path) + ".sock";
}

}  // namespace ccgauge::ledger

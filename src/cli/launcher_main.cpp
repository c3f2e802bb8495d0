// `ccgauge`: the command users and Claude Code run. A small, fully static program (0.4 ms of CPU
// per start) in front of the full command, ccgauge-cli, which loads libstdc++ and simdjson as
// shared libraries: about 1.5 ms more of every start on a 2-core VM.
//
// - `ccgauge statusline` and `ccgauge hook`, Claude Code's hot paths: when a daemon runs on
//   the ledger, the input goes to it over its socket (statusline.h) and its answer is printed.
// - `ccgauge serve`: runs ccgauge-daemon.
// - anything else, and the two above when no daemon answers: runs ccgauge-cli with the same
//   arguments, and with the input already read handed over as its standard input.

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/environment.h"
#include "cli/fast_args.h"
#include "cli/statusline.h"
#include "ledger/paths.h"

namespace {

using namespace ccgauge;
using namespace ccgauge::cli;

// The largest input sent to the daemon (its socket takes a little more); a larger one, rare
// (a hook carrying a big tool response), goes to ccgauge-cli.
constexpr std::size_t kMaxForwardBytes = 1 << 20;
// The most input kept here: one byte more than any command takes (hook: 64 MiB), so that the
// command it is handed to still sees it is too large.
constexpr std::size_t kMaxReadBytes = (std::size_t{64} << 20) + 1;


// Makes `input` this process's standard input again, for the program it executes next.
void give_back_stdin(const std::string& input) {
  int fd = ::memfd_create("ccgauge-input", 0);
  if (fd < 0) {
    return;  // ccgauge-cli then reads what is left of the original stdin (nothing)
  }
  for (std::size_t done = 0; done < input.size();) {
    ssize_t n = ::write(fd, input.data() + done, input.size() - done);
    if (n <= 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
}

// The daemon's socket for the ledger at `ledger_path` (empty: the default ledger), when there is
// one: without, the input is not even read here.
std::optional<std::string> daemon_socket(const std::string& ledger_path) {
  std::string ledger = ledger_path.empty() ? ledger::default_ledger_path() : ledger_path;
  std::string socket = ledger::statusline_socket_for(ledger::default_spool_dir(), ledger);
  struct stat st {};
  if (::stat(socket.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return std::nullopt;
  }
  return socket;
}

// Whether a running daemon answered this `statusline` or `hook` call (the answer is printed);
// `input` is set when the standard input was read.
bool answered_by_daemon(int argc, char** argv, std::optional<std::string>& input) {
  if (auto o = statusline_fast_args(argc, argv)) {
    if (auto socket = daemon_socket(o->ledger_path)) {
      input = read_stdin_bounded(kMaxReadBytes).bytes;
      if (input->size() <= kMaxForwardBytes) {
        if (auto line = ask_daemon(*socket, encode_job(statusline_job(*o, *input)))) {
          line->push_back('\n');
          std::fwrite(line->data(), 1, line->size(), stdout);
          return true;
        }
      }
    }
  } else if (auto h = hook_fast_args(argc, argv)) {
    if (auto socket = daemon_socket(h->ledger_path)) {
      input = read_stdin_bounded(kMaxReadBytes).bytes;
      return input->size() <= kMaxForwardBytes &&
             ask_daemon(*socket, encode_job(hook_job(*h, *input))).has_value();
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "serve") {
    return exec_daemon(argc, argv);
  }
  std::optional<std::string> input;
  try {
    if (answered_by_daemon(argc, argv, input)) {
      return 0;
    }
  } catch (const std::exception&) {
    // (A path that cannot be made absolute, say.) The full command meets it again and says so.
  }
  if (input) {
    give_back_stdin(*input);
  }
  return exec_beside_self(kFullCommand, std::vector<char*>(argv, argv + argc));
}

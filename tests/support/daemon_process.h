#pragma once
// A running `ccgauge serve` for end-to-end tests: spawned with the given arguments and
// environment, its stdout and stderr in files under `dir`; the constructor returns once the
// daemon says where it listens (or it exited, or the timeout passed: port() is then 0). SIGTERM
// on stop() or destruction.

#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/run_binary.h"

namespace ccgauge::testing {

class DaemonProcess {
 public:
  DaemonProcess(const std::string& dir, std::vector<std::string> args,
                const std::vector<std::pair<std::string, std::string>>& env,
                std::chrono::seconds timeout = std::chrono::seconds(120))
      : out_(dir + "/serve.out"), err_(dir + "/serve.err") {
    args.insert(args.begin(), "serve");
    pid_ = spawn_binary(args, env, out_, err_);
    // Everything the daemon prints at start is flushed at once, after the OTLP receivers.
    static const std::regex api(R"(listening on http://127\.0\.0\.1:(\d+)\n)");
    static const std::regex grpc(R"(otlp grpc on 127\.0\.0\.1:(\d+))");
    static const std::regex http(R"(otlp http on http://127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = slurp(out_);
      std::smatch m;
      if (std::regex_search(text, m, api)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        if (std::regex_search(text, m, grpc)) {
          grpc_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        }
        if (std::regex_search(text, m, http)) {
          http_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        }
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;
  ~DaemonProcess() { stop(); }

  // SIGTERM, then the exit status (the same status on later calls).
  int stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      status_ = wait_exit_code(pid_);
      pid_ = -1;
    }
    return status_;
  }

  std::uint16_t port() const { return port_; }            // the API; 0: never listened
  std::uint16_t grpc_port() const { return grpc_port_; }  // 0: no OTLP/gRPC receiver
  std::uint16_t http_port() const { return http_port_; }  // 0: no OTLP/HTTP receiver
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  int status_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t grpc_port_ = 0;
  std::uint16_t http_port_ = 0;
};

}  // namespace ccgauge::testing

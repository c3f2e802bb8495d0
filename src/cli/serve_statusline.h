#pragma once
// The daemon's side of `ccgauge statusline` (cli/statusline.h): a Unix socket next to the
// spool, readable and writable by its owner only. One thread accepts; each connection sends
// a job and half-closes, and gets "ok\n" and the line, or "error\n" and why.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/result.h"

namespace ccgauge::cli {

class StatusLineServer {
 public:
  // The line for a job's bytes, or an error. Called on the server's thread, one job at a time.
  using Handler = std::function<Result<std::string>(std::string job)>;

  // Listens on `socket_path` (a stale socket there is replaced).
  static Result<std::unique_ptr<StatusLineServer>> start(const std::string& socket_path,
                                                         Handler handler);
  StatusLineServer(const StatusLineServer&) = delete;
  StatusLineServer& operator=(const StatusLineServer&) = delete;
  // Stops accepting and removes the socket.
  ~StatusLineServer();

 private:
  StatusLineServer(std::string path, int listen_fd, int stop_fd, Handler handler);
  void run();
  void serve(int fd);

  std::string path_;
  int listen_fd_;
  int stop_fd_;
  Handler handler_;
  std::thread thread_;
};

}  // namespace ccgauge::cli
